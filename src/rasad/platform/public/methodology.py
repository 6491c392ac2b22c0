"""A published edition's method in words, generated from the methodology text the
edition stored (what the public reads is what was run): for its page and for the
edition report's PDF."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _

from rasad.platform.language import current
from rasad.platform.public import data
from rasad.platform.public.labels import band_label, direction_label, group_label, unit_label
from rasad.platform.rankings import coverage
from rasad.platform.rankings.models import Edition
from rasad.platform.web.templatetags.rasad_format import num, percent


def describe_steps(method) -> list[dict]:
    """Each step of the methodology in words, with its parameters as stored."""
    steps = [
        {"key": "impute", "title": _("Imputation"), "text": _impute(method), "spec": method.impute},
        {"key": "screen", "title": _("Screening"), "text": _screen(method), "spec": method.screen},
        {
            "key": "treat",
            "title": _("Outlier treatment"),
            "text": _treat(method),
            "spec": method.treat,
        },
        {
            "key": "normalise",
            "title": _("Normalisation"),
            "text": _normalise(method.normalise),
            "spec": method.normalise,
        },
        {
            "key": "weights",
            "title": _("Weights"),
            "text": _weights(method.weights),
            "spec": method.weights,
        },
        {
            "key": "aggregate",
            "title": _("Aggregation"),
            "text": _aggregate(method.aggregate),
            "spec": method.aggregate,
        },
    ]
    rescale = method.rescale
    if rescale is not None:
        steps.append(
            {
                "key": "rescale",
                "title": _("Standing within the group"),
                "text": _rescale(rescale),
                "spec": rescale,
            }
        )
    for step in steps:
        step["params"] = [(k, v) for k, v in dataclasses.asdict(step["spec"]).items()]
    return steps


def _impute(method) -> str:
    impute = method.impute
    if impute.method == "none":
        # what happens to a blank then is the normalisation's rule, or the aggregation's
        return coverage.treatment(method)
    if impute.method in ("mean", "median"):
        return _("A missing figure is replaced by the %(stat)s of all enterprises.") % {
            "stat": _("mean") if impute.method == "mean" else _("median")
        }
    return _(
        "A missing figure is replaced by the %(stat)s of the enterprise's group (%(group)s)."
    ) % {
        "stat": _("mean") if impute.method == "group_mean" else _("median"),
        "group": group_label(impute.by),
    }


def _screen(method) -> str:
    screen = method.screen
    return (
        _("Enterprises reporting fewer than %(share)s of the indicators are not ranked.")
        % {"share": percent(screen.min_coverage)}
        if screen.min_coverage
        else _("No enterprise is screened out for missing data.")
    )


def _treat(method) -> str:
    treat = method.treat
    if treat.method != "winsorise":
        return _("Outliers are not treated.")
    text = _(
        "An indicator whose skewness exceeds %(skew)s and kurtosis exceeds %(kurtosis)s is "
        "winsorised, at most %(winmax)s values; if that does not tame it, it is %(fallback)s."
    ) % {
        "skew": num(treat.skew, 1),
        "kurtosis": num(treat.kurtosis, 1),
        "winmax": num(treat.winmax),
        "fallback": _("log-transformed") if treat.fallback == "log" else _("left as it is"),
    }
    exempt = [i.code for i in method.indicators if not i.treat]
    if exempt:
        text += " " + _("Exempt (counts and yes/no): %(codes)s.") % {
            "codes": data.list_separator().join(exempt)
        }
    return text


def _normalise(norm) -> str:
    names = {
        "minmax": _("min–max rescaling onto %(low)s–%(high)s")
        % {"low": num(norm.range[0]), "high": num(norm.range[1])},
        "zscore": _("z-scores (mean %(mean)s, standard deviation %(sd)s)")
        % {"mean": num(norm.mean), "sd": num(norm.sd)},
        "goalposts": _("distance between fixed goalposts"),
        "rank": _("ranks"),
        "percentile_rank": _("percentile ranks"),
        "percentile": _(
            "percentiles within the reference group (the share of it below the value, plus half "
            "the share equal to it), on a scale of 0 to %(scale)s"
        )
        % {"scale": num(norm.scale)},
        "distance_to_max": _("distance to the best value"),
        "distance_to_target": _("distance to a target"),
        "fraction_of_max": _("fraction of the best value"),
    }
    text = _(
        "Indicators are put on one scale by %(method)s, in the direction where higher is better."
    ) % {"method": names.get(norm.method, norm.method)}
    if norm.within:
        text += " " + _within_text(norm, group_label(norm.within))
    return text


def _weights(weights) -> str:
    return {
        "explicit": _(
            "The weights written in the tree below, normalised to sum to one within each node."
        ),
        "equal": _("Equal weights within each node."),
        "pca": _("Weights from a principal component analysis of the indicators."),
    }.get(weights.method, weights.method)


def _aggregate(agg) -> str:
    names = {
        "arithmetic": _("a weighted arithmetic mean"),
        "geometric": _("a weighted geometric mean"),
        "harmonic": _("a weighted harmonic mean"),
        "generalised": _("a generalised mean"),
        "borda": _("a weighted Borda count"),
        "copeland": _("Copeland's pairwise method"),
        "topsis": _("TOPSIS"),
    }
    text = _("Each pillar, and then the index, is %(method)s of its children.") % {
        "method": names.get(agg.method, agg.method)
    }
    if agg.min_coverage:
        text += " " + _(
            "An enterprise needs at least %(share)s of a node's children to get its score."
        ) % {"share": percent(agg.min_coverage)}
    return text


def _rescale(rescale) -> str:
    measure = (
        _("percentile")
        if rescale.method == "percentile"
        else _("standing (%(method)s)") % {"method": rescale.method}
    )
    text = _(
        "The index is the enterprise's %(measure)s among the aggregated scores of its "
        "%(group)s, so that every group holds its share of the top places; equal standings "
        "are ordered by the aggregated score."
    ) % {
        "measure": measure,
        "group": group_label(rescale.within) if rescale.within else _("population"),
    }
    if rescale.within:
        text += " " + _within_text(rescale, group_label(rescale.within))
    return text


def _within_text(spec, group: str) -> str:
    """How a step compares enterprises within groups, and what it does with small ones."""
    if not spec.min_group_size:
        return _("Each enterprise is compared within its %(group)s.") % {"group": group}
    if spec.small_groups == "together":
        return _(
            "Each enterprise is compared within its %(group)s; groups smaller than %(n)s are "
            "compared together, as one group."
        ) % {"group": group, "n": num(spec.min_group_size)}
    return _(
        "Each enterprise is compared within its %(group)s; groups smaller than %(n)s are "
        "compared with everyone."
    ) % {"group": group, "n": num(spec.min_group_size)}


def methodology_tree(method) -> list[dict]:
    """The pillars with their children (indicators or sub-nodes), with nominal, in-node
    and effective weights."""
    language = current()
    nodes = {n.code: n for n in method.nodes}
    indicators = {i.code: i for i in method.indicators}
    effective = method.effective_weights()

    def entry(code, siblings_total, depth):
        item = nodes.get(code) or indicators[code]
        out = {
            "code": code,
            "name": item.name.get(language),
            "weight": item.weight,
            "share": item.weight / siblings_total if siblings_total else 0.0,
            "effective": effective.get(code, 0.0),
            "depth": depth,
            "is_node": code in nodes,
        }
        if code in nodes:
            total = sum((nodes.get(c) or indicators[c]).weight for c in item.children)
            out["children"] = [entry(c, total, depth + 1) for c in item.children]
        else:
            out.update(
                indicator=item,
                direction=direction_label(item.direction),
                unit=unit_label(item.unit),
                description=item.description.get(language) if item.description else "",
            )
        return out

    def flatten(item):
        for child in item.get("children", []):
            yield child
            yield from flatten(child)

    root = method.root
    total = sum((nodes.get(c) or indicators[c]).weight for c in root.children)
    pillars = [entry(c, total, 0) for c in root.children]
    for pillar in pillars:
        pillar["rows"] = list(flatten(pillar))
    return pillars


def methodology_page(edition: Edition) -> dict:
    """What the methodology page of a published edition shows."""
    method = data.methodology_of(edition)
    eligibility = [
        {
            "column": group_label(col),
            "values": [band_label(v) if col == "size_class" else str(v) for v in values],
        }
        for col, values in method.eligibility.allowed.items()
    ]
    return {
        "edition": edition,
        "method": method,
        "method_name": method.name.get(current()),
        "verified": data.methodology_verified(edition),
        "tree": methodology_tree(method),
        "indicators": method.indicators,
        "steps": describe_steps(method),
        "eligibility": eligibility,
        "groups": [group_label(g) for g in method.groups],
        "editions": data.editions_menu(),
    }
