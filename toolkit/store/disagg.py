"""Disaggregation outputs: datastore layout and CSV exports in OpenQuake's format.

Datastore layout (besides the classical hazard of :mod:`toolkit.store.hazard`)
-----------------------------------------------------------------------------
* ``disagg``: group of datasets ``poes`` (S, R, I, P, M, D, Lo, La, E, T), ``means``
  (S, R, I, P, 3: mean magnitude, distance, epsilon), ``levels`` and ``poes_target``
  (S, I, P), ``weights`` (R,), edges ``mag_edges``, ``dist_edges``, ``eps_edges``,
  ``lon_edges`` and ``lat_edges`` (S, n + 1);
* ``disagg_meta``: JSON ``{"imts", "trts", "outputs", "distance", "from_iml"}``.

Exports
-------
One file per output name and site, ``<Name>-<site>_<calc_id>.csv`` (``Mag-0_7.csv``,
``Mag_Dist_Eps-0_7.csv``, ``TRT-1_7.csv``, ...): a comment line with the metadata
(``investigation_time``, the bin edges, ``tectonic_region_types``, the site's ``lon`` and
``lat``, ``weights``, ``rlz_ids``), then ``imt,iml,poe,<bin columns>,rlz0,rlz1,...`` with one
row per IMT, level and bin (bins in C order, the centres written ``%.5E``). With more than one
realization a ``<Name>-mean-<site>_<calc_id>.csv`` file holds the weighted mean over the
realizations of each bin's probability taken in rate space, ``1 - exp(sum_r w_r ln(1 - p_r))``
(column ``mean``; same comment line), as OpenQuake's ``-mean-`` files. All the requested
epsilon bins are kept in the comment line (OpenQuake 3.26 writes a single epsilon bin when no
requested output has an epsilon axis).
A ``disagg-means-<site>_<calc_id>.csv`` file (toolkit-only) gives the mean magnitude, distance
and epsilon per realization.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.engine.hazard.disagg import OUTPUT_AXES, marginal
from toolkit.store.csvformat import write_oq_csv
from toolkit.store.hazard import HazardOutputs, load_hazard, save_hazard

__all__ = ["DisaggOutputs", "save_disagg", "load_disagg", "export_disagg", "disagg_file_name",
           "disagg_outputs"]


@dataclass
class DisaggOutputs:
    """Hazard curves plus their disaggregation (see the module docstring for the shapes)."""

    hazard: HazardOutputs
    imts: list[str]
    trts: list[str]
    levels: np.ndarray
    poes_target: np.ndarray
    poes: np.ndarray
    means: np.ndarray
    weights: np.ndarray
    mag_edges: np.ndarray
    dist_edges: np.ndarray
    eps_edges: np.ndarray
    lon_edges: np.ndarray
    lat_edges: np.ndarray
    outputs: tuple[str, ...]
    distance: str = "rrup"
    from_iml: bool = False

    @property
    def rlz_ids(self) -> list[int]:
        return [int(r.rlz_id) for r in self.hazard.realizations]

    def edges(self, axis: str, site: int) -> Any:
        if axis == "trt":
            return list(self.trts)
        edges = getattr(self, f"{axis}_edges")
        return edges[site] if edges.ndim == 2 else edges


def disagg_outputs(result: Any, hazard: HazardOutputs) -> DisaggOutputs:
    """The store's outputs of an engine
    :class:`~toolkit.engine.hazard.calculators.disaggregation.DisaggResult`, whose classical
    part is already converted into ``hazard``."""
    b = result.bins
    return DisaggOutputs(
        hazard=hazard, imts=[str(imt) for imt in result.imts], trts=list(b.trts),
        levels=result.levels, poes_target=result.poes_target, poes=result.poes,
        means=result.means, weights=result.weights, mag_edges=b.mag, dist_edges=b.dist,
        eps_edges=b.eps, lon_edges=b.lon, lat_edges=b.lat, outputs=tuple(result.outputs),
        distance=result.distance, from_iml=result.from_iml)


_ARRAYS = ("levels", "poes_target", "poes", "means", "weights", "mag_edges", "dist_edges",
           "eps_edges", "lon_edges", "lat_edges")


def save_disagg(ds: Any, outputs: DisaggOutputs) -> None:
    """Write the hazard and the disaggregation of ``outputs`` into the datastore ``ds``."""
    save_hazard(ds, outputs.hazard)
    ds["disagg"] = {name: np.asarray(getattr(outputs, name), dtype=float) for name in _ARRAYS}
    ds.set_json("disagg_meta", {"imts": list(outputs.imts), "trts": list(outputs.trts),
                                "outputs": list(outputs.outputs), "distance": outputs.distance,
                                "from_iml": bool(outputs.from_iml)})


def load_disagg(ds: Any) -> DisaggOutputs:
    """Read the :class:`DisaggOutputs` saved by :func:`save_disagg`."""
    meta = ds.get_json("disagg_meta")
    arrays = {name: np.asarray(ds[f"disagg/{name}"]) for name in _ARRAYS}
    return DisaggOutputs(hazard=load_hazard(ds), imts=list(meta["imts"]),
                         trts=list(meta["trts"]), outputs=tuple(meta["outputs"]),
                         distance=meta["distance"], from_iml=bool(meta["from_iml"]), **arrays)


def disagg_file_name(name: str, site: int, calc_id: int, kind: str | None = None) -> str:
    """``Mag_Dist-0_7.csv`` or, for a statistic, ``Mag_Dist-mean-0_7.csv``."""
    middle = f"-{kind}" if kind else ""
    return f"{name}{middle}-{site}_{calc_id}.csv"


def _comment(o: DisaggOutputs, site: int, meta: Any, with_rlzs: bool) -> dict[str, Any]:
    extra: dict[str, Any] = {"investigation_time": float(o.hazard.investigation_time)}
    for axis in ("mag", "dist", "lon", "lat", "eps"):
        extra[f"{axis}_bin_edges"] = [float(x) for x in o.edges(axis, site)]
    extra["tectonic_region_types"] = list(o.trts)
    extra["lon"] = float(o.hazard.sites.lons[site])
    extra["lat"] = float(o.hazard.sites.lats[site])
    if with_rlzs:
        extra["weights"] = [float(w) for w in o.weights]
        extra["rlz_ids"] = o.rlz_ids
    return meta.comment(**extra)


def _table(o: DisaggOutputs, name: str, site: int, values: np.ndarray
           ) -> tuple[list[str], list[tuple[Any, str]]]:
    """Header and columns of one output at one site; ``values`` (K, I, P, <bins>)."""
    axes = OUTPUT_AXES[name]
    centres = []
    for axis in axes:
        if axis == "trt":
            centres.append(np.array(o.trts, dtype=object))
        else:
            e = np.asarray(o.edges(axis, site), dtype=float)
            centres.append((e[:-1] + e[1:]) / 2.0)
    n_imts, n_p = values.shape[1:3]
    grids = np.meshgrid(np.arange(n_imts), np.arange(n_p),
                        *[np.arange(len(c)) for c in centres], indexing="ij")
    flat = [g.ravel() for g in grids]
    cols: list[tuple[Any, str]] = [
        (np.array(o.imts, dtype=object)[flat[0]], "%s"),
        (o.levels[site][flat[0], flat[1]], "%.5E"),
        (o.poes_target[site][flat[0], flat[1]], "%.5E"),
    ]
    for axis, c, idx in zip(axes, centres, flat[2:], strict=True):
        cols.append((c[idx], "%s" if axis == "trt" else "%.5E"))
    cols.append((values.reshape(len(values), -1).T, "%.5E"))
    return ["imt", "iml", "poe", *axes], cols


def export_disagg(o: DisaggOutputs, calc_id: int, export_dir: Path, meta: Any) -> list[Path]:
    """Write every requested disaggregation output of every site (see the module docstring).

    ``meta`` is a resolved :class:`toolkit.store.exporters.ExportMeta`.
    """
    export_dir = Path(export_dir)
    paths: list[Path] = []
    n_rlzs = o.poes.shape[1]
    weights = o.weights / o.weights.sum()
    for site in range(o.poes.shape[0]):
        site_poes = o.poes[site]  # (R, I, P, M, D, Lo, La, E, T)
        for name in o.outputs:
            values = marginal(site_poes, OUTPUT_AXES[name])
            header, cols = _table(o, name, site, values)
            rlz_header = [f"rlz{r}" for r in o.rlz_ids]
            path = export_dir / disagg_file_name(name, site, calc_id)
            paths.append(write_oq_csv(path, header + rlz_header, cols,
                                      _comment(o, site, meta, with_rlzs=True)))
            if n_rlzs > 1:  # averaged in rate space, as OpenQuake: 1 - exp(sum w ln(1 - p))
                log_none = np.log1p(-np.clip(values, 0.0, 1.0 - 1e-16))
                mean = -np.expm1(np.einsum("r...,r->...", log_none, weights))[None]
                header, cols = _table(o, name, site, mean)
                path = export_dir / disagg_file_name(name, site, calc_id, "mean")
                paths.append(write_oq_csv(path, header + ["mean"], cols,
                                          _comment(o, site, meta, with_rlzs=True)))
        paths.append(_export_means(o, site, calc_id, export_dir, meta))
    return paths


def _export_means(o: DisaggOutputs, site: int, calc_id: int, export_dir: Path, meta: Any
                  ) -> Path:
    n_rlzs, n_imts, n_p = o.means.shape[1:4]
    r, i, p = (g.ravel() for g in np.meshgrid(np.arange(n_rlzs), np.arange(n_imts),
                                              np.arange(n_p), indexing="ij"))
    m = o.means[site][r, i, p]
    cols = [(np.array(o.imts, dtype=object)[i], "%s"), (o.levels[site][i, p], "%.5E"),
            (o.poes_target[site][i, p], "%.5E"), (np.asarray(o.rlz_ids)[r], "%d"),
            (m, "%.5E")]
    header = ["imt", "iml", "poe", "rlz_id", "mean_mag", f"mean_{o.distance}", "mean_eps"]
    path = export_dir / disagg_file_name("disagg-means", site, calc_id)
    return write_oq_csv(path, header, cols, _comment(o, site, meta, with_rlzs=False))
