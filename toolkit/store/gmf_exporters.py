"""CSV exporters of ground-motion-field outputs, in OpenQuake 3.26's formats and file names.

One function per file; :data:`gmf_exporters` registers them by OpenQuake output name (what
``/v1/calc/:id/results`` calls ``type``), and :func:`export_gmf` writes every available one::

    paths = export_gmf(6, outputs, "out", ExportMeta(checksum=4255084531))

================ ================================ ===============================================
output           file (``<id>`` = calculation id) columns (formats)
================ ================================ ===============================================
gmf_data         ``gmf-data_<id>.csv``            ``event_id,gmv_<IMT>...,custom_site_id``
                                                  (``%.5E``), rows by event then site
                 ``sigma_epsilon_<id>.csv``       ``event_id,rlz_id,sig_inter_<IMT>...,``
                                                  ``eps_inter_<IMT>...`` (``%.6E``, ``NAN``)
                 ``sitemesh_<id>.csv``            ``custom_site_id,lon,lat`` (``%.5f``), all sites
events           ``events_<id>.csv``              ``event_id,rup_id,rlz_id,year,ses_id``
ruptures         ``ruptures_<id>.csv``            ``rup_id,source_id,multiplicity,mag,``
                                                  ``centroid_lon,centroid_lat,centroid_depth,trt,``
                                                  ``strike,dip,rake`` (``%.6E``); event-based only
avg_gmf          ``avg_gmf_<id>.csv``             ``custom_site_id,lon,lat,<IMT>...`` (all
                                                  ``%.5E``), only sites with GMF rows
event_based_mfd  ``event_based_mfd_<id>.csv``     ``mag,freq`` (``%.7e``); event-based only
hcurves          ``hazard_curve-mean-<IMT>_<id>`` ``custom_site_id,lon,lat,depth,poe-...``
                                                  (when the outputs carry curves)
================ ================================ ===============================================

Measured on OpenQuake's exports (``shared/reference/openquake/cli-exports``, calcs 5 to 8):

* values OpenQuake stores as float32 (GMVs, sigma and epsilon, ``avg_gmf``) are rounded to
  float32 before formatting, as OpenQuake prints its float32 datasets;
* ``avg_gmf`` is, per site and IMT, the geometric mean of the site's GMVs weighted by the
  weight of each event's realization (calc 6: 0.48592, whereas the arithmetic mean is 0.5055);
  for GMFs read from a file (no ruptures) it is the arithmetic mean (calc 8: 0.397631, the
  geometric mean would be 0.384452);
* GMFs read from a file: ``events`` has only ``event_id,rup_id,rlz_id`` and there is no
  ``sigma_epsilon`` file (calcs 7 and 8); scenarios export no ``ruptures`` and no
  ``event_based_mfd`` (calc 6);
* ``event_based_mfd``: ``freq(mag)`` is the sum over the events of ruptures of magnitude
  ``mag`` of their realization weights, divided by ``investigation_time *
  ses_per_logic_tree_path`` (calc 5: (47566 + 31978) / 80000 = 0.9943 for M 5.0).

Not verified (no sample): the column order of ``sigma_epsilon`` with several IMTs (all
``sig_inter`` columns, then all ``eps_inter``); the event-based ``avg_gmf`` when some events have
no row at a site (by default only the rows are averaged; ``min_iml`` counts the missing events
at the minimum intensity instead); the magnitudes of ``event_based_mfd`` are the distinct
rupture magnitudes, not binned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.registry import Registry
from toolkit.store.csvformat import write_oq_csv
from toolkit.store.datastore import Datastore
from toolkit.store.exporters import ExportMeta, _export_dir, _meta, export_hcurves
from toolkit.store.geohash import custom_site_ids
from toolkit.store.gmf import GmfOutputs, load_gmf

__all__ = [
    "available_gmf_exports",
    "avg_gmf",
    "event_based_mfd",
    "export_avg_gmf",
    "export_event_based_mfd",
    "export_events",
    "export_gmf",
    "export_gmf_data",
    "export_gmf_hcurves",
    "export_ruptures",
    "export_sigma_epsilon",
    "export_sitemesh",
    "gmf_exporters",
]

GmfExporter = Callable[[GmfOutputs, int, Path, ExportMeta], list[Path]]

#: GMF exporters by OpenQuake output name: ``fn(outputs, calc_id, export_dir, meta) -> [paths]``.
gmf_exporters: Registry[GmfExporter] = Registry("GMF exporter")


def _f32(values: np.ndarray) -> np.ndarray:
    """Values as OpenQuake prints them from its float32 datasets."""
    return np.asarray(values, dtype=np.float32)


def _decode(values: np.ndarray) -> np.ndarray:
    return np.char.decode(values, "utf-8") if values.dtype.kind == "S" else values.astype(str)


def _event_order(o: GmfOutputs) -> np.ndarray:
    return np.argsort(o.events["event_id"], kind="stable")


# -- one function per file ------------------------------------------------------------------
def export_gmf_data(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> Path:
    """``gmf-data_<id>.csv``: ``event_id,gmv_<IMT>...,custom_site_id``, GMVs ``%.5E``.

    One row per stored (event, site) pair, ordered by event id then site index.
    """
    order = np.lexsort((o.gmf_site_id, o.gmf_event_id))
    ids = custom_site_ids(o.sites.lons, o.sites.lats)
    header = ["event_id", *(f"gmv_{imt}" for imt in o.imts), "custom_site_id"]
    cols = [
        (o.gmf_event_id[order], "%d"),
        (_f32(o.gmf_gmv[order]), "%.5E"),
        (ids[o.gmf_site_id[order]], "%s"),
    ]
    return write_oq_csv(export_dir / f"gmf-data_{calc_id}.csv", header, cols, meta.comment())


def export_sigma_epsilon(
    o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
) -> Path:
    """``sigma_epsilon_<id>.csv``: ``event_id,rlz_id,sig_inter_<IMT>...,eps_inter_<IMT>...``,
    values ``%.6E`` (``NAN`` where the GSIM has no inter-event sigma), rows by event id."""
    order = _event_order(o)
    ev = o.events[order]
    header = [
        "event_id",
        "rlz_id",
        *(f"sig_inter_{imt}" for imt in o.imts),
        *(f"eps_inter_{imt}" for imt in o.imts),
    ]
    cols = [
        (ev["event_id"], "%d"),
        (ev["rlz_id"], "%d"),
        (_f32(o.sig_inter[order]), "%.6E"),
        (_f32(o.eps_inter[order]), "%.6E"),
    ]
    return write_oq_csv(export_dir / f"sigma_epsilon_{calc_id}.csv", header, cols, meta.comment())


def export_sitemesh(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> Path:
    """``sitemesh_<id>.csv``: ``custom_site_id,lon,lat`` (``%.5f``) for every site."""
    s = o.sites
    cols = [(custom_site_ids(s.lons, s.lats), "%s"), (s.lons, "%.5f"), (s.lats, "%.5f")]
    return write_oq_csv(
        export_dir / f"sitemesh_{calc_id}.csv", ["custom_site_id", "lon", "lat"], cols,
        meta.comment(),
    )


def export_events(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> Path:
    """``events_<id>.csv``: ``event_id,rup_id,rlz_id,year,ses_id`` by event id (without
    ``year,ses_id`` for GMFs read from a file)."""
    ev = o.events[_event_order(o)]
    names = ["event_id", "rup_id", "rlz_id"]
    if not o.from_file:
        names += ["year", "ses_id"]
    cols = [(ev[name], "%d") for name in names]
    return write_oq_csv(export_dir / f"events_{calc_id}.csv", names, cols, meta.comment())


_RUPTURE_COLUMNS = (
    ("rup_id", "%d"),
    ("source_id", "%s"),
    ("multiplicity", "%d"),
    ("mag", "%.6E"),
    ("centroid_lon", "%.6E"),
    ("centroid_lat", "%.6E"),
    ("centroid_depth", "%.6E"),
    ("trt", "%s"),
    ("strike", "%.6E"),
    ("dip", "%.6E"),
    ("rake", "%.6E"),
)


def export_ruptures(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> Path:
    """``ruptures_<id>.csv`` by rupture id; the comment line adds ``investigation_time`` and
    ``ses_per_logic_tree_path``."""
    rups = o.ruptures[np.argsort(o.ruptures["rup_id"], kind="stable")]
    cols = [
        (_decode(rups[name]) if fmt == "%s" else rups[name], fmt) for name, fmt in _RUPTURE_COLUMNS
    ]
    comment = meta.comment(
        investigation_time=o.investigation_time,
        ses_per_logic_tree_path=o.ses_per_logic_tree_path,
    )
    header = [name for name, _ in _RUPTURE_COLUMNS]
    return write_oq_csv(export_dir / f"ruptures_{calc_id}.csv", header, cols, comment)


def avg_gmf(
    o: GmfOutputs, min_iml: Sequence[float] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Average ground motion per site and IMT, as OpenQuake's ``avg_gmf`` output.

    .. math:: \\bar g_{s,m} = \\exp\\left(\\frac{\\sum_k w_k \\ln g_{k,s,m}}{\\sum_k w_k}\\right)

    over the GMF rows ``k`` at site ``s``, with ``w_k`` the weight of the realization of the
    row's event (the weighted geometric mean); the weighted arithmetic mean for GMFs read from
    a file.

    Parameters
    ----------
    min_iml : array_like (M,), optional
        If given, events without a row at a site count as ``min_iml`` there (OpenQuake fills
        the events below ``minimum_intensity`` so; unverified). Default: only the rows count.

    Returns
    -------
    sids : ndarray (S,)
        Indices of the sites that have GMF rows, ascending.
    values : ndarray (S, M)
        The averages (float64); a zero GMV makes the geometric mean zero.
    """
    m = len(o.imts)
    w_event = o.weights
    eids = o.events["event_id"]
    order = np.argsort(eids)
    w_row = w_event[order][np.searchsorted(eids[order], o.gmf_event_id)]
    n = o.n_sites
    sids = np.unique(o.gmf_site_id)
    wsum = np.bincount(o.gmf_site_id, weights=w_row, minlength=n)
    gmv = o.gmf_gmv.astype(np.float64)
    geometric = not o.from_file
    with np.errstate(divide="ignore"):
        x = np.log(gmv) if geometric else gmv
    total = np.stack(
        [np.bincount(o.gmf_site_id, weights=w_row * x[:, j], minlength=n) for j in range(m)],
        axis=1,
    )
    if min_iml is not None:
        fill = np.asarray(min_iml, dtype=np.float64)
        if fill.shape != (m,):
            raise InputError(f"avg_gmf: min_iml must have {m} values (one per IMT), got {fill!r}")
        missing = w_event.sum() - wsum  # weight of the events with no row at each site
        with np.errstate(divide="ignore", invalid="ignore"):
            fx = np.log(fill) if geometric else fill
            total = total + np.where(missing[:, None] > 0, missing[:, None] * fx, 0.0)
        wsum = np.full(n, w_event.sum())
    mean = total[sids] / wsum[sids, None]
    return sids, np.exp(mean) if geometric else mean


def export_avg_gmf(
    o: GmfOutputs,
    calc_id: int,
    export_dir: Path,
    meta: ExportMeta,
    *,
    min_iml: Sequence[float] | np.ndarray | None = None,
) -> Path:
    """``avg_gmf_<id>.csv``: ``custom_site_id,lon,lat,<IMT>...``, everything ``%.5E``, for the
    sites with GMF rows (see :func:`avg_gmf`)."""
    sids, values = avg_gmf(o, min_iml)
    s = o.sites
    cols = [
        (custom_site_ids(s.lons[sids], s.lats[sids]), "%s"),
        (s.lons[sids], "%.5E"),
        (s.lats[sids], "%.5E"),
        (_f32(values), "%.5E"),
    ]
    header = ["custom_site_id", "lon", "lat", *o.imts]
    return write_oq_csv(export_dir / f"avg_gmf_{calc_id}.csv", header, cols, meta.comment())


def event_based_mfd(o: GmfOutputs) -> tuple[np.ndarray, np.ndarray]:
    """Annual frequency of events per rupture magnitude.

    .. math:: f(M) = \\frac{\\sum_{e:\\ M_e = M} w_e}{T \\cdot n_{SES}}

    with ``w_e`` the weight of the realization of event ``e``, ``T`` the investigation time
    and ``n_SES`` the stochastic event sets per realization.

    Returns
    -------
    mags, freqs : ndarray
        Distinct magnitudes (ascending) and their frequencies.
    """
    if o.investigation_time is None or o.from_file:
        raise InputError("event_based_mfd needs ruptures and an investigation_time")
    rups = o.ruptures
    order = np.argsort(rups["rup_id"])
    pos = np.searchsorted(rups["rup_id"][order], o.events["rup_id"])
    mag_of_event = rups["mag"][order][pos]
    mags, inverse = np.unique(mag_of_event, return_inverse=True)
    counts = np.bincount(inverse, weights=o.weights, minlength=len(mags))
    return mags, counts / (o.investigation_time * o.ses_per_logic_tree_path)


def export_event_based_mfd(
    o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
) -> Path:
    """``event_based_mfd_<id>.csv``: ``mag,freq`` (``%.7e``), see :func:`event_based_mfd`."""
    mags, freqs = event_based_mfd(o)
    return write_oq_csv(
        export_dir / f"event_based_mfd_{calc_id}.csv", ["mag", "freq"],
        [(mags, "%.7e"), (freqs, "%.7e")], meta.comment(),
    )


def export_gmf_hcurves(
    o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
) -> list[Path]:
    """Hazard curves from the GMFs, with ``custom_site_id`` first (none without curves), and
    the hazard maps and uniform hazard spectra from them when the job asks for ``poes``."""
    if o.curves is None:
        return []
    from toolkit.store.exporters import available_exports, exporters

    paths = export_hcurves(o.curves, calc_id, export_dir, meta, custom_site_id=True)
    for name in available_exports(o.curves):
        if name not in ("hcurves", "realizations"):
            paths.extend(exporters.get(name)(o.curves, calc_id, export_dir, meta))
    return paths


# -- registry by OpenQuake output name --------------------------------------------------------
@gmf_exporters.add("gmf_data")
def _gmf_data(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> list[Path]:
    paths = [export_gmf_data(o, calc_id, export_dir, meta)]
    if not o.from_file:
        paths.append(export_sigma_epsilon(o, calc_id, export_dir, meta))
    paths.append(export_sitemesh(o, calc_id, export_dir, meta))
    return paths


@gmf_exporters.add("events")
def _events(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> list[Path]:
    return [export_events(o, calc_id, export_dir, meta)]


@gmf_exporters.add("ruptures")
def _ruptures(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> list[Path]:
    if o.mode != "event_based" or o.from_file:
        return []
    return [export_ruptures(o, calc_id, export_dir, meta)]


@gmf_exporters.add("avg_gmf")
def _avg_gmf(o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> list[Path]:
    return [export_avg_gmf(o, calc_id, export_dir, meta)]


@gmf_exporters.add("event_based_mfd")
def _event_based_mfd(
    o: GmfOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
) -> list[Path]:
    if o.mode != "event_based" or o.from_file:
        return []
    return [export_event_based_mfd(o, calc_id, export_dir, meta)]


gmf_exporters.add("hcurves", export_gmf_hcurves)


def available_gmf_exports(o: GmfOutputs) -> list[str]:
    """Names of the outputs :func:`export_gmf` writes for ``o`` (OpenQuake's output types)."""
    names = ["avg_gmf"]
    if o.mode == "event_based" and not o.from_file:
        names.append("event_based_mfd")
    names += ["events", "gmf_data"]
    if o.curves is not None:
        names.append("hcurves")
    if o.mode == "event_based" and not o.from_file:
        names.append("ruptures")
    return names


def export_gmf(
    calc_id: int,
    outputs: GmfOutputs | Datastore,
    export_dir: str | os.PathLike[str],
    meta: ExportMeta | Mapping[str, Any] | None = None,
) -> list[Path]:
    """Export every available GMF output of calculation ``calc_id`` into ``export_dir``.

    Parameters
    ----------
    outputs : GmfOutputs or Datastore
        The outputs, or a datastore reader holding them (:func:`~toolkit.store.gmf.load_gmf`).
    meta : ExportMeta or mapping, optional
        Comment-line metadata; resolved once so that all files agree.

    Returns
    -------
    list of Path
        The files written, in the order of :func:`available_gmf_exports`.
    """
    if isinstance(outputs, Datastore):
        outputs = load_gmf(outputs)
    elif not isinstance(outputs, GmfOutputs):
        raise InputError(
            f"cannot export GMFs from a {type(outputs).__name__}: expected GmfOutputs or a "
            "Datastore"
        )
    m = _meta(meta)
    out = _export_dir(export_dir)
    paths: list[Path] = []
    for name in available_gmf_exports(outputs):
        paths.extend(gmf_exporters.get(name)(outputs, int(calc_id), out, m))
    return paths
