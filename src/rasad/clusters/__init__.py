"""Industrial clusters: where they are, how strong and specialised, what they need.

Pure analysis (numpy and pandas, no Django), DataFrames at the edge:

- :func:`firm_figures` — one row per firm with employment, sales and exports of a year
  (a missing figure carried from an earlier return at most ``DEFAULT_MAX_AGE`` years old);
- :func:`location_quotients` — LQ of any measure by ISIC level × province or estate;
- :func:`cluster_stars` — the European Cluster Observatory's size, specialisation and
  focus stars; :func:`compare_clusters` sets them against designated clusters and
  :func:`identified_members` lists the firms of identified ones;
- :func:`ellison_glaeser` — EG γ per sector with a simulated random-placement band;
  :func:`herfindahl`; :func:`krugman` specialisation per region;
- :func:`cluster_profiles` — size, exports, ranking, growth and needs per cluster.

See docs/clusters.md for the formulas, the choices made and the figures on the demo
population.
"""

from rasad.clusters.agglomeration import FLAG_LABELS, ellison_glaeser, herfindahl, krugman
from rasad.clusters.figures import DEFAULT_MAX_AGE, firm_figures
from rasad.clusters.profiles import ClusterProfiles, cluster_profiles
from rasad.clusters.quotients import location_quotients
from rasad.clusters.stars import (
    STATUS_LABELS,
    cluster_stars,
    compare_clusters,
    identified_members,
)

__all__ = [
    "DEFAULT_MAX_AGE",
    "FLAG_LABELS",
    "STATUS_LABELS",
    "ClusterProfiles",
    "cluster_profiles",
    "cluster_stars",
    "compare_clusters",
    "ellison_glaeser",
    "firm_figures",
    "herfindahl",
    "identified_members",
    "krugman",
    "location_quotients",
]
