"""Schematic but coherent map geometry for the demo data set.

The Qixia Economic Development Zone lies east of Qixia city (Yantai, Shandong). The demo places it
in the box lon 120.85–121.00, lat 37.28–37.38 and cuts that box into six work zones (3 columns ×
2 rows: Z1–Z3 north from west to east, Z4–Z6 south). Zone borders run through a shared, slightly
jittered lattice of nodes, so neighbouring zones share their border exactly: they tile the box and
never overlap.

Inside a zone, an inner rectangle (kept clear of the jittered border) is cut into a 3 × 3 grid:
the centre cell is the zone's town, where its residential compounds sit as small rectangles; the
villages each take one of the other eight cells, inset and jittered a little, so they never touch
each other or the town. Cells no village takes are the industrial park and the hills.

Road checkpoints sit exactly on the zone's outer border (where a road leaves the development zone);
village checkpoints sit at their village's centroid. Everything is deterministic given the
random.Random passed in. Rings are closed and counter-clockwise (RFC 7946).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass

LON_WEST, LON_EAST = 120.85, 121.00
LAT_SOUTH, LAT_NORTH = 37.28, 37.38
STEP = 0.025  # lattice spacing in degrees (two steps per zone side)
COLUMNS, ROWS = 3, 2  # zones
NODE_JITTER = 0.003  # how far a border node may move
ZONE_MARGIN = 0.004  # inner rectangle kept clear of the border (> NODE_JITTER)
VILLAGE_INSET = 0.0012
VILLAGE_JITTER = 0.001  # < VILLAGE_INSET: a village stays inside its cell
TOWN_CELL = (1, 1)
SIDES = ("W", "E", "S", "N")

Point = tuple[float, float]
Ring = list[list[float]]


def _r(value: float) -> float:
    return round(value, 6)


def geojson_polygon(ring: Ring) -> str:
    """The stored form: a GeoJSON Polygon geometry as JSON text."""
    return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))


def centroid(ring: Ring) -> Point:
    """Area centroid of a closed ring (shoelace formula)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    return _r(cx / (6 * area)), _r(cy / (6 * area))


def contains(ring: Ring, point: Point) -> bool:
    """Is the point strictly inside the ring (ray casting; points on the border may go either way)?"""
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _closed(points: list[Point]) -> Ring:
    ring = [[_r(x), _r(y)] for x, y in points]
    return ring + [list(ring[0])]


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    def inset(self, margin: float) -> "Box":
        return Box(self.west + margin, self.south + margin, self.east - margin, self.north - margin)

    def cell(self, col: int, row: int, cols: int = 3, rows: int = 3) -> "Box":
        """Column from the west, row from the south."""
        w, h = (self.east - self.west) / cols, (self.north - self.south) / rows
        return Box(self.west + col * w, self.south + row * h, self.west + (col + 1) * w, self.south + (row + 1) * h)

    @property
    def centre(self) -> Point:
        return (self.west + self.east) / 2, (self.south + self.north) / 2


class Layout:
    """The jittered lattice of zone-border nodes and everything placed on it."""

    def __init__(self, rng: random.Random):
        self.nodes: dict[tuple[int, int], Point] = {}
        for i in range(2 * COLUMNS + 1):
            for j in range(2 * ROWS + 1):
                self.nodes[(i, j)] = (LON_WEST + i * STEP + rng.uniform(-NODE_JITTER, NODE_JITTER),
                                      LAT_SOUTH + j * STEP + rng.uniform(-NODE_JITTER, NODE_JITTER))

    @staticmethod
    def _origin(zone: int) -> tuple[int, int]:
        """Lattice indices of a zone's south-west node; zone 0..5 = Z1..Z6 (Z1–Z3 north, west to east)."""
        col, row_from_north = zone % COLUMNS, zone // COLUMNS
        return 2 * col, 2 * (ROWS - 1 - row_from_north)

    def zone_ring(self, zone: int) -> Ring:
        i, j = self._origin(zone)
        walk = [(i, j), (i + 1, j), (i + 2, j), (i + 2, j + 1), (i + 2, j + 2), (i + 1, j + 2), (i, j + 2), (i, j + 1)]
        return _closed([self.nodes[n] for n in walk])

    def zone_box(self, zone: int) -> Box:
        """The zone's inner rectangle: inside its jittered border whatever the jitter."""
        i, j = self._origin(zone)
        box = Box(LON_WEST + i * STEP, LAT_SOUTH + j * STEP, LON_WEST + (i + 2) * STEP, LAT_SOUTH + (j + 2) * STEP)
        return box.inset(ZONE_MARGIN)

    def outer_sides(self, zone: int) -> set[str]:
        col, row_from_north = zone % COLUMNS, zone // COLUMNS
        sides = set()
        if col == 0:
            sides.add("W")
        if col == COLUMNS - 1:
            sides.add("E")
        if row_from_north == 0:
            sides.add("N")
        if row_from_north == ROWS - 1:
            sides.add("S")
        return sides

    def border_point(self, zone: int, side: str, segment: int, t: float) -> Point:
        """A point on one of the two segments of a zone side (exactly on the zone's border)."""
        i, j = self._origin(zone)
        a, b = {
            "W": ((i, j + segment), (i, j + segment + 1)),
            "E": ((i + 2, j + segment), (i + 2, j + segment + 1)),
            "S": ((i + segment, j), (i + segment + 1, j)),
            "N": ((i + segment, j + 2), (i + segment + 1, j + 2)),
        }[side]
        (x0, y0), (x1, y1) = self.nodes[a], self.nodes[b]
        return _r(x0 + t * (x1 - x0)), _r(y0 + t * (y1 - y0))


def village_cells(rng: random.Random, count: int) -> list[tuple[int, int]]:
    """`count` of the eight cells around the town, in a stable reading order (north-west first)."""
    cells = [(c, r) for r in range(3) for c in range(3) if (c, r) != TOWN_CELL]
    chosen = rng.sample(cells, count)
    return sorted(chosen, key=lambda cell: (-cell[1], cell[0]))


def village_ring(rng: random.Random, cell: Box) -> Ring:
    box = cell.inset(VILLAGE_INSET)
    mx, my = box.centre
    corners = [(box.west, box.south), (mx, box.south), (box.east, box.south), (box.east, my),
               (box.east, box.north), (mx, box.north), (box.west, box.north), (box.west, my)]
    return _closed([(x + rng.uniform(-VILLAGE_JITTER, VILLAGE_JITTER), y + rng.uniform(-VILLAGE_JITTER, VILLAGE_JITTER))
                    for x, y in corners])


def compound_rings(rng: random.Random, town: Box, count: int) -> list[Ring]:
    """Small rectangles in distinct quarters of the town cell."""
    quarters = [town.cell(c, r, 2, 2) for r in (1, 0) for c in (0, 1)]
    rings = []
    for quarter in sorted(rng.sample(quarters, count), key=lambda q: (-q.south, q.west)):
        cx, cy = quarter.centre
        hw, hh = rng.uniform(0.0018, 0.0026), rng.uniform(0.0014, 0.0022)
        corners = [(cx - hw, cy - hh), (cx + hw, cy - hh), (cx + hw, cy + hh), (cx - hw, cy + hh)]
        rings.append(_closed([(x + rng.uniform(-0.0003, 0.0003), y + rng.uniform(-0.0003, 0.0003)) for x, y in corners]))
    return rings
