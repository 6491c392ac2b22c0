"""Bad input is refused with a message in English and Persian that names the field."""

import re

import numpy as np
import pandas as pd
import pytest

from rasad.clusters import (
    cluster_profiles,
    cluster_stars,
    compare_clusters,
    ellison_glaeser,
    firm_figures,
    herfindahl,
    krugman,
    location_quotients,
)
from rasad.errors import RasadInputError

PERSIAN = re.compile("[\u0600-\u06ff]")
FIRMS = pd.DataFrame(
    {
        "national_id": ["a", "b", "c", "d"],
        "isic_class": ["1312", "1312", "2392", "2392"],
        "province_code": [21, 3, 21, 3],
        "estate_code": ["E1", None, "E2", ""],
        "employees": [10.0, 20.0, 30.0, 40.0],
        "label": ["x", "y", "z", "w"],
    }
)


def _refused(field, call, *args, **kwargs):
    with pytest.raises(RasadInputError) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert error.field == field, (error.field, error.message_en)
    assert error.message_en and PERSIAN.search(error.message_fa), error.message_fa
    assert error.message("fa") == error.message_fa
    return error


def _with(**changes):
    return FIRMS.assign(**changes)


def _stars():
    return cluster_stars(location_quotients(FIRMS), min_enterprises=1)


@pytest.mark.parametrize(
    ("field", "firms", "kwargs"),
    [
        ("firms", [1, 2], {}),
        ("isic_class", FIRMS.drop(columns="isic_class"), {}),
        ("isic_class", _with(isic_class=["1312", "9999", "2392", "2392"]), {}),
        ("isic_class", _with(isic_class=["1312", None, "2392", "2392"]), {}),
        ("isic_class", _with(isic_class=["13", "1312", "2392", "2392"]), {"level": "group"}),
        ("province_code", _with(province_code=[21, 45, 21, 3]), {}),
        ("province_code", _with(province_code=[21, "Atlantis", 21, 3]), {}),
        ("province_code", _with(province_code=[21.0, np.nan, 21.0, 3.0]), {}),
        ("employees", _with(employees=[10.0, -1.0, 3.0, 4.0]), {}),
        ("employees", _with(employees=[10.0, np.inf, 3.0, 4.0]), {}),
        ("label", FIRMS, {"measure": "label"}),
        ("sales", FIRMS, {"measure": "sales"}),
        ("measure", FIRMS, {"measure": 3}),
        ("level", FIRMS, {"level": None}),
        ("city", FIRMS, {"region": "city"}),
        ("region", FIRMS, {"region": ""}),
    ],
)
def test_location_quotients_refuses(field, firms, kwargs):
    _refused(field, location_quotients, firms, **kwargs)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("size_top", {"size_top": 0}),
        ("size_top", {"size_top": 1.5}),
        ("focus_top", {"focus_top": "10%"}),
        ("min_lq", {"min_lq": -1}),
        ("min_value", {"min_value": -5}),
        ("min_enterprises", {"min_enterprises": 2.5}),
        ("min_enterprises", {"min_enterprises": -1}),
        ("focus_within", {"focus_within": "region"}),
    ],
)
def test_cluster_stars_refuses(field, kwargs):
    _refused(field, cluster_stars, location_quotients(FIRMS), **kwargs)


def test_stars_need_a_quotient_table():
    _refused("lq", cluster_stars, FIRMS)
    _refused(
        "share_of_region", cluster_stars, location_quotients(FIRMS).drop(columns="share_of_region")
    )


def test_compare_clusters_refuses():
    designated = pd.DataFrame({"code": ["K"], "province_code": [21], "division": ["13"]})
    _refused("division", compare_clusters, _stars(), designated.drop(columns="division"))
    _refused("min_stars", compare_clusters, _stars(), designated, min_stars=4)
    _refused("province_code", compare_clusters, _stars(), designated.assign(province_code=["Yazd"]))
    _refused("designated", compare_clusters, _stars(), "C01")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("draws", {"draws": -1}),
        ("draws", {"draws": 10**7}),
        ("band", {"band": (0.9, 0.1)}),
        ("band", {"band": 0.05}),
        ("seed", {"seed": -3}),
        ("region_totals", {"region_totals": {21: 100}}),
        ("region_totals", {"region_totals": {21: 100, 3: -1}}),
    ],
)
def test_ellison_glaeser_refuses(field, kwargs):
    _refused(field, ellison_glaeser, FIRMS, **kwargs)


def test_ellison_glaeser_needs_some_employment():
    _refused("employees", ellison_glaeser, _with(employees=[0.0, 0.0, np.nan, 0.0]))


def test_ellison_glaeser_says_which_region_is_missing_and_why_nothing_is_measured():
    # FIRMS are in provinces 21 and 3 (East Azerbaijan): 3 has no total
    error = _refused("region_totals", ellison_glaeser, FIRMS, region_totals={21: 100})
    assert error.message_en == (
        "region_totals has no total for province 3 (East Azerbaijan), where plants are."
    )
    assert (
        "«۳ (آذربایجان شرقی)»" in error.message_fa and error.value == 3 and type(error.value) is int
    )
    error = _refused(
        "region_totals", ellison_glaeser, FIRMS, region="estate", region_totals={"E1": 1}
    )
    assert "for estate E2," in error.message_en
    # no firm in any estate: the blank column is named, not the measure
    error = _refused("estate_code", ellison_glaeser, _with(estate_code=[None, "", None, " "]),
                     region="estate")  # fmt: skip
    assert error.message_en.startswith("No firm is in any estate: estate_code is blank")


def test_krugman_and_herfindahl_refuse():
    _refused("reference", krugman, FIRMS, reference="world")
    _refused("values", herfindahl, [1, -2])
    _refused("groups", herfindahl, [1, 2], groups=["a"])


def test_firm_figures_refuses():
    enterprises = FIRMS[["national_id", "isic_class", "province_code"]]
    returns = pd.DataFrame(
        {
            "national_id": ["a", "a"],
            "year": [1403, 1403],
            "employees": [1.0, 2.0],
            "sales": [1.0, 1.0],
            "exports": [0.0, 0.0],
        }
    )
    _refused("national_id", firm_figures, enterprises, returns)  # two rows for a in 1403
    _refused("national_id", firm_figures, pd.concat([enterprises, enterprises]), returns.iloc[:1])
    _refused("year", firm_figures, enterprises, returns.iloc[:1], year="1403")
    _refused("exports", firm_figures, enterprises, returns.drop(columns="exports"))
    _refused("employees", firm_figures, FIRMS, returns.iloc[:1])  # already has employees
    _refused("year", firm_figures, enterprises, returns.iloc[:0])
    _refused("returns", firm_figures, enterprises, None)


def test_returns_with_blank_ids_meet_no_firm():
    """A return without a national ID belongs to no registered firm, whether the registry
    is empty or not: it is left out, as an unregistered firm's is."""
    enterprises = FIRMS[["national_id", "isic_class", "province_code"]]
    returns = pd.DataFrame(
        {"national_id": [None, np.nan], "year": [1403, 1403], "employees": [3.0, 4.0],
         "sales": [1.0, 1.0], "exports": [0.0, 0.0]}
    )  # fmt: skip
    assert firm_figures(enterprises.iloc[:0], returns, year=1403).empty
    figures = firm_figures(enterprises, returns, year=1403)
    assert len(figures) == len(enterprises) and figures["employees"].isna().all()


def test_cluster_profiles_refuses():
    enterprises = FIRMS[["national_id"]]
    returns = pd.DataFrame(
        {
            "national_id": ["a", "b"],
            "year": [1403, 1403],
            "employees": [1.0, 2.0],
            "sales": [1.0, 1.0],
            "exports": [0.0, 0.0],
        }
    )
    members = pd.DataFrame({"cluster_code": ["K", "K"], "national_id": ["a", "b"]})
    _refused(
        "national_id",
        cluster_profiles,
        enterprises,
        returns,
        members.assign(national_id=["a", "zz"]),
    )
    _refused(
        "cluster_code", cluster_profiles, enterprises, returns, members.drop(columns="cluster_code")
    )
    _refused(
        "score",
        cluster_profiles,
        enterprises,
        returns,
        members,
        scores=pd.DataFrame({"national_id": ["a"], "points": [1.0]}),
    )
    _refused(
        "finance",
        cluster_profiles,
        enterprises,
        returns,
        members,
        needs=pd.DataFrame({"national_id": ["a"], "finance": ["yes"]}),
    )
    _refused("top", cluster_profiles, enterprises, returns, members, top=0)
    _refused(
        "code",
        cluster_profiles,
        enterprises,
        returns,
        members,
        clusters=pd.DataFrame({"name": ["x"]}),
    )
    profiles = cluster_profiles(enterprises, returns, members, real=False)
    _refused("cluster_code", profiles.profile, "nope")


def test_members_without_returns_have_no_latest_year():
    """The returns are not empty, the members' are: the message says which, and a year
    given still gives profiles (of members with no figures)."""
    enterprises = FIRMS[["national_id"]]
    returns = pd.DataFrame(
        {"national_id": ["a"], "year": [1403], "employees": [1.0], "sales": [1.0], "exports": [0.0]}
    )
    members = pd.DataFrame({"cluster_code": ["K", "K"], "national_id": ["c", "d"]})
    error = _refused("year", cluster_profiles, enterprises, returns, members)
    assert error.message_en.startswith("None of the clusters' members has a return")
    assert "اعضای خوشه‌ها" in error.message_fa
    error = _refused("year", cluster_profiles, enterprises, returns.iloc[:0], members)
    assert error.message_en.startswith("returns is empty")
    profiles = cluster_profiles(enterprises, returns, members, year=1403, real=False)
    (cluster,) = profiles.summary.to_dict("records")
    assert (cluster["cluster_code"], cluster["enterprises"], cluster["employees"]) == ("K", 2, 0)


@pytest.mark.parametrize("max_age", [-1, 1.5, True, "1", np.nan])
def test_a_bad_age_limit_is_refused(max_age):
    enterprises = FIRMS[["national_id"]]
    returns = pd.DataFrame(
        {"national_id": ["a"], "year": [1403], "employees": [1.0], "sales": [1.0], "exports": [0.0]}
    )
    error = _refused("max_age", firm_figures, enterprises, returns, max_age=max_age)
    assert "max_age" in error.message_en and "max_age" in error.message_fa
    _refused(
        "max_age",
        cluster_profiles,
        enterprises,
        returns,
        pd.DataFrame({"cluster_code": ["K"], "national_id": ["a"]}),
        max_age=max_age,
    )
    # an age column already in the registry would be overwritten: refused, named
    _refused("employees_age", firm_figures, enterprises.assign(employees_age=0), returns)
