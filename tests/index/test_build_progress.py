"""The build's progress callback: each step told once, in order, as it begins."""

import pandas as pd

from rasad.index import build
from rasad.index.pipeline import STEPS


def test_progress_is_told_each_step_once_in_order(asem):
    methodology, data = asem
    told: list[str] = []
    for keep in ("all", "final"):
        told.clear()
        results = build(methodology, data, keep=keep, progress=told.append)
        assert told == list(STEPS)
        assert results.rank.notna().sum() == 51


def test_no_callback_gives_the_same_results(asem):
    methodology, data = asem
    pd.testing.assert_frame_equal(
        build(methodology, data).table(),
        build(methodology, data, progress=lambda step: None).table(),
    )
