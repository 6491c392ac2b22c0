"""The indicator catalogue and the methodologies: public."""

from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.pagination import paginate

from rasad.errors import RasadInputError
from rasad.index.methodology import loads
from rasad.platform import datasets
from rasad.platform.api.auth import ANYONE, OPTIONAL_AUTH
from rasad.platform.api.common import ObjectId, Pagination, refuse_unknown
from rasad.platform.api.errors import from_input_error, not_found
from rasad.platform.api.return_schemas import PeriodsOut
from rasad.platform.api.schemas import IndicatorOut, MethodologyDetailOut, MethodologyOut, errors
from rasad.platform.monitoring import compute
from rasad.platform.rankings.models import Methodology
from rasad.platform.returns.models import Indicator

router = Router(auth=ANYONE, tags=["catalogue"])

INDICATOR_FIELDS = (
    "code",
    "name_fa",
    "name_en",
    "unit",
    "kind",
    "min_value",
    "max_value",
    "direction",
    "description_fa",
    "description_en",
)
METHODOLOGY_FIELDS = ("id", "name_fa", "name_en", "version", "sha256", "created_at")


@router.get(
    "/indicators",
    response={200: list[IndicatorOut], **errors()},
    openapi_extra=OPTIONAL_AUTH,
    summary="The indicator catalogue",
)
@paginate(Pagination)
def indicators(request):
    """Every figure a return may hold, with its unit, valid range and direction."""
    refuse_unknown(request)
    return Indicator.objects.order_by("code").values(*INDICATOR_FIELDS)


@router.get(
    "/methodologies",
    response={200: list[MethodologyOut], **errors()},
    openapi_extra=OPTIONAL_AUTH,
    summary="Methodologies",
)
@paginate(Pagination)
def methodologies(request):
    """The stored methodologies, newest first; each is immutable and named by its hash."""
    refuse_unknown(request)
    return Methodology.objects.order_by("-created_at", "-pk").values(*METHODOLOGY_FIELDS)


def tree(text: str) -> tuple[list[dict], list[dict]]:
    """The indicators and the aggregation tree of a methodology file."""
    try:
        methodology = loads(text, source="stored methodology")
    except RasadInputError:  # stored before validation existed: the text still speaks for itself
        return [], []
    indicators = [
        {
            "code": i.code,
            "name_fa": i.name.fa,
            "name_en": i.name.en,
            "direction": i.direction,
            "unit": i.unit,
            "source": i.source,
            "denominator": i.denominator,
            "weight": i.weight,
        }
        for i in methodology.indicators
    ]
    nodes = [
        {
            "code": n.code,
            "name_fa": n.name.fa,
            "name_en": n.name.en,
            "weight": n.weight,
            "children": list(n.children),
        }
        for n in methodology.nodes
    ]
    return indicators, nodes


@router.get(
    "/methodologies/{methodology_id}",
    response={200: MethodologyDetailOut, **errors(404)},
    openapi_extra=OPTIONAL_AUTH,
    summary="A methodology, its file and its hash",
)
def methodology(request, methodology_id: ObjectId):
    refuse_unknown(request)
    found = (
        Methodology.objects.filter(pk=methodology_id).values(*METHODOLOGY_FIELDS, "text").first()
    )
    if found is None:
        raise not_found(_("No such methodology."))
    found["indicators"], found["nodes"] = tree(found["text"])
    return found


@router.get(
    "/periods",
    response={200: PeriodsOut, **errors(404)},
    openapi_extra=OPTIONAL_AUTH,
    summary="Filing coverage by year, and the default period",
)
def periods(request, dataset: str = datasets.NATIONAL):
    """Per year: the enterprises expected to file, those that did and their share; and the
    period pages and commands show when none is named, with why (the latest whose
    coverage is enough). ``dataset`` names a research panel instead of the national
    returns."""
    refuse_unknown(request, "dataset")
    try:
        chosen = datasets.named(dataset)
    except RasadInputError as error:
        raise from_input_error(error, 404) from None
    people = compute.population(chosen)
    default = people.default
    return {
        "dataset": datasets.code_of(chosen),
        "default": {
            "year": default.year,
            "rule": default.rule,
            "reason_fa": default.explain("fa"),
            "reason_en": default.explain("en"),
        },
        "periods": [
            {
                **row,
                "deadline": None
                if row["deadline"] is None or row["deadline"] != row["deadline"]
                else row["deadline"],
            }
            for row in people.coverage.to_dict("records")
        ],
    }
