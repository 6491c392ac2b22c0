"""What a published edition depends on outside its own rows, so that nothing it needs is
deleted under it (issue 16).

The database protects most of it: an edition's period and methodology, and the
enterprises it ranked, are ``PROTECT`` foreign keys, and so are the returns and versions
those rest on. The indicator catalogue is not referenced by any key (a methodology names
figures by code, in its YAML), yet deleting an indicator a published edition's
methodology reads drops that column from the data its league tables are rebuilt from,
and the tables then refuse to serve (409). :func:`editions_reading` finds those
editions; the admin refuses such a delete (:class:`GuardedByPublishedEditions`, which
also says which published editions hold a period, a methodology or an enterprise), and
:func:`refuse_indicator_delete` (a ``pre_delete`` receiver) refuses it from any other
code too.
"""

from __future__ import annotations

import logging

from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from rasad.index.inputs import reported_figures
from rasad.platform.rankings.models import Edition, Methodology
from rasad.platform.registry.models import Enterprise
from rasad.platform.returns.models import Indicator, Period

logger = logging.getLogger(__name__)


def editions_reading(code: str) -> list[Edition]:
    """The published editions whose methodology reads the reported figure ``code``
    (directly, as a denominator or an eligibility column, or through a derived column
    such as real sales growth). A stored methodology that no longer parses is taken to
    read everything: what it needs cannot be told."""
    using = []
    for methodology in Methodology.objects.filter(
        editions__status=Edition.Status.PUBLISHED
    ).distinct():
        try:
            read = reported_figures(methodology.parsed())
        except Exception:  # any failure to read it: keep everything it may need
            logger.exception(
                "the methodology %s could not be read to find the figures it uses", methodology.pk
            )
            read = None
        if read is None or code in read:
            using.append(methodology.pk)
    if not using:
        return []
    return list(
        Edition.objects.published()
        .filter(methodology__in=using)
        .select_related("period")
        .order_by("period__year", "pk")
    )


def reasons(obj) -> list[str]:
    """Why ``obj`` (an indicator, a period, a methodology or an enterprise) may not be
    deleted, one line per published edition that depends on it, in the active language;
    empty when none does."""
    published = Edition.objects.published().select_related("period").order_by("period__year", "pk")
    if isinstance(obj, Indicator):
        return [
            _(
                "The published edition “%(edition)s” (%(period)s) ranks with a methodology that "
                "reads "
                "the indicator %(code)s: deleting it would break that edition's league tables."
            )
            % {"edition": e.name, "period": e.period, "code": obj.code}
            for e in editions_reading(obj.code)
        ]
    if isinstance(obj, Period):
        return [
            _("The published edition “%(edition)s” ranks the returns of this period.")
            % {"edition": e.name}
            for e in published.filter(period=obj)
        ]
    if isinstance(obj, Methodology):
        return [
            _(
                "The published edition “%(edition)s” (%(period)s) was computed with this "
                "methodology."
            )
            % {"edition": e.name, "period": e.period}
            for e in published.filter(methodology=obj)
        ]
    if isinstance(obj, Enterprise):
        return [
            _("The published edition “%(edition)s” (%(period)s) ranks this enterprise.")
            % {"edition": e.name, "period": e.period}
            for e in published.filter(results__enterprise=obj)
        ]
    return []


class GuardedByPublishedEditions:
    """A ``ModelAdmin`` mixin: the delete page (and the bulk delete) of an object a
    published edition depends on names each such edition as the reason the delete is
    refused. The admin's own check lists protected related rows too, but as a lack of
    permission to delete "edition" or "edition result", which says nothing useful to an
    administrator; so the permissions it asks for are not shown when the delete is
    refused anyway."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        why = [reason for obj in objs for reason in reasons(obj)]
        if why:
            return deleted, counts, set(), [*why, *protected]
        return deleted, counts, perms_needed, protected


@receiver(pre_delete, sender=Indicator)
def refuse_indicator_delete(sender, instance: Indicator, **kwargs) -> None:
    editions = editions_reading(instance.code)
    if editions:
        raise ProtectedError(reasons(instance)[0], set(editions))
