"""The methodology and uncertainty spec shipped with Rasad, as the defaults of a new
edition: the bundled ``sme100`` methodology (stored once, by its content hash) and the
``sme100-uncertainty`` spec."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from rasad.index.methodology import bundled, loads
from rasad.platform.rankings.models import Methodology, content_hash

METHODOLOGY = "sme100"
SPEC = "sme100-uncertainty"


def bundled_text(name: str) -> str:
    return bundled(name).read_text(encoding="utf-8")


def bundled_methodology(user=None) -> Methodology:
    """The stored row of the bundled SME-100 methodology, created on first use."""
    return stored_methodology(bundled_text(METHODOLOGY), METHODOLOGY, user)


def stored_methodology(text: str, source: str, user=None) -> Methodology:
    """The stored row of the methodology file ``text`` (found by its content hash), created
    on first use with the names and version the file gives; a wrong file is refused
    (:class:`~rasad.index.methodology.MethodologyError`, located in ``source``)."""
    found = Methodology.objects.filter(sha256=content_hash(text)).first()
    if found is not None:
        return found
    parsed = loads(text, source=source)
    try:
        with transaction.atomic():
            return Methodology.objects.create(
                text=text,
                name_fa=parsed.name.fa,
                name_en=parsed.name.en,
                version=parsed.version,
                created_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:  # stored by a concurrent request meanwhile
        return Methodology.objects.get(sha256=content_hash(text))


def bundled_spec() -> str:
    return bundled_text(SPEC)
