"""Reference tables (provinces, ISIC, the indicator catalogue) kept equal to the package data.

They are synchronised after every ``migrate`` so that a fresh database, a test database
and an upgraded installation all hold the same reference rows without a manual step.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from rasad.iran.geo import isic, provinces
from rasad.methodologies import load_catalogue


def sync_reference_data(**_kwargs) -> None:
    from rasad.platform.registry.models import Province, Sector
    from rasad.platform.returns.models import Indicator

    with transaction.atomic():
        _upsert(
            Province,
            "code",
            (
                {"code": int(r.code), "iso": r.iso, "name_fa": r.name_fa, "name_en": r.name_en}
                for r in provinces().itertuples()
            ),
        )
        table = isic().fillna("")
        sectors: dict[str, Sector] = {}
        for level in Sector.Level.values:  # sections first: every parent exists before its children
            rows = table[table.level == level]
            saved = _upsert(
                Sector,
                "code",
                (
                    {
                        "code": r.code,
                        "level": r.level,
                        "section": r.section,
                        "title_en": r.title_en,
                        "title_fa": r.title_fa,
                        "parent": sectors.get(r.parent),
                    }
                    for r in rows.itertuples()
                ),
            )
            sectors.update((sector.code, sector) for sector in saved)
        _upsert(
            Indicator,
            "code",
            (
                {
                    "code": s.code,
                    "name_fa": s.name_fa,
                    "name_en": s.name_en,
                    "unit": s.unit,
                    "kind": s.kind,
                    "min_value": s.min_value,
                    "max_value": s.max_value,
                    "direction": s.direction,
                    "description_fa": s.description_fa,
                    "description_en": s.description_en,
                }
                for s in load_catalogue()
            ),
        )


def _upsert(model, key: str, rows: Iterable[dict]) -> list:
    """Create missing rows and update changed ones; untouched rows cost one read."""
    rows = list(rows)
    existing = model.objects.in_bulk([row[key] for row in rows], field_name=key)
    saved = []
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            obj = model.objects.create(**row)
        elif any(getattr(obj, k) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(obj, k, v)
            obj.save()
        saved.append(obj)
    return saved
