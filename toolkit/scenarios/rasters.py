"""Rasters on a 3Di 2D cell grid, and GeoTIFF writing.

A 3Di 2D grid is a quadtree: every cell is a square of ``dx * 2**(k-1)`` metres (refinement
level ``k``), aligned to one origin. At *quad* resolution (the smallest cell size, ``dx[0]`` in
the gridadmin) every cell covers a whole block of pixels, so a per-cell value becomes a raster by
filling each cell's block with it. :class:`CellGrid` keeps, for every pixel, the position of the
cell that covers it (``-1`` outside the model), built once from the cell bounds; turning a
per-cell array into a raster is then one gather.

Conventions
-----------
- Rows go north to south (row 0 is the top), columns west to east, as in GeoTIFF; the affine
  transform maps (col, row) of a pixel corner to (x, y): ``x = left + col * p``,
  ``y = top - row * p``.
- Missing values are NaN in memory; :func:`write_geotiff` writes them as ``nodata``
  (default -9999, the 3Di fill value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError

__all__ = ["CellGrid", "GeoTiffWriter", "write_geotiff", "NODATA"]

#: nodata value written to GeoTIFFs (the 3Di fill value)
NODATA = -9999.0

#: relative tolerance (of the pixel size) for cell bounds to count as aligned to the grid
_ALIGN_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class CellGrid:
    """The pixel grid of a set of square, grid-aligned cells.

    Attributes
    ----------
    transform : affine.Affine
        Pixel-corner transform (rasterio convention), ``y`` decreasing with the row.
    shape : tuple of int
        ``(rows, cols)``.
    pixel_size : float
        Pixel size in CRS units (metres), the smallest cell width.
    index : numpy.ndarray
        ``(rows, cols)`` int32: position (0-based, in the order the bounds were given) of the cell
        covering each pixel, ``-1`` where no cell does.
    """

    transform: Any
    shape: tuple[int, int]
    pixel_size: float
    index: np.ndarray
    _flat: np.ndarray = field(repr=False)
    _cells: np.ndarray = field(repr=False)

    @classmethod
    def from_bounds(cls, xmin: np.ndarray, ymin: np.ndarray, xmax: np.ndarray,
                    ymax: np.ndarray, pixel_size: float | None = None) -> CellGrid:
        """Build the grid of cells given by their bounds (all arrays of length n).

        Parameters
        ----------
        xmin, ymin, xmax, ymax : array_like
            Cell bounds in CRS units.
        pixel_size : float, optional
            Pixel size; default the smallest cell width (3Di's *quad* resolution).

        Raises
        ------
        InputError
            No cells, non-finite bounds, cells smaller than a pixel, bounds not on the pixel grid,
            or two cells covering the same pixel.
        """
        xmin, ymin, xmax, ymax = (np.asarray(a, dtype=np.float64) for a in (xmin, ymin, xmax,
                                                                            ymax))
        n = xmin.size
        if n == 0:
            raise InputError("cell grid: no cells")
        if not all(np.isfinite(a).all() for a in (xmin, ymin, xmax, ymax)):
            raise InputError("cell grid: some cell bounds are NaN or infinite")
        width = xmax - xmin
        height = ymax - ymin
        if (width <= 0).any() or (height <= 0).any():
            raise InputError("cell grid: some cells have zero or negative size")
        p = float(width.min()) if pixel_size is None else float(pixel_size)
        del width, height
        if not p > 0:
            raise InputError(f"cell grid: pixel size must be positive, got {p}")
        left = float(xmin.min())
        top = float(ymax.max())
        tol = _ALIGN_TOL * max(1.0, abs(left) / p, abs(top) / p)

        def pixels(name: str, raw: np.ndarray, origin: float, sign: float) -> np.ndarray:
            """Pixel edge numbers of one bound, checked to lie on the grid."""
            edge = (raw - origin) * (sign / p)
            k = np.rint(edge)
            edge -= k
            np.abs(edge, out=edge)
            bad = edge > tol
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(f"cell grid: cell {i} {name} = {float(raw[i])!r} is not on the "
                                 f"{p} m pixel grid starting at ({left}, {top})")
            return k.astype(np.int32)

        c0 = pixels("xmin", xmin, left, 1.0)
        w = pixels("xmax", xmax, left, 1.0) - c0
        r0 = pixels("ymax", ymax, top, -1.0)
        h = pixels("ymin", ymin, top, -1.0) - r0
        if (w <= 0).any() or (h <= 0).any():
            raise InputError(f"cell grid: some cells are smaller than the {p} m pixel size")
        rows, cols = int((r0 + h).max()), int((c0 + w).max())
        index = np.full((rows, cols), -1, dtype=np.int32)
        flat_index = index.reshape(-1)
        covered = 0
        key = w.astype(np.int64) * (int(h.max()) + 1) + h
        for size_key in np.unique(key):
            sel = np.flatnonzero(key == size_key).astype(np.int32)
            bw, bh = int(w[sel[0]]), int(h[sel[0]])
            start = r0[sel].astype(np.int64) * cols + c0[sel]
            for i in range(bh):
                for j in range(bw):
                    flat_index[start + (i * cols + j)] = sel
            covered += sel.size * bw * bh
        del key, c0, r0, w, h
        flat = np.flatnonzero(flat_index >= 0)
        if flat.size != covered:
            raise InputError(f"cell grid: cells overlap ({covered - flat.size} pixels are "
                             "covered by more than one cell)")
        from rasterio.transform import Affine

        transform = Affine(p, 0.0, left, 0.0, -p, top)
        return cls(transform=transform, shape=(rows, cols), pixel_size=p, index=index,
                   _flat=flat, _cells=flat_index[flat])

    @property
    def n_cells(self) -> int:
        """Number of cells the grid was built from (the largest position + 1)."""
        return int(self._cells.max()) + 1 if self._cells.size else 0

    @property
    def pixel_area(self) -> float:
        """Area of one pixel (CRS units squared, m²)."""
        return self.pixel_size * self.pixel_size

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` of the raster."""
        left, top = self.transform.c, self.transform.f
        rows, cols = self.shape
        return (left, top - rows * self.pixel_size, left + cols * self.pixel_size, top)

    def to_raster(self, values: np.ndarray, *, fill: float = np.nan,
                  dtype: Any = np.float32) -> np.ndarray:
        """Spread per-cell ``values`` (length n_cells, in bounds order) over their pixels.

        Pixels outside every cell get ``fill``.
        """
        values = np.asarray(values)
        if values.ndim != 1 or values.size < self.n_cells:
            raise InputError(f"cell grid: expected {self.n_cells} per-cell values, got shape "
                             f"{values.shape}")
        out = np.full(self.shape, fill, dtype=dtype)
        out.reshape(-1)[self._flat] = values[self._cells]
        return out

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every pixel centre, each of shape ``(rows, cols)``."""
        rows, cols = self.shape
        left, top, p = self.transform.c, self.transform.f, self.pixel_size
        x = left + (np.arange(cols) + 0.5) * p
        y = top - (np.arange(rows) + 0.5) * p
        return np.broadcast_to(x[None, :], self.shape), np.broadcast_to(y[:, None], self.shape)

    def cell_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Position of the cell containing each point (x, y), ``-1`` outside the grid."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        left, top, p = self.transform.c, self.transform.f, self.pixel_size
        col = np.floor((x - left) / p).astype(np.int64)
        row = np.floor((top - y) / p).astype(np.int64)
        rows, cols = self.shape
        inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
        out = np.full(np.broadcast(x, y).shape, -1, dtype=np.int64)
        out[inside] = self.index[row[inside], col[inside]]
        return out


def _rasterio_crs(crs: Any) -> Any:
    from rasterio.crs import CRS

    if crs is None:
        return None
    if hasattr(crs, "to_wkt"):  # pyproj.CRS or rasterio CRS
        return CRS.from_wkt(crs.to_wkt())
    return CRS.from_user_input(crs)


def _profile(path: Path, shape: tuple[int, int], count: int, transform: Any, crs: Any,
             nodata: float, dtype: Any) -> dict[str, Any]:
    rows, cols = shape
    profile: dict[str, Any] = dict(driver="GTiff", height=rows, width=cols, count=count,
                                   dtype=np.dtype(dtype).name, transform=transform,
                                   crs=_rasterio_crs(crs), nodata=nodata, compress="deflate")
    if rows >= 256 and cols >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    if rows * cols * count * np.dtype(dtype).itemsize > 2**32 - 2**28:
        profile["BIGTIFF"] = "YES"
    return profile


class GeoTiffWriter:
    """A multi-band GeoTIFF written band by band (for temporal rasters streamed over time).

    Use as a context manager; bands are 1-based as in GDAL. NaN is written as ``nodata``.

    Examples
    --------
    >>> with GeoTiffWriter("depth.tif", shape=(2, 3), count=2, transform=t,
    ...                    crs=28992) as w:               # doctest: +SKIP
    ...     w.write_band(1, a, description="2000-01-01T00:00:00")
    """

    def __init__(self, path: str | Path, *, shape: tuple[int, int], count: int,
                 transform: Any, crs: Any, nodata: float = NODATA,
                 dtype: Any = np.float32, tags: dict[str, Any] | None = None) -> None:
        import rasterio

        self.path = Path(path)
        self.shape = (int(shape[0]), int(shape[1]))
        self.count = int(count)
        self.nodata = float(nodata)
        self.dtype = np.dtype(dtype)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._ds = rasterio.open(self.path, "w", **_profile(self.path, self.shape, self.count,
                                                             transform, crs, self.nodata,
                                                             self.dtype))
        if tags:
            self._ds.update_tags(**{k: str(v) for k, v in tags.items()})

    def write_band(self, band: int, array: np.ndarray, *, description: str | None = None,
                   tags: dict[str, Any] | None = None) -> None:
        """Write one band (1-based); NaN becomes nodata."""
        array = np.asarray(array)
        if array.shape != self.shape:
            raise InputError(f"{self.path}: band {band} has shape {array.shape}, expected "
                             f"{self.shape}")
        if not 1 <= band <= self.count:
            raise InputError(f"{self.path}: band {band} outside 1..{self.count}")
        data = np.where(np.isnan(array), self.nodata, array).astype(self.dtype, copy=False)
        self._ds.write(data, band)
        if description is not None:
            self._ds.set_band_description(band, description)
        if tags:
            self._ds.update_tags(band, **{k: str(v) for k, v in tags.items()})

    def close(self) -> None:
        """Finish the file."""
        if self._ds is not None:
            self._ds.close()
            self._ds = None

    def __enter__(self) -> GeoTiffWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_geotiff(path: str | Path, array: np.ndarray, transform: Any, crs: Any,
                  nodata: float = NODATA, *, band_descriptions: Sequence[str] | None = None,
                  tags: dict[str, Any] | None = None, dtype: Any = np.float32) -> Path:
    """Write a raster (2-D) or a stack of bands (3-D, bands first) as a GeoTIFF.

    Parameters
    ----------
    path : str or Path
        Output file (parent folders are created).
    array : numpy.ndarray
        ``(rows, cols)`` or ``(bands, rows, cols)``; NaN is written as ``nodata``.
    transform : affine.Affine
        Pixel-corner transform (e.g. :attr:`CellGrid.transform`).
    crs : pyproj.CRS, rasterio CRS, int (EPSG) or str, or None
        Coordinate reference system of the file.
    nodata : float
        Value standing for "no data" (default -9999).
    band_descriptions : sequence of str, optional
        One description per band (temporal rasters: the ISO time of the band).
    tags : dict, optional
        Dataset-level GDAL metadata (units, code, time origin ...).
    dtype : numpy dtype
        Stored type (default float32).

    Returns
    -------
    Path
        ``path``.
    """
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise InputError(f"{path}: a raster must be 2-D or 3-D, got shape {array.shape}")
    if band_descriptions is not None and len(band_descriptions) != array.shape[0]:
        raise InputError(f"{path}: {len(band_descriptions)} band descriptions for "
                         f"{array.shape[0]} bands")
    with GeoTiffWriter(path, shape=array.shape[1:], count=array.shape[0], transform=transform,
                       crs=crs, nodata=nodata, dtype=dtype, tags=tags) as w:
        for i in range(array.shape[0]):
            w.write_band(i + 1, array[i], description=None if band_descriptions is None
                         else str(band_descriptions[i]))
    return Path(path)
