"""The Persian catalogue is complete and the committed .mo matches the .po."""

from pathlib import Path

import polib

import rasad.platform

LOCALE = Path(rasad.platform.__file__).parent / "locale" / "fa" / "LC_MESSAGES"


def test_every_string_has_a_persian_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == []
    assert len(po) > 50


def test_compiled_catalogue_is_up_to_date():
    po = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(e.msgstr_plural.items()))
        for e in polib.pofile(str(LOCALE / "django.po"))
        if not e.obsolete
    }
    mo = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(e.msgstr_plural.items()))
        for e in polib.mofile(str(LOCALE / "django.mo"))
        if e.msgid
    }
    assert mo == po
