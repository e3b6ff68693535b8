"""Turn toolkit results into the plain data the widgets display (:mod:`toolkit.widgets.protocol`).

- :func:`hazard_from_outputs`: :class:`~toolkit.store.hazard.HazardOutputs` (or a
  :class:`~toolkit.store.gmf.GmfOutputs` / :class:`~toolkit.store.risk.RiskOutputs` holding
  curves) -> :class:`HazardCurves`;
- :func:`hazard_from_xarray`: the ``DataArray`` of :meth:`toolkit.client.Client.hazard_curves`;
- :func:`fields_from_gmf` (in-process outputs) and :func:`fields_from_dataset` (the ``Dataset``
  of :meth:`toolkit.client.Client.gmfs`): ground-motion fields, one :class:`FieldSeries` per
  IMT, events as steps;
- :func:`depth_series`: water depth over time of a 3Di result
  (:class:`~toolkit.scenarios.threedi.ThreediResult`);
- :func:`damage_from_summary` / :func:`damage_from_csv` (flood damage summary) and
  :func:`damage_from_risk` (damage states or losses of a risk calculation);
- :func:`raster_from_geotiff`, :func:`raster_from_xarray`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, NotFound
from toolkit.widgets.protocol import DamageTable, FieldSeries, HazardCurves, RasterImage

__all__ = [
    "hazard_from_outputs",
    "hazard_from_xarray",
    "fields_from_gmf",
    "fields_from_dataset",
    "depth_series",
    "damage_from_summary",
    "damage_from_csv",
    "damage_from_risk",
    "raster_from_geotiff",
    "raster_from_xarray",
]


def _curve_outputs(outputs: Any) -> Any:
    """The HazardOutputs inside ``outputs`` (itself, a GMF's curves, a risk's hazard)."""
    from toolkit.store.gmf import GmfOutputs
    from toolkit.store.hazard import HazardOutputs
    from toolkit.store.risk import RiskOutputs

    if isinstance(outputs, RiskOutputs):
        outputs = outputs.hazard
    if isinstance(outputs, GmfOutputs):
        outputs = outputs.curves
    if not isinstance(outputs, HazardOutputs):
        raise NotFound("these outputs hold no hazard curves (a classical calculation, or an "
                       "event-based one with hazard_curves_from_gmfs, has them)")
    return outputs


def hazard_from_outputs(outputs: Any, title: str = "") -> HazardCurves:
    """Hazard curves of ``outputs``: every statistic, then every realization (``rlz-<i>``)."""
    out = _curve_outputs(outputs)
    curves: dict[str, dict[str, np.ndarray]] = {}
    for stat in out.curves_stats:
        curves[stat] = {imt: out.curves(imt, stat=stat) for imt in out.imts}
    for r in range(out.n_rlzs):
        curves[f"rlz-{r}"] = {imt: out.curves(imt, rlz=r) for imt in out.imts}
    return HazardCurves(lons=out.sites.lons, lats=out.sites.lats, levels=dict(out.imtls),
                        curves=curves, investigation_time=out.investigation_time, title=title)


def hazard_from_xarray(data: Any, *, title: str = "") -> HazardCurves:
    """Hazard curves from the :class:`xarray.DataArray` of
    :meth:`toolkit.client.Client.hazard_curves`: dims ``(kind, site, imt, level)``, the levels
    in the 2-D coordinate ``iml`` ``(imt, level)`` (NaN-padded), ``lon``/``lat`` on ``site``,
    attribute ``investigation_time``. Arrays without ``kind`` are taken as ``mean``; a 1-D
    ``level`` coordinate is accepted for the levels too."""
    for dim in ("site", "imt", "level"):
        if dim not in data.dims:
            raise InputError(f"hazard curves: expected dims (kind, site, imt, level), got "
                             f"{tuple(data.dims)}")
    if "kind" not in data.dims:
        data = data.expand_dims(kind=[str(data.attrs.get("kind", "mean"))])
    data = data.transpose("kind", "site", "imt", "level")
    imts = [str(i) for i in data["imt"].values]
    if "iml" in data.coords:
        iml = np.asarray(data["iml"].transpose("imt", "level").values, dtype=float)
    else:
        iml = np.broadcast_to(np.asarray(data["level"].values, dtype=float),
                              (len(imts), data.sizes["level"]))
    values = np.asarray(data.values, dtype=float)
    levels: dict[str, np.ndarray] = {}
    curves: dict[str, dict[str, np.ndarray]] = {}
    for m, imt in enumerate(imts):
        finite = np.isfinite(iml[m])
        levels[imt] = iml[m][finite]
        for k, kind in enumerate(str(v) for v in data["kind"].values):
            name = kind
            if kind.startswith("rlz-"):  # "rlz-000" -> "rlz-0"
                name = f"rlz-{int(kind[4:])}" if kind[4:].isdigit() else kind
            curves.setdefault(name, {})[imt] = values[k, :, m][:, finite]
    n = data.sizes["site"]
    lons = data["lon"].values if "lon" in data.coords else np.zeros(n)
    lats = data["lat"].values if "lat" in data.coords else np.zeros(n)
    itime = float(data.attrs.get("investigation_time", 50.0) or 50.0)
    return HazardCurves(lons=lons, lats=lats, levels=levels, curves=curves,
                        investigation_time=itime, title=title)


def fields_from_dataset(data: Any, *, max_events: int = 500) -> dict[str, FieldSeries]:
    """Ground-motion fields from the :class:`xarray.Dataset` of
    :meth:`toolkit.client.Client.gmfs` (dims ``(event, site)``, one variable per IMT,
    ``rlz`` on ``event``, ``lon``/``lat`` on ``site``)."""
    if "event" not in data.dims or "site" not in data.dims:
        raise InputError(f"ground motion fields: expected dims (event, site), got "
                         f"{tuple(data.dims)}")
    if data.sizes["event"] == 0:
        raise NotFound("the calculation produced no events, so there are no fields to show")
    data = data.isel(event=slice(0, max_events))
    events = data["event"].values
    rlz = data["rlz"].values if "rlz" in data.coords else None
    labels = [f"event {int(e)}" + (f" (rlz {int(rlz[i])})" if rlz is not None else "")
              for i, e in enumerate(events)]
    series = {}
    for imt in data.data_vars:
        arr = data[imt].transpose("event", "site")
        units = str(arr.attrs.get("units", "cm/s" if imt == "PGV" else "g"))
        series[str(imt)] = FieldSeries(name=str(imt), units=units, x=data["lon"].values,
                                       y=data["lat"].values, steps=labels,
                                       values=np.asarray(arr.values, dtype=float),
                                       crs="lon/lat", step_name="event")
    return series


def fields_from_gmf(outputs: Any, *, max_events: int = 500) -> dict[str, FieldSeries]:
    """Ground-motion fields, one :class:`FieldSeries` per IMT, with the events as steps
    (first ``max_events`` events); sites without a value (below the minimum intensity) are 0."""
    from toolkit.store.gmf import GmfOutputs
    from toolkit.store.risk import RiskOutputs

    if isinstance(outputs, RiskOutputs):
        outputs = outputs.hazard
    if not isinstance(outputs, GmfOutputs):
        raise NotFound("these outputs hold no ground-motion fields (scenario and event-based "
                       "calculations have them)")
    events = outputs.events[:max_events]
    if events.size == 0:
        raise NotFound("the calculation produced no events, so there are no fields to show")
    n = len(outputs.sites)
    ev_ids = np.asarray(events["event_id"], dtype=np.int64)
    eid = np.asarray(outputs.gmf_event_id, dtype=np.int64)
    sorter = np.argsort(ev_ids)
    pos = np.clip(np.searchsorted(ev_ids, eid, sorter=sorter), 0, ev_ids.size - 1)
    row = sorter[pos]
    keep = ev_ids[row] == eid
    sid = np.asarray(outputs.gmf_site_id, dtype=np.int64)[keep]
    gmv = np.asarray(outputs.gmf_gmv, dtype=float)[keep]
    row = row[keep]
    labels = [f"event {int(e['event_id'])} (rlz {int(e['rlz_id'])})" for e in events]
    series = {}
    for m, imt in enumerate(outputs.imts):
        values = np.zeros((events.size, n))
        values[row, sid] = gmv[:, m]
        units = "cm/s" if imt == "PGV" else "g"
        series[imt] = FieldSeries(name=imt, units=units, x=outputs.sites.lons,
                                  y=outputs.sites.lats, steps=labels, values=values,
                                  crs="lon/lat", step_name="event")
    return series


def depth_series(result: Any, *, name: str = "Water depth",
                 preload_bytes: int = 200 * 2**20) -> FieldSeries:
    """Water depth ``max(s1 - bottom level, 0)`` of the open-water cells of a 3Di result at
    every output step.

    Small results are read at once (fixed colour scale = the maximum depth); larger ones one
    step at a time.
    """
    ow = result.open_water
    bottom = result.cells["bottom_level"].values[ow]
    level = result.timeseries("s1")
    times = result.times
    start = result.start_time
    if start is not None:
        stamps = start.astype("datetime64[ms]") + np.rint(np.asarray(times) * 1e3).astype(
            "timedelta64[ms]")
        labels = [str(s.astype("datetime64[s]")).replace("T", " ") for s in stamps]
    else:
        labels = [f"t = {t / 3600:.2f} h" for t in times]
    n_steps = len(times)

    def depth(values: np.ndarray) -> np.ndarray:
        d = np.asarray(values, dtype=float)[..., ow] - bottom
        return np.where(np.isnan(d), np.nan, np.maximum(d, 0.0))

    if n_steps * ow.size * 8 <= preload_bytes:
        values: Any = depth(level.values)
    else:
        def values(step: int) -> np.ndarray:
            return depth(level.isel(time=step).values)

    crs = result.crs.to_string() if getattr(result, "crs", None) is not None else ""
    x = result.cells["x"].values[ow]
    y = result.cells["y"].values[ow]
    return FieldSeries(name=name, units="m", x=x, y=y, steps=labels, values=values,
                       grid=result.grid, crs=crs, step_name="time", dry_below=0.0)


def damage_from_summary(summary: Mapping[str, Any], *, title: str = "Flood damage",
                        raster: RasterImage | None = None) -> DamageTable:
    """A damage table from :meth:`toolkit.scenarios.damage.DamageEstimate.summary`."""
    rows = list(summary.get("classes", []))
    columns = ["total_damage", "flooded_area_m2", "mean_depth_m", "max_depth_m",
               "mean_damage_fraction"]
    unit = str(summary.get("unit", ""))
    values = np.array([[float(r.get(c) or 0.0) for c in columns] for r in rows]).reshape(
        len(rows), len(columns))
    units = {"total_damage": unit, "flooded_area_m2": "m²", "mean_depth_m": "m",
             "max_depth_m": "m", "mean_damage_fraction": ""}
    return DamageTable(title=title, categories=[str(r["class"]) for r in rows],
                       columns=columns, values=values, units=units, raster=raster)


def damage_from_csv(path: str | Path, *, title: str = "Flood damage") -> DamageTable:
    """A damage table from a ``damage-summary.csv`` (the Lizard result, or the one
    :func:`toolkit.scenarios.damage.write_damage_summary` writes); the ``total`` row is
    dropped."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            rows = [r for r in reader if (r.get("class") or "").strip().lower() != "total"]
            header = reader.fieldnames or []
    except OSError as exc:
        raise InputError(f"{path}: cannot read the damage summary ({exc.strerror or exc})"
                         ) from None
    if "class" not in header:
        raise InputError(f"{path}: a damage summary needs a 'class' column, got {header}")
    numeric = sorted((c for c in header if c != "class"),
                     key=lambda c: not c.startswith("total_damage"))  # the damage first
    unit = ""
    for c in numeric:
        if c.startswith("total_damage_"):
            unit = c.removeprefix("total_damage_")
    values = []
    for lineno, r in enumerate(rows, start=2):
        try:
            values.append([float(r[c]) if (r.get(c) or "").strip() else 0.0 for c in numeric])
        except ValueError:
            raise InputError(f"{path}, line {lineno}: expected numbers in {numeric}") from None
    columns = ["total_damage" if c.startswith("total_damage") else c for c in numeric]
    units = {c: (f"{unit}/m²" if c.endswith("_per_m2") else "m²" if c.endswith("_m2") else
                 "m" if c.endswith("_m") else "pixels" if c.endswith("_pixels") else "")
             for c in columns}
    units["total_damage"] = unit
    return DamageTable(title=title, categories=[r["class"] for r in rows], columns=columns,
                       values=np.array(values).reshape(len(rows), len(columns)), units=units)


def damage_from_risk(outputs: Any, *, loss_type: str | None = None, rlz: int | None = None,
                     by: str = "taxonomy") -> DamageTable:
    """Damage states (scenario/classical damage: buildings per state) or average losses
    (scenario/event-based/classical risk) of a risk calculation, summed ``by`` taxonomy or
    per asset (``by="asset"``), averaged over realizations with their weights unless ``rlz``
    is given."""
    from toolkit.store.risk import RiskOutputs

    if not isinstance(outputs, RiskOutputs):
        raise NotFound("these outputs hold no damage or losses (a risk calculation has them)")
    lt = loss_type or outputs.loss_types[0]
    if lt not in outputs.avg:
        raise NotFound(f"loss type {lt!r} not computed; known: {list(outputs.avg)}")
    avg = np.asarray(outputs.avg[lt], dtype=float)
    weights = np.array([r.weight for r in outputs.realizations], dtype=float)
    if rlz is not None:
        data = avg[:, rlz]
    else:
        data = np.tensordot(avg, weights / weights.sum(), axes=([1], [0]))
    if data.ndim == 1:
        data = data[:, None]
        columns = [f"average {lt} loss"]
    else:
        columns = list(outputs.damage_states)
    assets = outputs.assets
    if by == "asset":
        categories = [str(a) for a in assets.asset_id]
        values = data
    elif by == "taxonomy":
        taxonomy = np.asarray(assets.taxonomy).astype(str)
        categories = sorted(set(taxonomy.tolist()))
        index = np.searchsorted(categories, taxonomy)
        values = np.zeros((len(categories), data.shape[1]))
        np.add.at(values, index, data)
    else:
        raise InputError(f"damage table: 'by' must be 'taxonomy' or 'asset', got {by!r}")
    unit = "buildings" if len(columns) > 1 else ""
    return DamageTable(title=f"{outputs.mode.replace('_', ' ')} ({lt})", categories=categories,
                       columns=columns, values=values, units=dict.fromkeys(columns, unit))


def raster_from_geotiff(path: str | Path, *, band: int = 1, name: str = "",
                        units: str | None = None) -> RasterImage:
    """Read one band of a GeoTIFF (nodata as NaN)."""
    import rasterio

    path = Path(path)
    try:
        with rasterio.open(path) as src:
            arr = src.read(band).astype(float)
            if src.nodata is not None:
                arr[arr == src.nodata] = np.nan
            left, bottom, right, top = src.bounds
            tags = src.tags()
            crs = src.crs.to_string() if src.crs else ""
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"{path}: cannot read the raster ({exc})") from None
    return RasterImage(array=arr, extent=(left, right, bottom, top),
                       name=name or tags.get("name", path.stem),
                       units=tags.get("units", "") if units is None else units, crs=crs)


def raster_from_xarray(data: Any, *, name: str = "", units: str = "") -> RasterImage:
    """A :class:`RasterImage` from a 2-D ``DataArray`` with ``x``/``y`` coordinates (pixel
    centres, as :meth:`toolkit.client.ScenarioClient.raster` returns; a leading ``band`` or
    ``time`` dim of size 1 is dropped)."""
    arr = data.squeeze()
    if arr.ndim != 2:
        raise InputError(f"raster {name!r}: expected 2 dims (y, x), got {arr.dims}")
    ydim = next((d for d in arr.dims if d in ("y", "lat", "northing")), arr.dims[0])
    xdim = next((d for d in arr.dims if d in ("x", "lon", "easting")), arr.dims[1])
    arr = arr.transpose(ydim, xdim)
    values = np.asarray(arr.values, dtype=float)
    nodata = arr.attrs.get("nodata", arr.attrs.get("_FillValue"))
    if nodata is not None:
        values = np.where(values == float(nodata), np.nan, values)
    if xdim in arr.coords and ydim in arr.coords and arr.sizes[xdim] > 1 and arr.sizes[ydim] > 1:
        xs, ys = arr[xdim].values.astype(float), arr[ydim].values.astype(float)
        dx, dy = abs(xs[1] - xs[0]), abs(ys[1] - ys[0])
        extent = (xs.min() - dx / 2, xs.max() + dx / 2, ys.min() - dy / 2, ys.max() + dy / 2)
        if ys[0] < ys[-1]:
            values = values[::-1]
    else:
        extent = (0.0, float(values.shape[1]), 0.0, float(values.shape[0]))
    crs = str(arr.attrs.get("crs", arr.attrs.get("projection", "")))
    return RasterImage(array=values, extent=extent, name=name or str(arr.name or ""),
                       units=units or str(arr.attrs.get("units", "")), crs=crs)
