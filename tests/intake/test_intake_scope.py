"""The sender's scope: an estate manager or an enterprise writes only for its own firms,
and a row outside it blocks the whole file at that row."""

from rasad.intake import Scope, validate_records

OWN, OTHER, NEW = "10380284790", "14007650912", "10320894878"


def scoped(records, scope):
    return validate_records(
        records,
        known_enterprises={OWN, OTHER},
        scope=scope,
        estates=[("E1", "شهرک یک", 7), ("E2", "شهرک دو", 7)],
    )


def test_returns_outside_the_scope_are_refused_at_their_row():
    report = scoped(
        [
            {"national_id": OWN, "period": "1403", "employees": "12"},
            {"national_id": OTHER, "period": "1403", "employees": "۳۰"},
        ],
        Scope(enterprises={OWN}, estates=set()),
    )
    assert report.blocking and report.returns.empty
    [problem] = report.errors
    assert (problem.code, problem.row, problem.field, problem.value) == (
        "scope",
        2,
        "national_id",
        OTHER,
    )
    assert "outside your estates" in problem.message_en and "بیرون از" in problem.message_fa


def test_new_enterprises_only_in_the_managers_estates():
    firm = {
        "national_id": NEW,
        "name_fa": "کارخانه نو",
        "isic_class": "1311",
        "province": "7",
        "period": "1403",
        "employees": "20",
    }
    assert not scoped([firm | {"estate": "E1"}], Scope(enterprises={OWN}, estates={"E1"})).blocking
    report = scoped([firm | {"estate": "E2"}], Scope(enterprises={OWN}, estates={"E1"}))
    assert [p.code for p in report.errors] == ["scope"] and "E2" in report.errors[0].message_en
    # an enterprise user registers nobody
    assert scoped([firm | {"estate": "E1"}], Scope(enterprises={OWN}, estates=set())).blocking


def test_no_scope_means_everything():
    report = scoped([{"national_id": OTHER, "period": "1403", "employees": "5"}], None)
    assert not report.blocking


def test_a_period_that_has_not_begun_is_refused():
    import jdatetime

    future = jdatetime.date.today().year + 1
    report = validate_records(
        [{"national_id": OWN, "period": str(future), "employees": "5"}], known_enterprises={OWN}
    )
    [problem] = report.errors
    assert (problem.code, problem.row, problem.field) == ("period", 1, "period")
    assert "has not begun" in problem.message_en and "هنوز آغاز نشده" in problem.message_fa
