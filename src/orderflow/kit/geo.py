"""Points on the map: great-circle distance and locating a shipping address.

``locate`` prefers the address's own ``lat``/``lng``; otherwise it falls back on a built-in table
of ZIP centroids for the Chicago metro (the demo area). Anything else is not located (``None``),
and validation asks for coordinates or a ZIP we know.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0) or not (-180.0 <= self.lng <= 180.0):
            raise ValueError(f"({self.lat}, {self.lng}) is not a latitude/longitude pair")


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance in kilometres (mean Earth radius)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# Approximate centroids of the ZIP codes of the demo area (Chicago and its inner suburbs).
ZIP_CENTROIDS: Mapping[str, Point] = {
    "60601": Point(41.8858, -87.6181),
    "60602": Point(41.8829, -87.6292),
    "60603": Point(41.8798, -87.6285),
    "60604": Point(41.8782, -87.6330),
    "60605": Point(41.8677, -87.6176),
    "60606": Point(41.8820, -87.6378),
    "60607": Point(41.8746, -87.6510),
    "60608": Point(41.8476, -87.6700),
    "60609": Point(41.8128, -87.6511),
    "60610": Point(41.9036, -87.6345),
    "60611": Point(41.8967, -87.6205),
    "60612": Point(41.8804, -87.6875),
    "60613": Point(41.9543, -87.6575),
    "60614": Point(41.9228, -87.6533),
    "60615": Point(41.8022, -87.6027),
    "60616": Point(41.8447, -87.6271),
    "60617": Point(41.7256, -87.5563),
    "60618": Point(41.9464, -87.7042),
    "60619": Point(41.7459, -87.6053),
    "60620": Point(41.7412, -87.6541),
    "60621": Point(41.7764, -87.6398),
    "60622": Point(41.9023, -87.6834),
    "60623": Point(41.8490, -87.7173),
    "60624": Point(41.8805, -87.7228),
    "60625": Point(41.9715, -87.7013),
    "60626": Point(42.0092, -87.6688),
    "60628": Point(41.6934, -87.6243),
    "60629": Point(41.7757, -87.7111),
    "60630": Point(41.9700, -87.7602),
    "60631": Point(41.9951, -87.8083),
    "60632": Point(41.8094, -87.7105),
    "60633": Point(41.6640, -87.5615),
    "60634": Point(41.9460, -87.8061),
    "60636": Point(41.7759, -87.6672),
    "60637": Point(41.7815, -87.6030),
    "60638": Point(41.7812, -87.7700),
    "60639": Point(41.9205, -87.7562),
    "60640": Point(41.9719, -87.6624),
    "60641": Point(41.9453, -87.7474),
    "60642": Point(41.9006, -87.6527),
    "60643": Point(41.6996, -87.6628),
    "60644": Point(41.8823, -87.7576),
    "60645": Point(42.0086, -87.6947),
    "60646": Point(41.9932, -87.7596),
    "60647": Point(41.9207, -87.7017),
    "60649": Point(41.7634, -87.5700),
    "60651": Point(41.9024, -87.7413),
    "60652": Point(41.7455, -87.7135),
    "60653": Point(41.8196, -87.6126),
    "60654": Point(41.8923, -87.6373),
    "60655": Point(41.6946, -87.7037),
    "60656": Point(41.9742, -87.8273),
    "60657": Point(41.9400, -87.6533),
    "60659": Point(41.9910, -87.7035),
    "60660": Point(41.9909, -87.6629),
    "60661": Point(41.8814, -87.6430),
    "60666": Point(41.9786, -87.9048),
    "60707": Point(41.9224, -87.8166),
    "60076": Point(42.0366, -87.7314),
    "60077": Point(42.0339, -87.7571),
    "60201": Point(42.0546, -87.6942),
    "60202": Point(42.0302, -87.6890),
    "60203": Point(42.0491, -87.7172),
    "60301": Point(41.8886, -87.7986),
    "60302": Point(41.8927, -87.7897),
    "60304": Point(41.8727, -87.7891),
    "60305": Point(41.8945, -87.8198),
}

_ZIP = re.compile(r"^\s*(\d{5})(?:[-\s]?\d{4})?\s*$")
_POSTAL_KEYS = ("postalCode", "postal_code", "zip", "zipCode")


def _coordinate(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
    return number if math.isfinite(number) else None


def zip5(address: Mapping[str, Any]) -> str | None:
    """The 5-digit ZIP of an address (``60606`` from ``60606-1234``), if it has one."""
    for key in _POSTAL_KEYS:
        value = address.get(key)
        if isinstance(value, str):
            match = _ZIP.match(value)
            if match:
                return match.group(1)
    return None


def locate(address: Mapping[str, Any]) -> Point | None:
    """Where an address is: its own ``lat``/``lng``, else its ZIP's centroid, else ``None``."""
    lat, lng = _coordinate(address.get("lat")), _coordinate(address.get("lng"))
    if lat is not None and lng is not None:
        try:
            return Point(lat, lng)
        except ValueError:
            return None
    code = zip5(address)
    return ZIP_CENTROIDS.get(code) if code else None
