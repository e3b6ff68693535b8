"""CSV exporters of risk outputs, in OpenQuake 3.26's formats and file names.

One function per output; :data:`risk_exporters` registers them by OpenQuake output name
(``/v1/calc/:id/results`` ``type``) and :func:`export_risk` writes every available one, plus
the files of the hazard part when it was computed (or read from a file) in the same job
(:func:`toolkit.store.gmf_exporters.export_gmf` or :func:`toolkit.store.exporters.export_all`).

=============== =================================== ============================================
output          file (``<id>`` = calculation id)    columns
=============== =================================== ============================================
damages-rlzs    ``avg_damages-<kind>_<id>.csv``     ``asset_id,<tags>,taxonomy,lon,lat,`` then
                                                    ``modal-ds-<lt>`` (``modal_damage_state``)
                                                    or ``<lt>-<damage state>...`` (``%.6E``)
aggrisk         ``aggrisk-_<id>.csv``,              damage: ``loss_type,[rlz_id,]<states>``;
                ``aggrisk-<tag>-<tag>_<id>.csv``    losses: ``loss_type,[<tags>,][rlz_id,]``
                                                    ``loss_value,loss_ratio`` (``%.5E``)
aggrisk-stats   ``aggrisk-stats-_<id>.csv``         ``loss_type,loss,stat`` (damage:
                                                    ``loss_type,<states>,stat``)
risk_by_event   ``risk_by_event_<id>.csv``          losses: ``event_id,loss,loss_type``
                                                    (+ ``rup_id,year`` event based), events
                                                    with a loss, by increasing loss; damage:
                                                    ``event_id,<limit states>,loss_type``
avg_losses-rlzs ``avg_losses-<kind>_<id>.csv``      ``asset_id,<tags>,taxonomy,lon,lat,<lt>...``
avg_losses_by   ``avg_losses_by_-taxonomy_<id>``    ``taxonomy,<lt>...``, every taxonomy of the
                                                    exposure, no comment line
aggcurves       ``aggcurves-_<id>.csv``,            ``[<tags>,]return_period,loss_type,rlz_id,``
                ``aggcurves-<tags>_<id>.csv``       ``loss_value,loss_ratio``; stats:
                ``aggcurves-stats-_<id>.csv``       ``return_period,loss_type,loss,stat``
loss_curves     ``loss_curves-<kind>_<id>.csv``     ``asset_id,loss_type,loss_value,``
                                                    ``loss_ratio,poe`` (classical risk)
site_model      ``site_model_<id>.csv``             ``sids,lon,lat,depth,custom_site_id`` (sites
                                                    from a ``sites_csv``)
=============== =================================== ============================================

``<kind>`` is ``rlz-000``... (one realization, or ``individual_rlzs``) and ``mean`` /
``quantile-<q>`` (several realizations). Values OpenQuake stores as float32 are rounded to
float32 before formatting.

Measured on OpenQuake 3.26.2's exports of QA scenario_damage/case_1 and scenario_risk/case_1
(``shared/reference/openquake/cli-exports/calc_7`` and ``calc_8``, identical here apart from
the comment line): the asset order (by site id), the tag columns (``?`` when missing), the
modal damage state column, ``aggrisk`` without ``rlz_id`` for one realization,
``aggrisk-stats`` written for scenario risk even with one realization (not for scenario
damage), ``risk_by_event`` sorted by loss without the zero-loss events, and
``avg_losses_by_-taxonomy`` listing the taxonomies of discarded assets with zeros. From
OpenQuake's QA expected files of other versions (not byte-verified): the event-based comment
keys, the ``aggcurves`` columns and row order, ``rup_id,year`` in the event-based
``risk_by_event``, the ``loss_curves`` long format and the ``<lt>-<state>`` damage columns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.engine.hazard import stats
from toolkit.errors import InputError
from toolkit.registry import Registry
from toolkit.store.csvformat import write_oq_csv
from toolkit.store.datastore import Datastore
from toolkit.store.exporters import ExportMeta, _export_dir, _meta, export_all
from toolkit.store.geohash import custom_site_ids
from toolkit.store.gmf import GmfOutputs
from toolkit.store.gmf_exporters import export_gmf
from toolkit.store.hazard import HazardOutputs
from toolkit.store.risk import RiskOutputs, load_risk

__all__ = [
    "available_risk_exports",
    "export_aggcurves",
    "export_aggrisk",
    "export_aggrisk_stats",
    "export_avg_damages",
    "export_avg_losses",
    "export_avg_losses_by_taxonomy",
    "export_loss_curves",
    "export_risk",
    "export_risk_by_event",
    "export_site_model",
    "risk_exporters",
    "risk_statistics",
]

RiskExporter = Callable[[RiskOutputs, int, Path, ExportMeta], list[Path]]

#: risk exporters by OpenQuake output name: ``fn(outputs, calc_id, export_dir, meta)``
risk_exporters: Registry[RiskExporter] = Registry("risk exporter")

_EVENT_MODES = ("scenario_damage", "scenario_risk", "event_based_risk")


def _f32(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def risk_statistics(values: np.ndarray, weights: np.ndarray, quantiles: list[float],
                    axis: int = 1) -> list[tuple[str, np.ndarray]]:
    """``[("mean", ...), ("quantile-0.15", ...)]`` of ``values`` over the realization axis."""
    arr = np.moveaxis(np.asarray(values, dtype=float), axis, 0)
    out = [("mean", stats.mean_curve(arr, weights))]
    out += [(f"quantile-{q}", stats.quantile_curve(q, arr, weights)) for q in quantiles]
    return out


def _kinds(o: RiskOutputs, values: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Per-asset arrays (realization axis 1) to export: realizations and/or statistics."""
    out = []
    if o.n_rlzs == 1 or o.individual_rlzs:
        out += [(f"rlz-{r:03d}", values[:, r]) for r in range(o.n_rlzs)]
    if o.n_rlzs > 1:
        out += risk_statistics(values, o.weights, o.quantiles)
    return out


def _asset_columns(o: RiskOutputs) -> tuple[list[str], list[tuple[Any, str]]]:
    a = o.assets
    header = ["asset_id", *a.tag_names, "taxonomy", "lon", "lat"]
    cols: list[tuple[Any, str]] = [(a.asset_id.astype(str), "%s")]
    cols += [(a.tags[name].astype(str), "%s") for name in a.tag_names]
    cols += [(a.taxonomy.astype(str), "%s"), (a.lon, "%.5f"), (a.lat, "%.5f")]
    return header, cols


def _time_comment(o: RiskOutputs, meta: ExportMeta) -> dict[str, Any]:
    if o.mode in ("event_based_risk", "classical_risk", "classical_damage"):
        return meta.comment(investigation_time=o.investigation_time,
                            risk_investigation_time=o.risk_investigation_time)
    return meta.comment()


def _rlz_column(o: RiskOutputs) -> bool:
    return o.n_rlzs > 1


# --------------------------------------------------------------------------- per asset
def export_avg_damages(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                       ) -> list[Path]:
    """``avg_damages-<kind>_<id>.csv``: modal damage state, or buildings per damage state."""
    header, base = _asset_columns(o)
    per_lt = {lt: _kinds(o, o.avg[lt]) for lt in o.loss_types}
    paths = []
    for i, (kind, _) in enumerate(per_lt[o.loss_types[0]]):
        cols = list(base)
        names = list(header)
        for lt in o.loss_types:
            arr = per_lt[lt][i][1]  # (A, D)
            if o.modal_damage_state:
                names.append(f"modal-ds-{lt}")
                states = np.array(o.damage_states)
                cols.append((states[np.argmax(arr, axis=1)], "%s"))
            else:
                names += [f"{lt}-{ds}" for ds in o.damage_states]
                cols.append((_f32(arr), "%.6E"))
        paths.append(write_oq_csv(export_dir / f"avg_damages-{kind}_{calc_id}.csv", names,
                                  cols, _time_comment(o, meta)))
    return paths


def export_avg_losses(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                      ) -> list[Path]:
    """``avg_losses-<kind>_<id>.csv``: average loss of every asset per loss type."""
    header, base = _asset_columns(o)
    per_lt = {lt: _kinds(o, o.avg[lt]) for lt in o.loss_types}
    paths = []
    for i, (kind, _) in enumerate(per_lt[o.loss_types[0]]):
        cols = base + [(_f32(np.stack([per_lt[lt][i][1] for lt in o.loss_types], axis=1)),
                        "%.5E")]
        paths.append(write_oq_csv(export_dir / f"avg_losses-{kind}_{calc_id}.csv",
                                  header + list(o.loss_types), cols, _time_comment(o, meta)))
    return paths


def export_avg_losses_by_taxonomy(o: RiskOutputs, calc_id: int, export_dir: Path,
                                  meta: ExportMeta) -> list[Path]:
    """``avg_losses_by_-taxonomy_<id>.csv`` (no comment line): the realization-weighted mean
    of the average losses summed by taxonomy, for every taxonomy of the exposure."""
    taxonomies = np.array(o.assets.taxonomies, dtype=str)
    index = np.searchsorted(taxonomies, o.assets.taxonomy.astype(str))
    w = o.weights / o.weights.sum()
    cols = []
    for lt in o.loss_types:
        mean = o.avg[lt] @ w
        cols.append(np.bincount(index, weights=mean, minlength=len(taxonomies)))
    return [write_oq_csv(export_dir / f"avg_losses_by_-taxonomy_{calc_id}.csv",
                         ["taxonomy", *o.loss_types],
                         [(taxonomies, "%s"), (_f32(np.stack(cols, axis=1)), "%.5E")], None)]


def export_loss_curves(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                       ) -> list[Path]:
    """``loss_curves-<kind>_<id>.csv``: one row per asset, loss type and loss ratio."""
    kinds: list[tuple[str, dict[str, np.ndarray]]] = []
    first = o.loss_types[0]
    per_lt = {lt: _kinds(o, o.loss_curves[lt].poes[:, :, None]) for lt in o.loss_types}
    for i, (kind, _) in enumerate(per_lt[first]):
        kinds.append((kind, {lt: per_lt[lt][i][1][:, 0] for lt in o.loss_types}))
    paths = []
    for kind, poes in kinds:
        ids, lts, losses, ratios, values = [], [], [], [], []
        for lt in o.loss_types:
            c = o.loss_curves[lt]
            ids.append(o.assets.asset_id[c.asset].astype(str))
            lts.append(np.full(len(c.asset), lt))
            ratios.append(c.loss_ratio)
            losses.append(c.loss_ratio * o.assets.values[lt][c.asset])
            values.append(poes[lt])
        order = np.argsort(np.concatenate([o.loss_curves[lt].asset for lt in o.loss_types]),
                           kind="stable")
        cols = [(np.concatenate(ids)[order], "%s"), (np.concatenate(lts)[order], "%s"),
                (_f32(np.concatenate(losses)[order]), "%.5E"),
                (_f32(np.concatenate(ratios)[order]), "%.5E"),
                (_f32(np.concatenate(values)[order]), "%.5E")]
        comment = meta.comment(kind=kind, risk_investigation_time=o.risk_investigation_time)
        paths.append(write_oq_csv(export_dir / f"loss_curves-{kind}_{calc_id}.csv",
                                  ["asset_id", "loss_type", "loss_value", "loss_ratio", "poe"],
                                  cols, comment))
    return paths


# --------------------------------------------------------------------------- aggregates
def _agg_name(prefix: str, tags: tuple[str, ...], calc_id: int) -> str:
    return f"{prefix}-{'-'.join(tags)}_{calc_id}.csv"


def export_aggrisk(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                   ) -> list[Path]:
    """``aggrisk-_<id>.csv`` (total) and ``aggrisk-<tags>_<id>.csv`` (``aggregate_by``)."""
    paths = []
    rlz = _rlz_column(o)
    for table in o.aggregates:
        tags = table.tags
        rows: dict[str, list[Any]] = {"lt": [], "labels": [], "rlz": [], "values": [],
                                      "ratio": []}
        for lt in o.loss_types:
            values = table.values[lt]  # (G, R) or (G, R, D)
            for g in range(len(table.labels)):
                for r in range(o.n_rlzs):
                    v = values[g, r]
                    if tags and not o.damage and v == 0:
                        continue  # OpenQuake stores only the groups with a loss
                    rows["lt"].append(lt)
                    rows["labels"].append(table.labels[g])
                    rows["rlz"].append(o.realizations[r].rlz_id)
                    rows["values"].append(np.atleast_1d(v))
                    if not o.damage:
                        exposed = table.exposed[lt][g]
                        rows["ratio"].append(v / exposed if exposed else np.nan)
        header = ["loss_type", *tags]
        n = len(rows["lt"])
        cols: list[tuple[Any, str]] = [(np.array(rows["lt"], dtype=str).reshape(n), "%s")]
        if tags:
            cols.append((np.array(rows["labels"], dtype=str).reshape(n, len(tags)), "%s"))
        if rlz:
            header.append("rlz_id")
            cols.append((np.array(rows["rlz"], dtype=np.int64), "%d"))
        values = (np.array(rows["values"]).reshape(n, -1) if n
                  else np.zeros((0, len(o.damage_states) or 1)))
        if o.damage:
            header += list(o.damage_states)
            cols.append((_f32(values), "%.5E"))
        else:
            header += ["loss_value", "loss_ratio"]
            cols += [(_f32(values[:, 0]), "%.5E"), (_f32(rows["ratio"]), "%.5E")]
        if o.mode == "event_based_risk":
            comment = _time_comment(o, meta)
        elif tags:
            comment = meta.comment(investigation_time=None, risk_investigation_time=None)
        else:
            comment = meta.comment()
        paths.append(write_oq_csv(export_dir / _agg_name("aggrisk", tags, calc_id), header,
                                  cols, comment))
    return paths


def export_aggrisk_stats(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                         ) -> list[Path]:
    """``aggrisk-stats-_<id>.csv``: statistics over realizations of the total."""
    total = o.aggregates[0]
    lts, names, values = [], [], []
    for lt in o.loss_types:
        for name, v in risk_statistics(total.values[lt], o.weights, o.quantiles):
            lts.append(lt)
            names.append(name)
            values.append(np.atleast_1d(v[0]))
    n = len(lts)
    arr = _f32(np.array(values).reshape(n, -1))
    header = ["loss_type", *(o.damage_states if o.damage else ["loss"]), "stat"]
    cols = [(np.array(lts, dtype=str), "%s"), (arr, "%.5E"), (np.array(names, dtype=str), "%s")]
    return [write_oq_csv(export_dir / f"aggrisk-stats-_{calc_id}.csv", header, cols,
                         meta.comment())]


def export_risk_by_event(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                         ) -> list[Path]:
    """``risk_by_event_<id>.csv``: total loss (or damage) of every event."""
    ev = o.events
    assert ev is not None
    if o.damage:
        order = np.argsort(ev["event_id"], kind="stable")
        parts = [(ev["event_id"][order], o.event_totals[lt][order][:, 1:], np.full(len(ev), lt))
                 for lt in o.loss_types]
        cols = [(np.concatenate([p[0] for p in parts]), "%d"),
                (_f32(np.concatenate([p[1] for p in parts])), "%.5E"),
                (np.concatenate([p[2] for p in parts]).astype(str), "%s")]
        header = ["event_id", *o.damage_states[1:], "loss_type"]
        return [write_oq_csv(export_dir / f"risk_by_event_{calc_id}.csv", header, cols,
                             meta.comment())]
    index = []
    loss_types = []
    losses = []
    for lt in o.loss_types:
        loss = _f32(o.event_totals[lt])
        nonzero = np.flatnonzero(loss > 0)
        nonzero = nonzero[np.argsort(loss[nonzero], kind="stable")]
        index.append(nonzero)
        losses.append(loss[nonzero])
        loss_types.append(np.full(len(nonzero), lt))
    idx = np.concatenate(index).astype(np.int64)
    header = ["event_id", "loss", "loss_type"]
    cols: list[tuple[Any, str]] = [(ev["event_id"][idx], "%d"),
                                   (np.concatenate(losses), "%.5E"),
                                   (np.concatenate(loss_types).astype(str), "%s")]
    if o.mode == "event_based_risk":
        header += ["rup_id", "year"]
        cols += [(ev["rup_id"][idx], "%d"), (ev["year"][idx], "%d")]
    return [write_oq_csv(export_dir / f"risk_by_event_{calc_id}.csv", header, cols,
                         _time_comment(o, meta))]


def _periods(o: RiskOutputs) -> tuple[np.ndarray, str]:
    rp = np.asarray(o.return_periods, dtype=float)
    integral = bool(np.all(rp == np.round(rp)))
    return (rp.astype(np.int64), "%d") if integral else (rp, "%s")


def export_aggcurves(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                     ) -> list[Path]:
    """``aggcurves-[<tags>]_<id>.csv``: losses at the return periods per realization, and
    ``aggcurves-stats-_<id>.csv`` with several realizations."""
    rp, rp_fmt = _periods(o)
    p = len(rp)
    n_events = 0 if o.events is None else len(o.events)
    comment = meta.comment(risk_investigation_time=o.risk_investigation_time,
                           num_events=n_events, effective_time=o.effective_time,
                           limit_states="")
    paths = []
    for table in o.aggregates:
        tags = table.tags
        labels, periods, lts, rlzs, losses, ratios = [], [], [], [], [], []
        for g in range(len(table.labels)):
            for r in range(o.n_rlzs):
                for lt in o.loss_types:
                    curve = table.curves[lt][g, r]
                    exposed = table.exposed[lt][g]
                    labels.append(np.broadcast_to(table.labels[g], (p, len(tags))))
                    periods.append(rp)
                    lts.append(np.full(p, lt))
                    rlzs.append(np.full(p, o.realizations[r].rlz_id))
                    losses.append(curve)
                    ratios.append(curve / exposed if exposed else np.full(p, np.nan))
        header = [*tags, "return_period", "loss_type", "rlz_id", "loss_value", "loss_ratio"]
        cols: list[tuple[Any, str]] = []
        if tags:
            cols.append((np.concatenate(labels).astype(str), "%s"))
        cols += [(np.concatenate(periods), rp_fmt), (np.concatenate(lts).astype(str), "%s"),
                 (np.concatenate(rlzs), "%d"), (_f32(np.concatenate(losses)), "%.5E"),
                 (_f32(np.concatenate(ratios)), "%.5E")]
        paths.append(write_oq_csv(export_dir / _agg_name("aggcurves", tags, calc_id), header,
                                  cols, comment))
    if o.n_rlzs > 1:
        total = o.aggregates[0]
        periods, lts, values, names = [], [], [], []
        for lt in o.loss_types:
            st = risk_statistics(total.curves[lt][0][None], o.weights, o.quantiles)
            for k in range(p):
                for name, v in st:
                    periods.append(rp[k])
                    lts.append(lt)
                    values.append(v[0, k])
                    names.append(name)
        cols = [(np.array(periods), rp_fmt), (np.array(lts, dtype=str), "%s"),
                (_f32(values), "%.5E"), (np.array(names, dtype=str), "%s")]
        paths.append(write_oq_csv(export_dir / f"aggcurves-stats-_{calc_id}.csv",
                                  ["return_period", "loss_type", "loss", "stat"], cols,
                                  meta.comment()))
    return paths


def export_site_model(o: RiskOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
                      ) -> list[Path]:
    """``site_model_<id>.csv``: ``sids,lon,lat,depth,custom_site_id`` of the hazard sites."""
    s = o.sites
    assert s is not None
    cols = [(s.sids, "%d"), (s.lons, "%.5f"), (s.lats, "%.5f"), (s.depths, "%.5f"),
            (custom_site_ids(s.lons, s.lats), "%s")]
    return [write_oq_csv(export_dir / f"site_model_{calc_id}.csv",
                         ["sids", "lon", "lat", "depth", "custom_site_id"], cols,
                         meta.comment())]


risk_exporters.add("damages-rlzs", export_avg_damages)
risk_exporters.add("aggrisk", export_aggrisk)
risk_exporters.add("aggrisk-stats", export_aggrisk_stats)
risk_exporters.add("risk_by_event", export_risk_by_event)
risk_exporters.add("avg_losses-rlzs", export_avg_losses)
risk_exporters.add("avg_losses_by", export_avg_losses_by_taxonomy)
risk_exporters.add("aggcurves", export_aggcurves)
risk_exporters.add("loss_curves-rlzs", export_loss_curves)
risk_exporters.add("site_model", export_site_model)


def available_risk_exports(o: RiskOutputs) -> list[str]:
    """Names of the risk outputs :func:`export_risk` writes for ``o`` (sorted)."""
    names = []
    if o.damage:
        names.append("damages-rlzs")
    if o.mode in _EVENT_MODES:
        names += ["aggrisk", "risk_by_event"]
        if not o.damage or o.n_rlzs > 1:
            names.append("aggrisk-stats")
    if not o.damage:
        names += ["avg_losses-rlzs", "avg_losses_by"]
    if o.mode == "event_based_risk":
        names.append("aggcurves")
    if o.mode == "classical_risk":
        names.append("loss_curves-rlzs")
    if o.sites_from_csv and o.sites is not None:
        names.append("site_model")
    return sorted(names)


def export_risk(
    calc_id: int,
    outputs: RiskOutputs | Datastore,
    export_dir: str | os.PathLike[str],
    meta: ExportMeta | Mapping[str, Any] | None = None,
) -> list[Path]:
    """Export every risk output of calculation ``calc_id``, and its hazard part when it was
    computed (or read from a file) in the same job.

    Returns
    -------
    list of Path
        The files written: the hazard part first, then the risk outputs in the order of
        :func:`available_risk_exports`.
    """
    if isinstance(outputs, Datastore):
        outputs = load_risk(outputs)
    elif not isinstance(outputs, RiskOutputs):
        raise InputError(f"cannot export risk outputs from a {type(outputs).__name__}: "
                         "expected RiskOutputs or a Datastore")
    m = _meta(meta)
    out = _export_dir(export_dir)
    paths: list[Path] = []
    if isinstance(outputs.hazard, GmfOutputs):
        paths += export_gmf(calc_id, outputs.hazard, out, m)
    elif isinstance(outputs.hazard, HazardOutputs):
        paths += export_all(calc_id, outputs.hazard, out, m)
    for name in available_risk_exports(outputs):
        paths += risk_exporters.get(name)(outputs, int(calc_id), out, m)
    return paths
