"""Fill the scenario catalogue: 3Di result pairs, their derived results, engine calculations.

Flood scenarios (3Di)
    :func:`import_threedi` checks a ``gridadmin.h5`` + ``results_3di.nc`` pair (same model, not
    truncated), creates a scenario with the pair as its ``Raw`` results (codes ``grid-admin``,
    ``results-3di``, ``aggregate-results-3di``) and runs :func:`process_scenario`, which computes
    the derived results with :func:`toolkit.scenarios.derived.derive_all` and records them under
    Lizard's codes (``Basic``: ``depth-dtri``, ``depth-max-dtri``, ``s1-dtri``, ``s1-max-dtri``,
    ``rise-velocity-quad``; ``Arrival``: ``depth-first-dtri``; ``Damage``: ``total-damage``,
    ``damage-summary``). Rasters become ``/api/v4/rasters/{uuid}/`` resources; the scenario's
    spatial fields come from the maximum depth raster, its simulation and model fields from the
    files.
Earthquake scenarios (engine)
    :func:`publish_calculation` publishes a complete ``scenario``, ``scenario_damage`` or
    ``scenario_risk`` calculation: ``Raw`` ``datastore`` (the HDF5 file), ``Basic``
    ``gmf-mean-<imt>`` (e.g. ``gmf-mean-pga``, ``gmf-mean-sa-1.0``: OpenQuake's ``avg_gmf``,
    the weighted geometric mean of the site's GMVs over the events, interpolated linearly
    (Delaunay triangles in longitude/latitude) onto a grid of at most
    :data:`GMF_RASTER_SIZE` pixels per side in EPSG:4326, no data outside the sites' convex
    hull) and ``gmf-data`` (OpenQuake's ``gmf-data`` CSV), and for risk calculations
    ``Damage`` ``damage-by-asset`` (``avg_damages`` CSV) or ``losses-by-asset``
    (``avg_losses`` CSV; the mean when there are several realizations).

Serving rasters
    :func:`raster_info` describes a GeoTIFF (CRS, bounds, band times); :func:`render_raster`
    cuts, resamples and reprojects it to a requested box and size (``rasterio.warp``,
    nearest neighbour: 3Di rasters hold one value per cell) for ``/rasters/{uuid}/data/``.

Everything is written in a work folder of the store and enters the catalogue in one transaction
(:meth:`~toolkit.store.scenarios.ScenarioStore.publish`), so a scenario deleted while it is
processed ends up with nothing half-written.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, NotFound
from toolkit.store.scenarios import NewResult, Scenario, ScenarioStore, timestamp

__all__ = [
    "RAW_CODES",
    "GMF_RASTER_SIZE",
    "RasterInfo",
    "import_threedi",
    "process_scenario",
    "check_raw_file",
    "check_raw_pair",
    "raw_files",
    "publish_calculation",
    "gmf_code",
    "raster_info",
    "render_raster",
    "check_bbox",
    "select_bands",
    "load_demo_scenarios",
    "DEMO_FLOOD_NAME",
]

#: name of the demo flood scenario that ``toolkit serve --demo`` imports once
DEMO_FLOOD_NAME = "Demo flood: synthetic 3Di-like basin"

#: Raw result codes of 3Di scenarios -> (name as Lizard shows it, file name)
RAW_CODES = {
    "grid-admin": ("Grid administration", "gridadmin.h5"),
    "results-3di": ("Raw 3Di output", "results_3di.nc"),
    "aggregate-results-3di": ("Aggregated 3Di output", "aggregate_results_3di.nc"),
    "logfiles": ("calculation core logging", "log_files.zip"),
}
#: Raw files that are HDF5/netCDF-4 and are checked on upload
_HDF5_CODES = ("grid-admin", "results-3di", "aggregate-results-3di")

#: largest side (pixels) of the ``gmf-mean-<imt>`` rasters of engine scenarios
GMF_RASTER_SIZE = 256

#: observation parameter of the rasters, by code (Lizard's ``observation_type.parameter``)
_PARAMETERS = {
    "depth-dtri": "Water depth", "depth-max-dtri": "Water depth", "s1-dtri": "Water level",
    "s1-max-dtri": "Water level", "rise-velocity-quad": "Rate of rise",
    "depth-first-dtri": "Arrival time", "total-damage": "Damage",
}
_ENGINE_MODES = ("scenario", "scenario_damage", "scenario_risk")


# ------------------------------------------------------------------------- 3Di raw files
def check_raw_file(path: str | os.PathLike[str], code: str, filename: str = "") -> None:
    """Check one uploaded raw 3Di file: HDF5/netCDF-4 codes must open (not truncated).

    Raises
    ------
    InputError
        The file is truncated or not HDF5 (the message says which and how many bytes).
    """
    if code not in _HDF5_CODES:
        return
    import h5py

    label = filename or RAW_CODES[code][1]
    try:
        with h5py.File(path, "r") as h5:
            kind = "gridadmin" if code == "grid-admin" else "results"
            if kind == "gridadmin" and "nodes" not in h5:
                raise InputError(f"{label}: not a 3Di gridadmin file (no group 'nodes')")
            if kind == "results" and "time" not in h5 and not any(
                    str(k).startswith("time") for k in h5):
                raise InputError(f"{label}: not a 3Di results file (no 'time' variable)")
    except OSError as exc:
        text = str(exc)
        if "truncated file" in text:
            import re

            m = re.search(r"eof = (\d+).*stored_eof = (\d+)", text)
            sizes = f": {m.group(1)} of {m.group(2)} bytes" if m else ""
            raise InputError(f"{label} is truncated{sizes} (an incomplete upload?)") from None
        raise InputError(f"{label} is not an HDF5/netCDF-4 file ({text})") from None


def raw_files(store: ScenarioStore, scenario_uuid: str) -> dict[str, Path]:
    """Absolute paths of the attached raw files of a scenario, by code."""
    return {r.code: store.path(r.file) for r in store.list_results(scenario_uuid, family="Raw")
            if r.file and r.code in RAW_CODES}


def check_raw_pair(gridadmin: Path, results: Path, aggregate: Path | None = None) -> None:
    """Open a pair with :func:`~toolkit.scenarios.threedi.open_threedi` (InputError when the
    results belong to another model or a file is unreadable)."""
    from toolkit.scenarios.threedi import open_threedi

    with open_threedi(gridadmin, results, aggregate):
        pass


def _threedi_metadata(result: Any) -> dict[str, Any]:
    ga, res = result.gridadmin_attrs, result.results_attrs
    meta: dict[str, Any] = {}
    if result.model_slug:
        meta["model_name"] = result.model_slug
    for key, attrs, name in (("model_identifier", res, "model_id"),
                             ("model_revision", ga, "revision_nr"),
                             ("simulation_identifier", res, "simulation_id")):
        value = attrs.get(name)
        if value not in (None, ""):
            meta[key] = str(value)
    if result.start_time is not None:
        start = result.start_time.astype("datetime64[ms]")
        end = start + np.timedelta64(int(round(float(result.times[-1]) * 1e3)), "ms")
        meta["simulation_start"] = f"{start.astype('datetime64[s]')}Z"
        meta["simulation_end"] = f"{end.astype('datetime64[s]')}Z"
    return meta


def _spatial(path: Path) -> dict[str, Any]:
    info = raster_info(path)
    left, bottom, right, top = info.bounds
    return {"projection": info.projection, "origin_x": left, "origin_y": bottom,
            "upper_bound_x": right, "upper_bound_y": top, "pixelsize_x": info.pixelsize[0],
            "pixelsize_y": info.pixelsize[1]}


def process_scenario(store: ScenarioStore, scenario_uuid: str, *,
                     derive_options: dict[str, Any] | None = None) -> list[Any]:
    """Compute the derived results of a scenario's raw 3Di files and record them.

    Results with the same codes are replaced. The scenario's spatial fields are set from the
    maximum depth raster, and its model and simulation fields from the files where they are
    empty.

    Parameters
    ----------
    derive_options : dict, optional
        Keyword arguments of :func:`~toolkit.scenarios.derived.derive_all` (``times``,
        ``threshold``, ``curves``, ``land_use``, ...).

    Returns
    -------
    list of ScenarioResult

    Raises
    ------
    InputError
        No ``grid-admin`` or ``results-3di`` file, or files that do not open as a pair.
    NotFound
        The scenario was deleted (before or while it was processed): nothing is recorded.
    """
    from toolkit.scenarios.derived import derive_all
    from toolkit.scenarios.threedi import open_threedi

    scenario = store.get(scenario_uuid)
    files = raw_files(store, scenario.uuid)
    missing = [c for c in ("grid-admin", "results-3di") if c not in files]
    if missing:
        raise InputError(f"scenario {scenario.uuid} has no raw result file {missing[0]!r} "
                         "(upload gridadmin.h5 and results_3di.nc first)")
    work = store.work_dir()
    try:
        with open_threedi(files["grid-admin"], files["results-3di"],
                          files.get("aggregate-results-3di")) as result:
            derived = derive_all(result, work, **(derive_options or {}))
            metadata = {k: v for k, v in _threedi_metadata(result).items()
                        if getattr(scenario, k) in (None, "")}
        items = []
        for d in derived:
            is_raster = d.path.suffix.lower() in (".tif", ".tiff")
            items.append(NewResult(
                code=d.code, family=d.family, name=d.name, description=d.description,
                file=None if is_raster else d.path, filename=None if is_raster else d.path.name,
                raster_file=d.path if is_raster else None, temporal=bool(d.temporal),
                unit=d.unit, parameter=_PARAMETERS.get(d.code, "")))
        spatial = next((_spatial(d.path) for d in derived if d.code == "depth-max-dtri"), None)
        return store.publish(scenario.uuid, items, spatial=spatial, metadata=metadata)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def import_threedi(store: ScenarioStore, gridadmin: str | os.PathLike[str],
                   results: str | os.PathLike[str], *,
                   aggregate: str | os.PathLike[str] | None = None, name: str | None = None,
                   supplier: str = "", organisation: str = "",
                   access_modifier: str = "Private", description: str = "",
                   extra_metadata: dict[str, Any] | None = None, derive: bool = True,
                   derive_options: dict[str, Any] | None = None) -> Scenario:
    """Create a scenario from a local 3Di result pair (copied in) and compute its derived
    results.

    Parameters
    ----------
    gridadmin, results : path
        The pair; checked first (same model, readable): nothing is created when it is bad.
    aggregate : path, optional
        ``aggregate_results_3di.nc`` of the same simulation.
    name : str, optional
        Scenario name (default: the model slug and simulation id).
    derive : bool
        Compute the derived results (:func:`process_scenario`).

    Raises
    ------
    InputError
        A missing or unreadable file, or results of another model.
    """
    from toolkit.scenarios.threedi import open_threedi

    paths = {"grid-admin": Path(gridadmin), "results-3di": Path(results)}
    if aggregate is not None:
        paths["aggregate-results-3di"] = Path(aggregate)
    for code, path in paths.items():
        if not path.is_file():
            raise InputError(f"{path}: {RAW_CODES[code][1]} not found")
        check_raw_file(path, code, str(path))
    with open_threedi(paths["grid-admin"], paths["results-3di"],
                      paths.get("aggregate-results-3di")) as result:
        metadata = _threedi_metadata(result)
    if name is None:
        name = " ".join(str(x) for x in (metadata.get("model_name") or "3Di scenario",
                                         metadata.get("simulation_identifier", "")) if x)
    scenario = store.create(name, source="3Di", supplier=supplier, organisation=organisation,
                            access_modifier=access_modifier, description=description,
                            extra_metadata=extra_metadata or {}, **metadata)
    work = store.work_dir()
    try:
        items = []
        for code, path in paths.items():
            copy = work / RAW_CODES[code][1]
            shutil.copyfile(path, copy)
            items.append(NewResult(code=code, family="Raw", name=RAW_CODES[code][0],
                                   file=copy, filename=RAW_CODES[code][1]))
        store.publish(scenario.uuid, items)
    except BaseException:
        store.delete(scenario.uuid)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if derive:
        process_scenario(store, scenario.uuid, derive_options=derive_options)
    return store.get(scenario.uuid)


# ------------------------------------------------------------------------- engine scenarios
def gmf_code(imt: str) -> str:
    """Result code of the mean-GMF raster of an IMT: ``PGA`` -> ``gmf-mean-pga``,
    ``SA(1.0)`` -> ``gmf-mean-sa-1.0``."""
    text = str(imt).strip().lower().replace("(", "-").replace(")", "")
    return f"gmf-mean-{text}"


def _grid(lons: np.ndarray, lats: np.ndarray, size: int) -> tuple[Any, int, int]:
    """Transform and shape of a lon/lat grid covering the sites with pixel centres on the
    extreme sites (square pixels, at most ``size`` per side)."""
    from rasterio.transform import Affine

    west, east = float(lons.min()), float(lons.max())
    south, north = float(lats.min()), float(lats.max())
    span = max(east - west, north - south)
    pixel = span / (size - 1) if span > 0 else 0.01
    cols = int(math.floor((east - west) / pixel + 1e-9)) + 1
    rows = int(math.floor((north - south) / pixel + 1e-9)) + 1
    return Affine(pixel, 0.0, west - pixel / 2, 0.0, -pixel, north + pixel / 2), rows, cols


def _interpolate(lons: np.ndarray, lats: np.ndarray, values: np.ndarray, transform: Any,
                 rows: int, cols: int) -> np.ndarray:
    """Linear interpolation (Delaunay) of site values at the pixel centres; NaN outside the
    convex hull. Fewer than 3 sites, or sites on a line: nearest site within one pixel."""
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    x = transform.c + (np.arange(cols) + 0.5) * transform.a
    y = transform.f + (np.arange(rows) + 0.5) * transform.e
    gx, gy = np.meshgrid(x, y)
    points = np.column_stack([lons, lats])
    try:
        if len(points) < 3:
            raise QhullError("fewer than 3 sites")
        return griddata(points, values, (gx, gy), method="linear").astype(np.float32)
    except (QhullError, ValueError):
        near = griddata(points, values, (gx, gy), method="nearest")
        dist = np.min(np.hypot(gx[..., None] - lons, gy[..., None] - lats), axis=-1)
        return np.where(dist <= abs(transform.a) * 1.01, near, np.nan).astype(np.float32)


def _engine_items(calc_id: int, outputs: Any, hazard: Any, work: Path,
                  meta: Any) -> tuple[list[NewResult], dict[str, Any] | None]:
    from toolkit.scenarios.rasters import write_geotiff
    from toolkit.store.gmf_exporters import avg_gmf, export_gmf_data

    items: list[NewResult] = []
    spatial = None
    if hazard is not None:
        sids, values = avg_gmf(hazard)
        lons, lats = hazard.sites.lons[sids], hazard.sites.lats[sids]
        if sids.size:
            transform, rows, cols = _grid(lons, lats, GMF_RASTER_SIZE)
            for j, imt in enumerate(hazard.imts):
                code = gmf_code(imt)
                array = _interpolate(lons, lats, values[:, j], transform, rows, cols)
                path = write_geotiff(work / f"{code}.tif", array, transform, "EPSG:4326",
                                     tags={"code": code, "imt": imt,
                                           "units": "cm/s" if imt == "PGV" else "g"})
                items.append(NewResult(
                    code=code, family="Basic", name=f"Mean ground motion {imt}",
                    description=f"{imt}: weighted geometric mean of the ground-motion fields "
                                "at the sites (OpenQuake avg_gmf), interpolated linearly",
                    raster_file=path, unit="cm/s" if imt == "PGV" else "g",
                    parameter=f"Ground motion {imt}"))
                if spatial is None:
                    spatial = _spatial(path)
        csv = export_gmf_data(hazard, calc_id, work, meta)
        items.append(NewResult(code="gmf-data", family="Basic", name="Ground-motion fields",
                               description="OpenQuake gmf-data CSV: one row per event and site",
                               file=csv, filename=csv.name))
    from toolkit.store.risk import RiskOutputs

    if isinstance(outputs, RiskOutputs):
        from toolkit.store.risk_exporters import export_avg_damages, export_avg_losses

        if outputs.damage:
            paths = export_avg_damages(outputs, calc_id, work, meta)
            code, name = "damage-by-asset", "Damage by asset"
            text = "OpenQuake avg_damages CSV: buildings per damage state for every asset"
        else:
            paths = export_avg_losses(outputs, calc_id, work, meta)
            code, name = "losses-by-asset", "Losses by asset"
            text = "OpenQuake avg_losses CSV: average loss of every asset per loss type"
        chosen = next((p for p in paths if "-mean_" in p.name), paths[0])
        items.append(NewResult(code=code, family="Damage", name=name, description=text,
                               file=chosen, filename=chosen.name))
    return items, spatial


def publish_calculation(store: ScenarioStore, calc_id: int, *, name: str | None = None,
                        supplier: str | None = None, organisation: str = "",
                        access_modifier: str = "Private", description: str | None = None,
                        extra_metadata: dict[str, Any] | None = None) -> Scenario:
    """Publish a complete engine scenario calculation as a scenario of the catalogue.

    Parameters
    ----------
    store : ScenarioStore
        Its data directory holds the calculation (catalogue and datastore).
    calc_id : int
        A complete ``scenario``, ``scenario_damage`` or ``scenario_risk`` calculation.
    name, description : str, optional
        Default: the calculation's description.
    supplier : str, optional
        Default: the calculation's owner.

    Raises
    ------
    InputError
        Unknown or incomplete calculation, or another calculation mode.
    """
    from toolkit.store import ExportMeta, datastore_path, open_reader
    from toolkit.store.gmf import load_gmf

    try:
        record = store.catalogue.get(int(calc_id))
    except NotFound:
        raise InputError(f"there is no calculation {calc_id} to publish") from None
    if record.status != "complete":
        raise InputError(f"calculation {calc_id} is {record.status}, not complete: it cannot "
                         "be published")
    if record.calculation_mode not in _ENGINE_MODES:
        raise InputError(f"calculation {calc_id} is a {record.calculation_mode} calculation; "
                         f"only {', '.join(_ENGINE_MODES)} calculations are published as "
                         "scenarios")
    data_dir = store.data_dir
    with open_reader(data_dir, calc_id) as reader:
        attrs = reader.get_attrs("/")
        imts_meta = reader.get_json("oqparam") or {}
        if "risk_meta" in reader:
            from toolkit.store.risk import load_risk

            outputs = load_risk(reader)
            hazard = outputs.hazard
        else:
            outputs = hazard = load_gmf(reader)
    if hazard is None and getattr(outputs, "hazard_calculation_id", None):
        with open_reader(data_dir, int(outputs.hazard_calculation_id)) as reader:
            hazard = load_gmf(reader)
    meta = ExportMeta(checksum=int(attrs.get("checksum", 0) or 0),
                      start_date=str(attrs.get("start_date", "")) or None).resolved()
    start = record.start_time or record.created
    scenario = store.create(
        name or record.description or f"calculation {calc_id}", source="toolkit",
        description=record.description if description is None else description,
        supplier=record.owner if supplier is None else supplier, organisation=organisation,
        access_modifier=access_modifier, simulation_identifier=str(calc_id),
        simulation_start=start, simulation_end=record.stop_time or start,
        model_name=f"toolkit {record.calculation_mode}", model_identifier=str(calc_id),
        calc_id=int(calc_id),
        extra_metadata={"calculation_mode": record.calculation_mode, "calc_id": int(calc_id),
                        "gsim": imts_meta.get("gsim"),
                        "imts": list(getattr(hazard, "imts", []) or []),
                        **(extra_metadata or {})})
    work = store.work_dir()
    try:
        raw = work / f"calc_{calc_id}.hdf5"
        source = datastore_path(data_dir, calc_id)
        try:
            os.link(source, raw)  # the datastore is never rewritten: a hard link is a copy
        except OSError:
            shutil.copyfile(source, raw)
        items = [NewResult(code="datastore", family="Raw", name="Calculation datastore",
                           description="HDF5 datastore of the engine calculation", file=raw,
                           filename=raw.name)]
        more, spatial = _engine_items(int(calc_id), outputs, hazard, work, meta)
        store.publish(scenario.uuid, items + more, spatial=spatial)
    except BaseException:
        store.delete(scenario.uuid)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return store.get(scenario.uuid)


def load_demo_scenarios(settings: Any) -> list[Scenario]:
    """Load the demo scenarios that the catalogue does not hold yet; return the new ones.

    * the demo flood pair of ``toolkit/demos/flood/`` (:data:`DEMO_FLOOD_NAME`), imported and
      processed;
    * the demo earthquake scenario calculation (``toolkit/demos/scenario/job.ini``), when the
      catalogue holds it complete (``toolkit serve --demo`` runs it first), published.

    Both are ``Public`` (visible to every user in restricted mode), supplied by ``demo``.
    """
    from toolkit.scenarios.synthetic import DEMO_DIR
    from toolkit.store import Catalogue

    new: list[Scenario] = []
    demo_job = str((DEMO_DIR.parent / "scenario" / "job.ini").resolve())
    with Catalogue(settings.catalogue_path) as catalogue:
        store = ScenarioStore(catalogue, settings.data_dir)
        if not store.count([("name", "exact", DEMO_FLOOD_NAME)]):
            aggregate = DEMO_DIR / "aggregate_results_3di.nc"
            new.append(import_threedi(
                store, DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc",
                aggregate=aggregate if aggregate.is_file() else None, name=DEMO_FLOOD_NAME,
                supplier="demo", access_modifier="Public",
                description="Synthetic 3Di-like result pair written by the toolkit "
                            "(toolkit/demos/flood/README.md); not a real place",
                extra_metadata={"demo": "flood"}))
        calcs = [rec for rec in catalogue.list(limit=None, status="complete")
                 if rec.job_ini == demo_job]
        for rec in calcs[:1]:
            if not store.count([("source", "exact", "toolkit"),
                                ("simulation_identifier", "exact", str(rec.id))]):
                new.append(publish_calculation(
                    store, rec.id, supplier="demo", access_modifier="Public",
                    name=f"Demo earthquake: {rec.description}",
                    extra_metadata={"demo": "scenario"}))
    return new


# ------------------------------------------------------------------------- serving rasters
@dataclass(frozen=True)
class RasterInfo:
    """What :func:`raster_info` reads from a GeoTIFF.

    ``bounds`` is ``(left, bottom, right, top)`` in ``projection``; ``wgs84`` the same box as
    ``(west, south, east, north)``; ``times`` the ISO times of the bands (``...Z``), empty
    for a raster without band times.
    """

    projection: str
    crs_wkt: str
    bounds: tuple[float, float, float, float]
    wgs84: tuple[float, float, float, float]
    pixelsize: tuple[float, float]
    shape: tuple[int, int]
    count: int
    nodata: float | None
    times: tuple[str, ...]
    unit: str


def _band_time(description: str | None, tags: dict[str, str], origin: str | None) -> str | None:
    if description:
        try:
            stamp = np.datetime64(description.rstrip("Z"), "s")
        except ValueError:
            stamp = None
        if stamp is not None:
            return f"{stamp}Z"
    seconds = tags.get("seconds")
    if seconds is not None and origin:
        try:
            base = np.datetime64(origin.rstrip("Z"), "ms")
            stamp = base + np.timedelta64(int(round(float(seconds) * 1e3)), "ms")
            return f"{stamp.astype('datetime64[s]')}Z"
        except ValueError:
            return None
    return None


@lru_cache(maxsize=256)
def _raster_info(path: str, mtime_ns: int, size: int) -> RasterInfo:
    import rasterio
    from rasterio.warp import transform_bounds

    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{Path(path).name} is not a readable GeoTIFF ({exc})") from None
    with ds:
        crs = ds.crs
        epsg = crs.to_epsg() if crs is not None else None
        projection = f"EPSG:{epsg}" if epsg else (crs.to_string() if crs else "")
        bounds = tuple(float(b) for b in ds.bounds)
        try:
            wgs84 = tuple(float(v) for v in transform_bounds(crs, "EPSG:4326", *bounds,
                                                              densify_pts=21)) if crs else bounds
        except Exception:  # noqa: BLE001 - a CRS pyproj cannot transform: no WGS84 box
            wgs84 = (math.nan,) * 4
        tags = ds.tags()
        times = []
        if ds.count > 1 or any(ds.descriptions):
            for band in range(1, ds.count + 1):
                t = _band_time(ds.descriptions[band - 1], ds.tags(band), tags.get("time_origin"))
                if t is None:
                    times = []
                    break
                times.append(t)
        return RasterInfo(projection=projection, crs_wkt=crs.to_wkt() if crs else "",
                          bounds=bounds, wgs84=wgs84,  # type: ignore[arg-type]
                          pixelsize=(float(ds.transform.a), float(ds.transform.e)),
                          shape=(ds.height, ds.width), count=ds.count,
                          nodata=None if ds.nodata is None else float(ds.nodata),
                          times=tuple(times), unit=tags.get("units", ""))


def raster_info(path: str | os.PathLike[str]) -> RasterInfo:
    """Describe a GeoTIFF (cached by path, modification time and size)."""
    st = os.stat(path)
    return _raster_info(str(path), st.st_mtime_ns, st.st_size)


def select_bands(info: RasterInfo, start: str | None = None, stop: str | None = None
                 ) -> list[int]:
    """The 1-based bands of a raster for ``start``/``stop`` (ISO 8601).

    A raster without band times has one band to serve (1); ``start`` alone picks the band
    nearest in time (as Lizard snaps to the nearest step); ``start`` and ``stop`` every band
    between them; neither the last band.

    Raises
    ------
    InputError
        An unreadable time, ``stop`` before ``start``, or no step between them.
    """
    if not info.times:
        return [1]

    def when(value: str, what: str) -> np.datetime64:
        try:
            return np.datetime64(str(value).strip().rstrip("Z").replace(" ", "T"), "ms")
        except ValueError:
            raise InputError(f"{what} {value!r} is not an ISO 8601 date-time") from None

    steps = np.array([when(t, "band time") for t in info.times])
    if start is None:
        return [len(steps)]
    t0 = when(start, "start")
    if stop is None:
        return [int(np.argmin(np.abs(steps - t0))) + 1]
    t1 = when(stop, "stop")
    if t1 < t0:
        raise InputError(f"stop {stop} is before start {start}")
    inside = np.flatnonzero((steps >= t0) & (steps <= t1))
    if inside.size == 0:
        raise InputError(f"no time step between {start} and {stop} (steps from "
                         f"{info.times[0]} to {info.times[-1]})")
    return [int(i) + 1 for i in inside]


def check_bbox(source: str | os.PathLike[str], bbox: Sequence[float],
               projection: str | None = None) -> tuple[float, float, float, float]:
    """The box ``(x1, y1, x2, y2)`` (corners in any order) checked to overlap the raster.

    Raises
    ------
    InputError
        Not a box (non-finite, zero width or height), an unknown projection, or a box that
        does not overlap the raster's extent (the message gives the extent).
    """
    import rasterio
    from rasterio.crs import CRS
    from rasterio.warp import transform_bounds

    try:
        xa, ya, xb, yb = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InputError(f"bbox {bbox!r} is not four numbers x1,y1,x2,y2") from None
    x1, x2, y1, y2 = min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)) or x2 <= x1 or y2 <= y1:
        raise InputError(f"bbox {xa:g},{ya:g},{xb:g},{yb:g} is not a box: it needs a width "
                         "and a height")
    with rasterio.open(source) as ds:
        try:
            dst_crs = CRS.from_user_input(projection) if projection else ds.crs
        except Exception as exc:  # noqa: BLE001 - rasterio raises CRSError and others
            raise InputError(f"unknown projection {projection!r} ({exc})") from None
        try:
            west, south, east, north = transform_bounds(ds.crs, dst_crs, *ds.bounds,
                                                        densify_pts=21)
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"cannot transform the raster extent to {projection} "
                             f"({exc})") from None
    if x1 >= east or x2 <= west or y1 >= north or y2 <= south:
        raise InputError(
            f"bbox {x1:g},{y1:g},{x2:g},{y2:g} lies outside the raster, whose extent in "
            f"{projection or 'its projection'} is {west:g},{south:g},{east:g},{north:g}")
    return x1, y1, x2, y2


def render_raster(source: str | os.PathLike[str], target: str | os.PathLike[str], *,
                  bbox: Sequence[float], width: int, height: int, projection: str | None = None,
                  bands: Sequence[int] = (1,), nodata: float = -9999.0) -> Path:
    """Warp bands of a GeoTIFF onto a box: the GeoTIFF ``target`` of ``width`` x ``height``
    pixels covering ``bbox = (x1, y1, x2, y2)`` in ``projection`` (default the raster's own).

    Pixels outside the source raster, and its no-data pixels, are ``nodata``. Written under a
    temporary name, then renamed.

    Raises
    ------
    InputError
        An invalid box, projection or size, or a box that does not overlap the raster.
    """
    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject

    from toolkit.scenarios.rasters import write_geotiff

    x1, y1, x2, y2 = check_bbox(source, bbox, projection)
    if int(width) < 1 or int(height) < 1:
        raise InputError(f"width and height must be >= 1, got {width} and {height}")
    target = Path(target)
    with rasterio.open(source) as ds:
        dst_crs = CRS.from_user_input(projection) if projection else ds.crs
        transform = Affine((x2 - x1) / int(width), 0.0, x1, 0.0, -(y2 - y1) / int(height), y2)
        out = np.full((len(bands), int(height), int(width)), np.nan, dtype=np.float32)
        for i, band in enumerate(bands):
            reproject(source=rasterio.band(ds, int(band)), destination=out[i],
                      src_transform=ds.transform, src_crs=ds.crs, src_nodata=ds.nodata,
                      dst_transform=transform, dst_crs=dst_crs, dst_nodata=np.nan,
                      resampling=Resampling.nearest)
        descriptions = [ds.descriptions[b - 1] or "" for b in bands]
        tags = ds.tags()
    part = target.with_name(f".{target.name}.part")
    write_geotiff(part, out, transform, dst_crs, nodata,
                  band_descriptions=descriptions if any(descriptions) else None,
                  tags={k: v for k, v in tags.items() if k in ("code", "units", "name")}
                  | {"exported": timestamp()})
    os.replace(part, target)
    return target
