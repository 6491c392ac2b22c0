"""Words for the codes a build's messages and workbooks would otherwise show: the usual
group columns and the size bands, in Persian and English (issue 17: "messages in words,
not internal codes"). A code with no words here is shown as written; a blank value is
called blank, never ``nan``."""

from __future__ import annotations

import pandas as pd

GROUP_WORDS: dict[str, tuple[str, str]] = {
    "sector": ("بخش", "sector"),
    "size_class": ("طبقهٔ اندازه", "size band"),
    "province": ("استان", "province"),
    "estate": ("شهرک صنعتی", "industrial estate"),
    "cluster": ("خوشه", "cluster"),
}
VALUE_WORDS: dict[str, tuple[str, str]] = {
    "micro": ("خرد", "micro"),
    "small": ("کوچک", "small"),
    "medium": ("متوسط", "medium"),
    "large": ("بزرگ", "large"),
}
DATASET_WORDS: dict[str, tuple[str, str]] = {
    "Raw": ("خام", "raw"),
    "Denominated": ("نسبت‌گیری‌شده", "denominated"),
    "Imputed": ("جانهی‌شده", "imputed"),
    "Screened": ("غربال‌شده", "screened"),
    "Treated": ("پالایش‌شده", "treated"),
    "Normalised": ("نرمال‌شده", "normalised"),
    "Aggregated": ("تجمیع‌شده", "aggregated"),
}
BLANK = ("خالی", "blank")


def value_words(value) -> tuple[str, str]:
    """``value`` of a group column in (Persian, English) words: a size band's name,
    "blank" for a missing value, any other value as it is, in quotes."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or str(value) == "":
        return BLANK
    if str(value) in VALUE_WORDS:
        return VALUE_WORDS[str(value)]
    return f"«{value}»", f"“{value}”"
