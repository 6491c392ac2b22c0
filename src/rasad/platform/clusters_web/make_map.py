"""Convert the province outlines of @persian-tools/persian-tools into static SVG paths.

Run once (the output is committed)::

    cd /tmp && npm pack @persian-tools/persian-tools
    .venv/bin/python -m rasad.platform.clusters_web.make_map \\
        /tmp/persian-tools-persian-tools-4.0.4.tgz

The package's build holds the outlines as a GeoJSON object literal (``GeoJSONData``) in
``build/persian-tools.cjs``; this reads it without running any JavaScript, matches each
feature to a province code with ``rasad.iran.find_province`` and writes
``static/clusters_web/provinces.json``: the viewBox and one SVG path per province code,
projected equirectangularly (longitude scaled by cos 32°), rounded to 0.1 units.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tarfile
from pathlib import Path

from rasad.iran import find_province

OUT = Path(__file__).parent / "static" / "clusters_web" / "provinces.json"
SCALE = 40.0  # SVG units per degree of latitude
ASPECT = math.cos(math.radians(32.0))
# the package's English spellings that find_province does not know
ALIASES = {
    "Chahar Mahalland Bakhtiari": "Chaharmahal and Bakhtiari",
    "Kohgiluyehand Buyer Ahmad": "Kohgiluyeh and Boyer-Ahmad",
    "Kordestan": "Kurdistan",
    "Esfahan": "Isfahan",
    "Ardebil": "Ardabil",
    "East Azarbaijan": "East Azerbaijan",
    "West Azarbaijan": "West Azerbaijan",
}


def geojson(source: str) -> dict:
    """The ``GeoJSONData`` literal of the package's CommonJS build, as JSON."""
    with tarfile.open(source) as tar:
        text = tar.extractfile("package/build/persian-tools.cjs").read().decode()
    start = text.index("GeoJSONData=") + len("GeoJSONData=")
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    literal = re.sub(r"([{,])([A-Za-z_$][\w$]*):", r'\1"\2":', text[start : end + 1])
    return json.loads(literal)


def convert(data: dict) -> dict:
    features = data["features"]
    lons = [
        p[0]
        for f in features
        for poly in f["geometry"]["coordinates"]
        for ring in poly
        for p in ring
    ]
    lats = [
        p[1]
        for f in features
        for poly in f["geometry"]["coordinates"]
        for ring in poly
        for p in ring
    ]
    west, north = min(lons), max(lats)
    width = (max(lons) - west) * ASPECT * SCALE
    height = (north - min(lats)) * SCALE
    paths = {}
    for feature in features:
        name = feature["properties"]["name:en"]
        code = int(find_province(ALIASES.get(name, name)).code)
        parts = []
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                points = []
                for lon, lat in ring:
                    point = (
                        round((lon - west) * ASPECT * SCALE, 1),
                        round((north - lat) * SCALE, 1),
                    )
                    if not points or point != points[-1]:
                        points.append(point)
                if len(points) >= 3:
                    parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
        paths[str(code)] = {
            "name_fa": feature["properties"]["name"],
            "name_en": name,
            "d": "".join(parts),
        }
    if len(paths) != 31:
        raise SystemExit(f"expected 31 provinces, found {len(paths)}")
    return {
        "viewbox": f"0 0 {width:.0f} {height:.0f}",
        "provinces": dict(sorted(paths.items(), key=lambda p: int(p[0]))),
    }


if __name__ == "__main__":
    OUT.write_text(
        json.dumps(convert(geojson(sys.argv[1])), ensure_ascii=False, separators=(",", ":"))
    )
    print(OUT, OUT.stat().st_size)
