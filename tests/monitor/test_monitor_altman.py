"""Altman's Z'' (6.56·X1 + 3.26·X2 + 6.72·X3 + 1.05·X4; distress below 1.1, safe above
2.6: Altman and Hotchkiss (2006), *Corporate Financial Distress and Bankruptcy*, 3rd
ed., Wiley) on worked examples, through the monitor's KPI table, which reuses
:func:`rasad.index.inputs.altman_z2`."""

import pandas as pd
import pytest

from rasad.monitor import Kpis


def z2(
    *,
    current_assets,
    current_liabilities,
    retained_earnings,
    ebit,
    equity,
    total_assets,
    total_liabilities,
):
    frame = pd.DataFrame(
        {
            "national_id": ["x"],
            "year": [1402],
            "current_assets": [current_assets],
            "current_liabilities": [current_liabilities],
            "retained_earnings": [retained_earnings],
            "ebit": [ebit],
            "equity": [equity],
            "total_assets": [total_assets],
            "total_liabilities": [total_liabilities],
        }
    )
    row = Kpis().compute(frame).frame().iloc[0]
    return row["altman_z2"], row["z2_zone"]


def test_altman_1968_group_means():
    """Altman (1968), "Financial ratios, discriminant analysis and the prediction of
    corporate bankruptcy", Journal of Finance 23(4), Table 1: the group means of the
    ratios, bankrupt firms X1 = −6.1%, X2 = −62.6%, X3 = −31.8%, equity/debt X4 =
    40.1%; non-bankrupt X1 = 41.4%, X2 = 35.5%, X3 = 15.3%, X4 = 247.7%. (Altman's X4
    there is the market value of equity; Z'' takes the book value in its place.) With
    total assets 1000 the balance sheets below have exactly these ratios.

    Bankrupt: 6.56·(−0.061) + 3.26·(−0.626) + 6.72·(−0.318) + 1.05·0.401
            = −0.40016 − 2.04076 − 2.13696 + 0.42105 = −4.15683: distress.
    Non-bankrupt: 6.56·0.414 + 3.26·0.355 + 6.72·0.153 + 1.05·2.477
            = 2.71584 + 1.15730 + 1.02816 + 2.60085 = 7.50215: safe.
    """
    bankrupt = z2(
        current_assets=339.0,
        current_liabilities=400.0,
        retained_earnings=-626.0,
        ebit=-318.0,
        equity=401.0 * 713.8 / 1000.0,
        total_assets=1000.0,
        total_liabilities=713.8,
    )
    assert bankrupt[0] == pytest.approx(-4.15683, abs=1e-9)
    assert bankrupt[1] == "distress"
    healthy = z2(
        current_assets=614.0,
        current_liabilities=200.0,
        retained_earnings=355.0,
        ebit=153.0,
        equity=2.477 * 287.7,
        total_assets=1000.0,
        total_liabilities=287.7,
    )
    assert healthy[0] == pytest.approx(7.50215, abs=1e-9)
    assert healthy[1] == "safe"


def test_hand_worked_balance_sheets():
    """A firm of total assets 1000: current assets 400, current liabilities 300
    (X1 = 0.1), retained earnings 200 (X2 = 0.2), EBIT 100 (X3 = 0.1), equity 400 and
    liabilities 600 (X4 = 2/3): Z'' = 0.656 + 0.652 + 0.672 + 0.7 = 2.68, just safe.
    The same firm with a loss, EBIT −50 and retained earnings −100: Z'' = 0.656 − 0.326
    − 0.336 + 0.7 = 0.694, distress."""
    assert z2(
        current_assets=400,
        current_liabilities=300,
        retained_earnings=200,
        ebit=100,
        equity=400,
        total_assets=1000,
        total_liabilities=600,
    ) == (pytest.approx(2.68), "safe")
    assert z2(
        current_assets=400,
        current_liabilities=300,
        retained_earnings=-100,
        ebit=-50,
        equity=400,
        total_assets=1000,
        total_liabilities=600,
    ) == (pytest.approx(0.694), "distress")


def test_negative_equity_and_missing_or_zero_denominators():
    """Equity below zero is allowed (a deeply distressed firm); no liabilities or no
    assets make X4 or X1–X3 meaningless, so Z'' is not computable rather than ∞."""
    value, zone = z2(
        current_assets=200,
        current_liabilities=900,
        retained_earnings=-500,
        ebit=-80,
        equity=-200,
        total_assets=1000,
        total_liabilities=1200,
    )
    assert value == pytest.approx(6.56 * -0.7 + 3.26 * -0.5 + 6.72 * -0.08 + 1.05 * (-200 / 1200))
    assert zone == "distress"
    for total_assets, total_liabilities in ((1000, 0), (0, 600), (float("nan"), 600)):
        value, zone = z2(
            current_assets=400,
            current_liabilities=300,
            retained_earnings=200,
            ebit=100,
            equity=400,
            total_assets=total_assets,
            total_liabilities=total_liabilities,
        )
        assert pd.isna(value) and pd.isna(zone)
