"""Ruptures of non-parametric sources stored in a companion HDF5 file.

An empty ``<nonParametricSeismicSource id="X"/>`` element of ``model.xml`` takes its
ruptures from ``model.hdf5`` (same folder and stem), group ``X``, with the datasets

* ``magnitude`` (N,), ``rake`` (N,), ``hypocenter`` (N, 3) lon, lat, depth;
* ``probs_occur`` (N, K): probabilities of 0..K-1 occurrences in the investigation time;
* ``mesh3d`` (P, 3) points lon, lat, depth and ``slice`` (N, 2): the rows
  ``start:stop`` of ``mesh3d`` that form each rupture's surface, read as a point cloud
  (:class:`~toolkit.engine.hazard.point_cloud.PointCloudSurfaces`).

This is the layout the OpenQuake engine writes for such sources (its QA classical case 27).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from toolkit.engine.hazard.point_cloud import PointCloudSurfaces
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.errors import InputError

__all__ = ["read_hdf5_ruptures", "companion_hdf5"]

_DATASETS = ("magnitude", "rake", "hypocenter", "probs_occur", "mesh3d", "slice")


def companion_hdf5(xml_path: Path) -> Path:
    """``model.hdf5`` next to ``model.xml``."""
    return Path(xml_path).with_suffix(".hdf5")


def _numeric(group: Any, name: str, path: Path, source_id: str, where: str) -> np.ndarray:
    """Dataset ``name`` of ``group`` as floats (InputError naming it when not numeric)."""
    try:
        return np.asarray(group[name][()], dtype=float)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{where}: dataset {name!r} of group {source_id!r} of {path} is not "
                         f"numeric ({exc})") from None


def read_hdf5_ruptures(path: Path, source_id: str, trt: str, where: str
                       ) -> tuple[list[RuptureBlock], list[list[float]]]:
    """One-rupture blocks and probs_occur of source ``source_id`` in the HDF5 file.

    Raises
    ------
    InputError
        File or group missing, datasets missing or of inconsistent shapes, invalid values;
        messages name ``where`` and the file.
    """
    import h5py

    if not path.is_file():
        raise InputError(f"{where}: the nonParametricSeismicSource has no rupture elements "
                         f"and there is no companion file {path}")
    try:
        with h5py.File(path, "r") as f:
            if source_id not in f:
                raise InputError(f"{where}: no group {source_id!r} in {path}")
            group = f[source_id]
            missing = [name for name in _DATASETS if name not in group]
            if missing:
                raise InputError(f"{where}: group {source_id!r} of {path} lacks {missing}")
            data = {name: _numeric(group, name, path, source_id, where)
                    for name in _DATASETS}
    except OSError as exc:
        raise InputError(f"{where}: cannot read {path}: {exc}") from None
    mags, rakes = data["magnitude"].ravel(), data["rake"].ravel()
    n = len(mags)
    hypo, probs = data["hypocenter"], data["probs_occur"]
    bounds, mesh = data["slice"].astype(np.int64), data["mesh3d"]
    if (len(rakes) != n or hypo.shape != (n, 3) or probs.ndim != 2 or len(probs) != n
            or bounds.shape != (n, 2) or mesh.ndim != 2 or mesh.shape[1] != 3):
        raise InputError(f"{where}: inconsistent dataset shapes in group {source_id!r} of "
                         f"{path}")
    if np.any(bounds[:, 0] < 0) or np.any(bounds[:, 1] > len(mesh)) or np.any(
            bounds[:, 1] <= bounds[:, 0]):
        raise InputError(f"{where}: 'slice' of group {source_id!r} of {path} points outside "
                         "mesh3d")
    if not np.all(np.isfinite(mesh)) or np.any(mags <= 0) or not np.all(np.isfinite(hypo)):
        raise InputError(f"{where}: invalid magnitudes, hypocentres or points in group "
                         f"{source_id!r} of {path}")
    blocks = [RuptureBlock(source_id, trt, mags[i:i + 1], rakes[i:i + 1], np.array([np.nan]),
                           hypo[i:i + 1], PointCloudSurfaces([mesh[lo:hi]]))
              for i, (lo, hi) in enumerate(bounds)]
    return blocks, [list(row) for row in probs]
