"""Complex fault sources: floating ruptures on a fault mesh stretched between 3-D edges.

Fault surface
-------------
The edges (top, intermediate, bottom; each a 3-D polyline along strike) are meshed with
:func:`~toolkit.engine.hazard.complex_fault.complex_fault_mesh` at the spacing
``complex_fault_mesh_spacing`` of the job (which defaults to ``rupture_mesh_spacing``). The mesh
has ``ny`` rows down dip and ``nx`` columns along strike, hence ``ny - 1`` by ``nx - 1`` cells.

Cells
-----
Every cell (four neighbouring nodes, Earth-centred Cartesian coordinates with radius
``R - depth``) has a *length*, the mean of the 3-D lengths of its top and bottom sides, and an
*area*, the sum of the areas of the two triangles (top-left, top-right, bottom-left) and
(bottom-right, bottom-left, top-right).

Floating ruptures (OpenQuake's scheme for complex faults)
--------------------------------------------------------
For a magnitude with median area :math:`A` (km2, from the MSR) and aspect ratio :math:`a`, the
target length is :math:`L = \\sqrt{A a}`. If :math:`A` is at least the area of the whole mesh,
the single rupture is the whole mesh. Otherwise ruptures are placed at every cell ``(r, c)``,
row by row from the top, column by column along strike:

1. *columns*: the rupture spans the cells ``c .. c + j`` of row ``r`` whose accumulated length
   is closest to :math:`L` (the first on ties). If even all the remaining cells of the row are
   shorter than :math:`L`, the rupture does not fit along strike: from a column other than the
   first, the rest of the row is skipped; from the first column it spans the whole row.
2. *rows*: with those columns, the rupture spans the rows ``r .. r + k`` whose accumulated area
   (of the cells in those columns) is closest to :math:`A`. If even all the remaining rows give
   less than :math:`A`, the rupture does not fit down dip. In the top row it is then stretched
   along strike instead: all the rows, and the columns from ``c`` whose accumulated full-height
   area is closest to :math:`A`; if that does not fit either, the placement stops (no more
   ruptures for this magnitude). In a lower row the rupture keeps the rows down to the bottom
   (it is smaller than :math:`A`) and column ``c`` is not used as a start in the rows below.
3. identical windows are counted once.

The magnitude's annual rate is shared equally among its windows. The hypocentre is the middle
of the window (:meth:`~toolkit.engine.hazard.surfaces.FaultMesh.window_middle`). Strike and dip
are the area-weighted means over the window's cells, the width the length-weighted mean width
of its cell columns (:class:`ComplexWindowSurfaces`), ``ztor`` the smallest depth of its top
row.

These are the rules of OpenQuake's complex fault source (Pagani et al. 2014) as observed on its
outputs (the windows of OpenQuake 3.26 agree one by one on straight, bent and curved meshes).
On a rectangular mesh of spacing :math:`s` they give the simple-fault windows (``round(L/s) + 1``
nodes along strike, ``round(W/s) + 1`` down dip, every position) when the rupture is a little
shorter than the whole cells it spans along strike and a little larger in area than the cells
it covers. Otherwise they differ at the borders: a rupture longer than its cells loses its last
position along strike (it "does not fit"), and one whose cells hold at least its area, once it
reaches the bottom, adds one smaller window per column one row lower. Accumulated lengths and
areas are taken as differences of prefix sums (vectorised), so a candidate exactly tied with
another at rounding level may be chosen differently from OpenQuake's running sums; rupture
counts of OpenQuake's QA complex faults (classical cases 42, 88, 89, 90) agree exactly.

References
----------
Pagani, M., et al. (2014). OpenQuake Engine: An open hazard (and risk) software for the Global
Earthquake Model. Seismological Research Letters 85(3), 692-702.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

import numpy as np

from toolkit.engine.hazard.complex_fault import complex_fault_mesh
from toolkit.engine.hazard.geo import bounding_box
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sources.aspect_ratio import aspect_ratios, check_aspect_ratio
from toolkit.engine.hazard.sources.base import (
    BaseSource,
    check_positive,
    check_rake,
    magnitude_bins,
    median_areas,
)
from toolkit.engine.hazard.surfaces import FaultMesh, MeshSurfaces
from toolkit.errors import InputError

__all__ = [
    "ComplexFaultSource",
    "ComplexWindowSurfaces",
    "WindowSurfaces",
    "cell_dimensions",
    "float_windows",
    "mesh_dip",
]


class WindowSurfaces(MeshSurfaces):
    """:class:`~toolkit.engine.hazard.surfaces.MeshSurfaces` whose ``ztor`` is the smallest
    depth of the window's own top-row nodes (the top edge of a complex fault need not be
    horizontal)."""

    @property
    def ztor(self) -> np.ndarray:
        out = np.empty(len(self))
        depths = self.mesh.depths
        for n in np.unique(self.ncols):
            idx = np.flatnonzero(self.ncols == n)
            mins = np.lib.stride_tricks.sliding_window_view(depths, int(n), axis=1).min(-1)
            out[idx] = mins[self.row0[idx], self.col0[idx]]
        return out

    def take(self, index) -> WindowSurfaces:
        return type(self)(
            self.mesh, self.row0[index], self.col0[index], self.nrows[index], self.ncols[index],
            self._dip[index],
        )


class ComplexWindowSurfaces(WindowSurfaces):
    """:class:`WindowSurfaces` of a complex fault mesh, whose ``width`` is OpenQuake's for mesh
    surfaces: the mean over the window's cell columns of the column's down-dip width (the sum
    of its cells' widths, a cell's width being the mean 3-D length of its left and right
    sides), weighted by the column's length (the mean length of its cells, see
    :func:`cell_dimensions`). It differs from the mean length of the node columns when the
    cells are coarse and skewed (13 km on 145 km at 80 km spacing)."""

    @property
    def width(self) -> np.ndarray:
        if "cwidth" not in self._cache:
            self._cache["cwidth"] = _window_widths(self.mesh, self.row0, self.col0,
                                                   self.nrows, self.ncols)
        return self._cache["cwidth"]


def cell_dimensions(mesh: FaultMesh) -> tuple[np.ndarray, np.ndarray]:
    """Lengths and areas of the mesh cells (see the module docstring), each (ny-1, nx-1)."""
    xyz = mesh.xyz
    tl, tr = xyz[:-1, :-1], xyz[:-1, 1:]
    bl, br = xyz[1:, :-1], xyz[1:, 1:]
    top = np.linalg.norm(tr - tl, axis=-1)
    bottom = np.linalg.norm(br - bl, axis=-1)
    area1 = np.linalg.norm(np.cross(tr - tl, bl - tl), axis=-1) / 2.0
    area2 = np.linalg.norm(np.cross(bl - br, tr - br), axis=-1) / 2.0
    return (top + bottom) / 2.0, area1 + area2


def _cell_widths(mesh: FaultMesh) -> np.ndarray:
    """Widths of the mesh cells: the mean 3-D length of their left and right sides."""
    xyz = mesh.xyz
    left = np.linalg.norm(xyz[1:, :-1] - xyz[:-1, :-1], axis=-1)
    right = np.linalg.norm(xyz[1:, 1:] - xyz[:-1, 1:], axis=-1)
    return (left + right) / 2.0


def _window_widths(mesh: FaultMesh, row0, col0, nrows, ncols) -> np.ndarray:
    """Length-weighted mean column widths of mesh windows (see
    :class:`ComplexWindowSurfaces`); windows without cells get the mean node-column length."""
    out = mesh.window_width(row0, nrows).astype(float)
    if min(mesh.shape) < 2:
        return out
    length, _ = cell_dimensions(mesh)
    width = _cell_widths(mesh)
    zeros = np.zeros((1, width.shape[1]))
    cum_w = np.vstack([zeros, np.cumsum(width, axis=0)])  # prefix sums down the columns
    cum_l = np.vstack([zeros, np.cumsum(length, axis=0)])
    has = (nrows > 1) & (ncols > 1)
    keys = np.stack([row0, nrows], axis=1)[has]
    idx_all = np.flatnonzero(has)
    for r0, nr in {tuple(k) for k in keys.tolist()}:
        idx = idx_all[(keys[:, 0] == r0) & (keys[:, 1] == nr)]
        col_w = cum_w[r0 + nr - 1] - cum_w[r0]  # (nx - 1,) column widths for these rows
        col_l = (cum_l[r0 + nr - 1] - cum_l[r0]) / (nr - 1)
        sum_wl = np.concatenate([[0.0], np.cumsum(col_w * col_l)])
        sum_l = np.concatenate([[0.0], np.cumsum(col_l)])
        c0, c1 = col0[idx], col0[idx] + ncols[idx] - 1
        out[idx] = (sum_wl[c1] - sum_wl[c0]) / (sum_l[c1] - sum_l[c0])
    return out


def _closest(acc: np.ndarray, target: float) -> np.ndarray:
    """Index of the value closest to ``target`` along the last axis (first on ties; NaN
    entries are ignored)."""
    return np.argmin(np.where(np.isnan(acc), np.inf, np.abs(acc - target)), axis=-1)


def _suffix_cumsums(values: np.ndarray) -> np.ndarray:
    """``out[..., i, j] = sum(values[..., i:i + j + 1])`` accumulated left to right, NaN where
    ``i + j`` is beyond the end; ``values`` has shape (..., n), the result (..., n, n)."""
    n = values.shape[-1]
    idx = np.arange(n)[:, None] + np.arange(n)[None, :]
    valid = idx < n
    shifted = np.where(valid, values[..., np.minimum(idx, n - 1)], 0.0)
    return np.where(valid, np.cumsum(shifted, axis=-1), np.nan)


def float_windows(
    cell_length: np.ndarray, cell_area: np.ndarray, area: float, length: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Windows of a floating rupture of ``area`` (km2) and target ``length`` (km) on a mesh
    with the given cells (rules in the module docstring).

    Returns
    -------
    row0, col0, nrows, ncols : ndarray of int
        Top-left node and size in nodes of each distinct window, sorted by (row0, col0, ...).
    """
    nr, nc = cell_area.shape
    if area >= cell_area.sum():
        return (np.zeros(1, np.int64), np.zeros(1, np.int64), np.full(1, nr + 1),
                np.full(1, nc + 1))
    cols = np.arange(nc)
    # 1. columns: accumulated lengths from every start cell (differences of the row's prefix
    # sums, which increase: the closest is one of the two around the target)
    col_end = np.empty((nr, nc), np.int64)  # exclusive cell index
    fits_len = np.empty((nr, nc), bool)
    for r in range(nr):
        prefix = np.concatenate([[0.0], np.cumsum(cell_length[r])])
        above = np.searchsorted(prefix, prefix[:-1] + length, side="left")
        hi = np.clip(above, cols + 1, nc)
        lo = np.clip(above - 1, cols + 1, nc)
        acc_hi, acc_lo = prefix[hi] - prefix[:-1], prefix[lo] - prefix[:-1]
        take_lo = np.abs(acc_lo - length) <= np.abs(acc_hi - length)
        col_end[r] = np.where(take_lo, lo, hi)
        reached = np.where(take_lo, acc_lo, acc_hi)
        fits_len[r] = ~((col_end[r] == nc) & (reached < length))
    # 2. rows: accumulated areas of the strips of columns [c, col_end) from row r down
    prefix = np.concatenate([np.zeros((nr, 1)), np.cumsum(cell_area, axis=1)], axis=1)
    r_idx = np.repeat(np.arange(nr), nc)
    c_idx = np.tile(cols, nr)
    e_idx = col_end.ravel()
    rows_below = r_idx[:, None] + np.arange(nr)[None, :]  # (npos, nr)
    valid = rows_below < nr
    rows_below = np.minimum(rows_below, nr - 1)
    strips = prefix[rows_below, e_idx[:, None]] - prefix[rows_below, c_idx[:, None]]
    acc = np.where(valid, np.cumsum(np.where(valid, strips, 0.0), axis=1), np.nan)
    k = _closest(acc, area)
    row_end = (r_idx + k + 1).reshape(nr, nc)
    got = acc[np.arange(len(k)), k].reshape(nr, nc)
    fits_area = ~((row_end == nr) & (got < area))
    # 3. placement, row by row
    starts: list[np.ndarray] = []
    # top row: positions that fit along strike (or the first column)
    ok = fits_len[0] | (cols == 0)
    top = np.flatnonzero(ok)
    end_r, end_c = row_end[0, top].copy(), col_end[0, top].copy()
    short = ~fits_area[0, top]
    stop = None
    if short.any():
        full = cell_area.sum(axis=0)
        acc = _suffix_cumsums(full)  # (nc, nc): from column c
        k = _closest(acc, area)
        ext_end = cols + k + 1
        ext_fits = ~((ext_end == nc) & (acc[cols, k] < area))
        # no room to stretch: the whole row was used, or the stretched rupture is too small
        fail = short & ((end_c == nc) | ~ext_fits[top])
        if fail.any():
            stop = int(np.argmax(fail))
        end_r[short] = nr
        end_c[short] = ext_end[top][short]
    if stop is not None:
        top, end_r, end_c = top[:stop], end_r[:stop], end_c[:stop]
    starts.append(np.stack([np.zeros_like(top), top, end_r, end_c], axis=1))
    if stop is None:
        dead = np.zeros(nc, bool)
        for r in range(1, nr):
            use = np.flatnonzero(~dead & (fits_len[r] | (cols == 0)))
            starts.append(np.stack([np.full_like(use, r), use, row_end[r, use],
                                    col_end[r, use]], axis=1))
            dead[use[~fits_area[r, use]]] = True
    windows = np.unique(np.concatenate(starts), axis=0)
    row0, col0 = windows[:, 0], windows[:, 1]
    return row0, col0, windows[:, 2] - row0 + 1, windows[:, 3] - col0 + 1


def mesh_dip(mesh: FaultMesh) -> float:
    """Area-weighted mean dip (degrees) of all the cells of a mesh."""
    ny, nx = mesh.shape
    _, dip = mesh.window_orientation([0], [0], [ny], [nx])
    return float(dip[0])


class _BinsMFD:
    """A fixed list of magnitude bins (the part of an MFD held by a split source)."""

    def __init__(self, mags: np.ndarray, rates: np.ndarray) -> None:
        self.mags, self.rates = mags, rates

    def get_annual_occurrence_rates(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mags, self.rates


class ComplexFaultSource(BaseSource):
    """Floating ruptures on a complex fault surface (see the module docstring).

    Parameters
    ----------
    source_id, name, trt : str
    edges : sequence of ndarray, each of shape (n_i, 3)
        lon, lat, depth (km) of the top edge, any intermediate edges and the bottom edge.
    msr
        Magnitude-scaling relationship (``get_median_area(mag, rake)``, km2).
    rupture_aspect_ratio : float or MagDependentAspectRatio
        Length / width.
    mfd
        Magnitude-frequency distribution.
    rake : float
        Degrees.
    complex_fault_mesh_spacing : float
        Mesh spacing, km.
    """

    kind = "complexFaultSource"

    def __init__(
        self,
        source_id: str,
        name: str,
        trt: str,
        edges: Sequence[np.ndarray],
        msr,
        rupture_aspect_ratio: float,
        mfd,
        rake: float,
        complex_fault_mesh_spacing: float,
    ) -> None:
        super().__init__(source_id, name, trt, mfd)
        where = self._where
        self.edges = [np.asarray(edge, dtype=float) for edge in edges]
        if not hasattr(msr, "get_median_area"):
            raise InputError(f"{where}: the scaling relationship {msr!r} has no get_median_area()")
        self.msr = msr
        self.rupture_aspect_ratio = check_aspect_ratio(rupture_aspect_ratio, where)
        self.rake = check_rake(rake, where)
        self.complex_fault_mesh_spacing = check_positive(
            complex_fault_mesh_spacing, "complex fault mesh spacing", where)
        self._mesh: FaultMesh | None = None
        self._cells: tuple[np.ndarray, np.ndarray] | None = None
        self._windows: dict[float, tuple[np.ndarray, ...]] = {}

    @property
    def mesh(self) -> FaultMesh:
        """The fault surface mesh (built once)."""
        if self._mesh is None:
            try:
                self._mesh = complex_fault_mesh(self.edges, self.complex_fault_mesh_spacing)
            except InputError as exc:
                raise InputError(f"{self._where}: {exc}") from exc
        return self._mesh

    def location_bounds(self) -> tuple[float, float, float, float]:
        return bounding_box(self.mesh.lons, self.mesh.lats)

    def windows(self, mag: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(row0, col0, nrows, ncols)`` of the ruptures of magnitude ``mag`` (cached)."""
        key = round(float(mag), 9)
        if key not in self._windows:
            if self._cells is None:
                self._cells = cell_dimensions(self.mesh)
            area = float(median_areas(self.msr, np.array([mag]), self.rake)[0])
            length = np.sqrt(area * float(aspect_ratios(self.rupture_aspect_ratio, np.array(mag))))
            self._windows[key] = float_windows(*self._cells, area, length)
        return self._windows[key]

    def count_ruptures(self, min_mag: float = 0.0) -> int:
        mags, _ = magnitude_bins(self.mfd, min_mag)
        return int(sum(len(self.windows(m)[0]) for m in mags))

    def split(self, max_ruptures: int, min_mag: float = 0.0) -> list[ComplexFaultSource]:
        """Parts holding consecutive magnitude bins, each with about ``max_ruptures`` ruptures
        (bins are independent: a part's ruptures and rates are exactly the source's)."""
        mags, rates = magnitude_bins(self.mfd, min_mag)
        counts = np.array([len(self.windows(m)[0]) for m in mags])
        if len(mags) < 2 or counts.sum() <= max_ruptures:
            return [self]
        group = np.cumsum(counts) // max(int(max_ruptures), 1)
        parts = []
        for g in np.unique(group):
            part = copy.copy(self)
            idx = group == g
            part.mfd = _BinsMFD(mags[idx], rates[idx])
            parts.append(part)
        return parts

    def iter_ruptures(
        self, min_mag: float = 0.0, block_size: int = 100_000
    ) -> Iterator[RuptureBlock]:
        if block_size < 1:
            raise ValueError(f"block_size must be positive, got {block_size}")
        mags, rates = magnitude_bins(self.mfd, min_mag)
        pending: list[tuple[np.ndarray, ...]] = []
        n_pending = 0
        for mag, rate in zip(mags, rates, strict=True):
            row0, col0, nrows, ncols = self.windows(mag)
            n_pos = len(row0)
            start = 0
            while start < n_pos:
                take = min(n_pos - start, block_size - n_pending)
                part = slice(start, start + take)
                pending.append((np.full(take, mag), np.full(take, rate / n_pos), row0[part],
                                col0[part], nrows[part], ncols[part]))
                n_pending += take
                start += take
                if n_pending == block_size:
                    yield self._block(pending)
                    pending, n_pending = [], 0
        if n_pending:
            yield self._block(pending)

    def _block(self, pending) -> RuptureBlock:
        mag, rate, row0, col0, nrows, ncols = (np.concatenate(a) for a in zip(*pending,
                                                                                strict=True))
        surface = ComplexWindowSurfaces(self.mesh, row0, col0, nrows, ncols, 90.0)
        return RuptureBlock(
            source_id=self.source_id, trt=self.trt, mag=mag, rake=np.full(len(mag), self.rake),
            rate=rate, hypo=surface.hypocentres, surface=surface,
        )
