"""Geometry of areas and positions, with shapely.

Distances use a local equirectangular projection centred on the geometry at hand: within a
district (tens of kilometres) its error is far below GPS noise, and it needs no projection
database (pyproj would, for no gain at this scale).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from shapely import Point, Polygon, transform
from shapely.validation import explain_validity

from app.errors import N_, Term

EARTH_RADIUS_M = 6_371_008.8
MAX_VERTICES = 500
# what GEOS says is wrong with an outline of one ring, as a sentence on a page says it
INVALID_REASONS = {
    "Self-intersection": N_("its edges cross"),
    "Ring Self-intersection": N_("it touches itself at a corner"),
    "Too few points in geometry component": N_("it has too few distinct points"),
}


class AreaInvalid(ValueError):
    """The outline is not a usable polygon; `template` and `values` say why (str() is the
    English text), for a refusal pages can say in the reader's language."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template % values if values else template)
        self.template = template
        self.values = values


def to_polygon(points: Sequence[Sequence[float]]) -> Polygon:
    """Build a valid polygon from [lon, lat] points, or raise AreaInvalid saying why."""
    if not isinstance(points, Sequence) or not 3 <= len(points) <= MAX_VERTICES:
        raise AreaInvalid(N_("An area needs 3 to %(max)s [lon, lat] points."), max=MAX_VERTICES)
    coords = []
    for point in points:
        if (not isinstance(point, Sequence) or len(point) != 2
                or not all(isinstance(v, int | float) and math.isfinite(v) for v in point)):
            raise AreaInvalid(N_("Each point must be [lon, lat] in degrees."))
        lon, lat = float(point[0]), float(point[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise AreaInvalid(N_("[%(lon)s, %(lat)s] is not a longitude/latitude pair."),
                              lon=lon, lat=lat)
        coords.append((lon, lat))
    polygon = Polygon(coords)
    if not polygon.is_valid:
        reason, bracket, where = explain_validity(polygon).partition("[")
        raise AreaInvalid(N_("The outline is not a simple polygon: %(reason)s%(where)s."),
                          reason=Term(reason, INVALID_REASONS), where=bracket + where)
    if polygon.area == 0:
        raise AreaInvalid(N_("The outline encloses no area."))
    return polygon


def _local_metres(lon0: float, lat0: float) -> Callable[[np.ndarray], np.ndarray]:
    """A projection of [lon, lat] arrays to metres east and north of a centre point."""
    scale = np.array([math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(lat0)),
                      math.radians(1) * EARTH_RADIUS_M])
    origin = np.array([lon0, lat0])

    def project(coords: np.ndarray) -> np.ndarray:
        return (coords - origin) * scale

    return project


def contains(polygon: Polygon, lon: float, lat: float) -> bool:
    """Tell whether a position lies in (or on the edge of) an area."""
    return polygon.covers(Point(lon, lat))


def distance_m(polygon_or_point: Polygon | Point, lon: float, lat: float) -> float:
    """Metres from a position to a geometry (0 inside an area)."""
    project = _local_metres(lon, lat)
    return float(transform(polygon_or_point, project).distance(Point(0, 0)))


def point_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two positions."""
    return distance_m(Point(lon2, lat2), lon1, lat1)


def overlap_m2(a: Polygon, b: Polygon) -> float:
    """Square metres two areas share."""
    shared = a.intersection(b)
    if shared.is_empty:
        return 0.0
    centre = shared.centroid
    return float(transform(shared, _local_metres(centre.x, centre.y)).area)


@dataclass(frozen=True)
class Viewport:
    """Map lon/lat onto an SVG viewBox (north up, x scaled by cos(latitude))."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    width: float = 1000.0

    @property
    def _kx(self) -> float:
        return math.cos(math.radians((self.min_lat + self.max_lat) / 2))

    @property
    def height(self) -> float:
        span_x = (self.max_lon - self.min_lon) * self._kx
        return round(self.width * (self.max_lat - self.min_lat) / span_x, 1) if span_x else 1.0

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """SVG coordinates of a position."""
        x = (lon - self.min_lon) / (self.max_lon - self.min_lon) * self.width
        y = (self.max_lat - lat) / (self.max_lat - self.min_lat) * self.height
        return round(x, 1), round(y, 1)

    def points(self, ring: Sequence[Sequence[float]]) -> str:
        """An SVG `points` attribute for a ring of [lon, lat]."""
        return " ".join("{},{}".format(*self.xy(lon, lat)) for lon, lat in ring)


def viewport_for(positions: Sequence[tuple[float, float]], margin: float = 0.08,
                 fallback: tuple[float, float, float, float] = (115.42, 38.82, 115.58, 38.92),
                 ) -> Viewport:
    """Fit a viewport around positions, with a margin; a district default when empty."""
    if not positions:
        return Viewport(*fallback)
    lons = [p[0] for p in positions]
    lats = [p[1] for p in positions]
    span = max(max(lons) - min(lons), max(lats) - min(lats), 0.002)
    pad = span * margin
    return Viewport(min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)
