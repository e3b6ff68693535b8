"""Filling the scenario catalogue: 3Di pairs and their derived results, engine calculations,
demo scenarios, and the raster rendering behind ``/rasters/{uuid}/data/``."""

from __future__ import annotations

import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import rasterio

from toolkit.config import Settings
from toolkit.errors import InputError
from toolkit.scenarios import publish
from toolkit.scenarios.synthetic import DEMO_DIR
from toolkit.store import Catalogue
from toolkit.store.scenarios import ScenarioStore

DEMO_JOB = DEMO_DIR.parent / "scenario" / "job.ini"
DERIVED_CODES = {"depth-dtri", "depth-max-dtri", "s1-dtri", "s1-max-dtri", "rise-velocity-quad",
                 "depth-first-dtri", "total-damage", "damage-summary"}

RISK_JOB = """[general]
description = publish test {mode}
calculation_mode = {mode}
exposure_file = exposure.csv
{model}
rupture_dict = {{'lon': 10.0, 'lat': 45.0, 'dep': 5.0, 'mag': 6.0, 'rake': 0.0,
    'strike': 0.0, 'dip': 90.0}}
gsim = BooreAtkinson2008
number_of_ground_motion_fields = 5
truncation_level = 3
maximum_distance = 100
reference_vs30_value = 760
intensity_measure_types = PGA
sites = 10.05 45.02, 10.10 45.00, 10.00 45.05
"""
EXPOSURE = """id,lon,lat,taxonomy,number,structural
a1,10.05,45.02,RC,10,1000
a2,10.10,45.00,RC,5,500
"""
VULNERABILITY = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <vulnerabilityModel id="v" assetCategory="buildings" lossCategory="structural">
    <vulnerabilityFunction id="RC" dist="LN">
      <imls imt="PGA">0.05 0.1 0.2 0.4 0.8</imls>
      <meanLRs>0.01 0.05 0.15 0.4 0.7</meanLRs><covLRs>0 0 0 0 0</covLRs>
    </vulnerabilityFunction>
  </vulnerabilityModel>
</nrml>
"""
FRAGILITY = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <fragilityModel id="f" assetCategory="buildings" lossCategory="structural">
    <description>test</description>
    <limitStates>LS1 LS2</limitStates>
    <fragilityFunction id="RC" format="continuous" shape="logncdf">
      <imls imt="PGA" noDamageLimit="0.01" minIML="0.01" maxIML="3.0"/>
      <params ls="LS1" mean="0.2" stddev="0.1"/>
      <params ls="LS2" mean="0.5" stddev="0.2"/>
    </fragilityFunction>
  </fragilityModel>
</nrml>
"""


@pytest.fixture
def store(data_dir: Path):
    with Catalogue(data_dir / "db.sqlite3") as catalogue:
        yield ScenarioStore(catalogue, data_dir)


def _files_left(store: ScenarioStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file() and ".work" not in p.parts]


# -- 3Di pairs -----------------------------------------------------------------------------------
def test_import_demo_pair_records_raw_and_derived_results(store):
    scenario = publish.import_threedi(
        store, DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc",
        aggregate=DEMO_DIR / "aggregate_results_3di.nc", name="demo", supplier="ann",
        organisation="Org")
    results = store.list_results(scenario.uuid)
    codes = [r.code for r in results]
    assert codes[:3] == ["grid-admin", "results-3di", "aggregate-results-3di"]
    assert set(codes[3:]) == DERIVED_CODES
    # the downloader reads these from page 1 of the unfiltered list (10 per page)
    assert {"depth-max-dtri", "depth-dtri", "s1-dtri", "rise-velocity-quad"} <= set(codes[:10])
    by_code = {r.code: r for r in results}
    assert by_code["depth-first-dtri"].family == "Arrival"
    assert by_code["total-damage"].family == "Damage" and by_code["total-damage"].raster_uuid
    assert by_code["damage-summary"].filename == "damage-summary.csv"
    assert store.path(by_code["grid-admin"].file).read_bytes() == (
        DEMO_DIR / "gridadmin.h5").read_bytes()
    s = store.get(scenario.uuid)
    assert s.has_raw_results and s.source == "3Di" and s.model_name
    assert s.simulation_start == "2000-01-01T00:00:00.000000Z"
    assert s.simulation_end == "2000-01-01T06:00:00.000000Z"
    sizes = {r.file: r.size for r in results if r.file}
    rasters = {store.get_raster(r.raster_uuid)[0].file for r in results if r.raster_uuid}
    expected = sum(sizes.values()) + sum(store.path(f).stat().st_size for f in rasters)
    assert s.total_size == expected
    with rasterio.open(store.path(store.get_raster(by_code["depth-max-dtri"].raster_uuid)[0]
                                  .file)) as ds:
        left, bottom, right, top = ds.bounds
        assert (s.projection, s.origin_x, s.origin_y) == ("EPSG:28992", left, bottom)
        assert (s.upper_bound_x, s.upper_bound_y) == (right, top)
        assert (s.pixelsize_x, s.pixelsize_y) == (ds.transform.a, ds.transform.e)
    temporal = store.get_raster(by_code["depth-dtri"].raster_uuid)[0]
    info = publish.raster_info(store.path(temporal.file))
    assert temporal.temporal and len(info.times) == 25
    assert info.times[0] == "2000-01-01T00:00:00Z" and info.times[-1] == "2000-01-01T06:00:00Z"


def test_reprocessing_replaces_files_and_keeps_ids(store):
    s = publish.import_threedi(store, DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc")
    before = {r.code: r for r in store.list_results(s.uuid)}
    files_before = len(_files_left(store))
    publish.process_scenario(store, s.uuid, derive_options={"threshold": 0.5})
    after = {r.code: r for r in store.list_results(s.uuid)}
    assert {c: r.id for c, r in after.items()} == {c: r.id for c, r in before.items()}
    assert len(_files_left(store)) == files_before  # old files removed
    assert store.get(s.uuid).total_size > 0


@pytest.mark.shared
def test_published_max_depth_equals_direct_netcdf_on_real_pairs(store, shared_dir):
    for folder in ("threedi-1d2d-zwartedijkspolder", "threedi-2d-waterquality-testmodel"):
        pair = shared_dir / "reference" / "lizard" / folder
        s = publish.import_threedi(store, pair / "gridadmin.h5", pair / "results_3di.nc")
        by_code = {r.code: r for r in store.list_results(s.uuid)}
        raster, _ = store.get_raster(by_code["depth-max-dtri"].raster_uuid)
        with netCDF4.Dataset(pair / "results_3di.nc") as nc:
            s1 = np.ma.filled(nc["Mesh2D_s1"][:].astype(np.float64), np.nan)
            zb = nc["Mesh2DFace_zcc"][:].astype(np.float64)
            x, y = nc["Mesh2DFace_xcc"][:], nc["Mesh2DFace_ycc"][:]
            t = nc["time"][:].astype(np.float64)
        depth = s1 - zb[None, :]
        expected = np.clip(np.where(np.isnan(depth), -np.inf, depth).max(axis=0), 0, None)
        with rasterio.open(store.path(raster.file)) as ds:
            values = np.array([v[0] for v in ds.sample(zip(x, y, strict=True))])
            nodata = ds.nodata
        known = ~np.isnan(depth).all(axis=0)
        np.testing.assert_array_equal(values[known], expected[known].astype(np.float32))
        assert (values[~known] == nodata).all()
        # the arrival raster holds output times (first step deeper than 0.01 m)
        arrival, _ = store.get_raster(by_code["depth-first-dtri"].raster_uuid)
        with rasterio.open(store.path(arrival.file)) as ds:
            first = np.array([v[0] for v in ds.sample(zip(x, y, strict=True))])
        wet = first != nodata
        assert wet.any() and np.isin(first[wet], t.astype(np.float32)).all()
        s_end = store.get(s.uuid)
        assert s_end.simulation_start.startswith("2000-01-01T")


@pytest.mark.shared
def test_results_of_another_model_are_refused_and_nothing_is_created(store, shared_dir):
    lizard = shared_dir / "reference" / "lizard"
    with pytest.raises(InputError, match="does not belong to gridadmin"):
        publish.import_threedi(store, lizard / "threedi-1d2d-zwartedijkspolder" / "gridadmin.h5",
                               lizard / "threedi-2d-waterquality-testmodel" / "results_3di.nc")
    assert store.count() == 0 and _files_left(store) == []


def test_truncated_results_are_refused(store, tmp_path):
    cut = tmp_path / "results_3di.nc"
    data = (DEMO_DIR / "results_3di.nc").read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"truncated: \d+ of \d+ bytes"):
        publish.import_threedi(store, DEMO_DIR / "gridadmin.h5", cut)
    with pytest.raises(InputError, match="not an HDF5"):
        publish.check_raw_file(DEMO_DIR / "depth_damage.csv", "results-3di")
    with pytest.raises(InputError, match="not a 3Di gridadmin"):
        publish.check_raw_file(DEMO_DIR / "results_3di.nc", "grid-admin")
    publish.check_raw_file(DEMO_DIR / "depth_damage.csv", "logfiles")  # not checked
    assert store.count() == 0


def test_process_needs_the_raw_pair(store):
    s = store.create("empty")
    with pytest.raises(InputError, match="no raw result file 'grid-admin'"):
        publish.process_scenario(store, s.uuid)


# -- engine calculations ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """A data directory with the demo scenario, a scenario_risk and a scenario_damage run."""
    from toolkit.jobs.runner import run_job

    root = tmp_path_factory.mktemp("engine")
    settings = Settings(data_dir=root / "data")
    ids = {"scenario": run_job(DEMO_JOB, settings, progress=False)}
    for mode, model in (("scenario_risk", "structural_vulnerability_file = v.xml"),
                        ("scenario_damage", "structural_fragility_file = f.xml")):
        folder = root / mode
        folder.mkdir()
        (folder / "exposure.csv").write_text(EXPOSURE)
        (folder / "v.xml").write_text(VULNERABILITY)
        (folder / "f.xml").write_text(FRAGILITY)
        (folder / "job.ini").write_text(RISK_JOB.format(mode=mode, model=model))
        ids[mode] = run_job(folder / "job.ini", settings, progress=False)
    return settings, ids


def test_publish_engine_scenario_gives_raw_and_basic(engine):
    from toolkit.store import open_reader
    from toolkit.store.gmf import load_gmf
    from toolkit.store.gmf_exporters import avg_gmf

    settings, ids = engine
    with Catalogue(settings.catalogue_path) as catalogue:
        store = ScenarioStore(catalogue, settings.data_dir)
        s = publish.publish_calculation(store, ids["scenario"], organisation="Org")
        results = store.list_results(s.uuid)
        assert [(r.family, r.code) for r in results] == [
            ("Raw", "datastore"), ("Basic", "gmf-mean-pga"), ("Basic", "gmf-mean-sa-1.0"),
            ("Basic", "gmf-data")]
        raw, pga, _, csv = results
        assert store.path(raw.file).read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"
        assert csv.filename == f"gmf-data_{ids['scenario']}.csv"
        header = store.path(csv.file).read_text().splitlines()[1]
        assert header == "event_id,gmv_PGA,gmv_SA(1.0),custom_site_id"
        assert s.calc_id == ids["scenario"] and s.source == "toolkit"
        assert s.projection == "EPSG:4326" and s.has_raw_results
        with open_reader(settings.data_dir, ids["scenario"]) as reader:
            outputs = load_gmf(reader)
        sids, values = avg_gmf(outputs)
        raster, _ = store.get_raster(pga.raster_uuid)
        with rasterio.open(store.path(raster.file)) as ds:
            grid = ds.read(1, masked=True)
            lon, lat = outputs.sites.lons[sids], outputs.sites.lats[sids]
            # the north-west and north-east corner sites lie on pixel centres of row 0
            assert ds.width == publish.GMF_RASTER_SIZE >= ds.height
            for col, corner_lon in ((0, lon.min()), (ds.width - 1, lon.max())):
                corner = np.flatnonzero((lon == corner_lon) & (lat == lat.max()))
                assert corner.size == 1
                assert grid[0, col] == np.float32(values[corner[0], 0])
            # linear interpolation stays within the sites' values, and covers the hull
            assert values[:, 0].min() - 1e-6 <= grid.min() and grid.max() <= (
                values[:, 0].max() + 1e-6)
            assert not np.ma.getmaskarray(grid).any()  # the demo sites fill a rectangle


def test_publish_risk_calculations_give_damage_family(engine):
    settings, ids = engine
    with Catalogue(settings.catalogue_path) as catalogue:
        store = ScenarioStore(catalogue, settings.data_dir)
        for mode, code, prefix in (("scenario_risk", "losses-by-asset", "avg_losses-rlz-000"),
                                   ("scenario_damage", "damage-by-asset", "avg_damages-rlz-000")):
            s = publish.publish_calculation(store, ids[mode])
            fam = {(r.family, r.code): r for r in store.list_results(s.uuid)}
            assert set(fam) == {("Raw", "datastore"), ("Basic", "gmf-mean-pga"),
                                ("Basic", "gmf-data"), ("Damage", code)}
            damage = fam[("Damage", code)]
            assert damage.filename == f"{prefix}_{ids[mode]}.csv"
            assert "asset_id" in store.path(damage.file).read_text()


def test_publish_refuses_other_modes_and_unknown_calculations(engine, tmp_path):
    from toolkit.jobs.runner import demo_job_ini, run_job

    settings, _ = engine
    classical = run_job(demo_job_ini(), settings.with_(data_dir=tmp_path), progress=False)
    with Catalogue(tmp_path / "db.sqlite3") as catalogue:
        store = ScenarioStore(catalogue, tmp_path)
        with pytest.raises(InputError, match="classical calculation; only scenario"):
            publish.publish_calculation(store, classical)
        with pytest.raises(InputError, match="no calculation 99"):
            publish.publish_calculation(store, 99)
        assert store.count() == 0


def test_gmf_codes():
    assert publish.gmf_code("PGA") == "gmf-mean-pga"
    assert publish.gmf_code("SA(1.0)") == "gmf-mean-sa-1.0"
    assert publish.gmf_code("PGV") == "gmf-mean-pgv"


def test_demo_scenarios_are_loaded_once(engine, tmp_path):
    settings, ids = engine
    local = settings.with_(data_dir=tmp_path / "demo")
    shutil.copytree(settings.data_dir, local.data_dir)
    with Catalogue(local.catalogue_path) as catalogue:  # other tests published here
        store = ScenarioStore(catalogue, local.data_dir)
        for s in store.list():
            store.delete(s.uuid)
    first = publish.load_demo_scenarios(local)
    assert sorted(s.source for s in first) == ["3Di", "toolkit"]
    assert all(s.access_modifier == "Public" and s.supplier == "demo" for s in first)
    assert publish.load_demo_scenarios(local) == []


# -- serving rasters -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_rasters(tmp_path_factory):
    from toolkit.scenarios.derived import derive_all
    from toolkit.scenarios.threedi import open_threedi

    out = tmp_path_factory.mktemp("rasters")
    with open_threedi(DEMO_DIR / "gridadmin.h5", DEMO_DIR / "results_3di.nc") as result:
        return {d.code: d.path for d in derive_all(result, out)}


def test_render_raster_same_grid_is_identity_and_reprojects(demo_rasters, tmp_path):
    src = demo_rasters["depth-max-dtri"]
    info = publish.raster_info(src)
    rows, cols = info.shape
    out = publish.render_raster(src, tmp_path / "same.tif", bbox=info.bounds, width=cols,
                                height=rows)
    with rasterio.open(src) as a, rasterio.open(out) as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))
        assert a.crs == b.crs and a.transform == b.transform
    # a reprojected cut covers its box with the requested size
    west, south, east, north = info.wgs84
    box = (west + 0.25 * (east - west), south + 0.25 * (north - south),
           east - 0.25 * (east - west), north - 0.25 * (north - south))
    cut = publish.render_raster(src, tmp_path / "wgs.tif", bbox=box, width=40, height=30,
                                projection="EPSG:4326")
    with rasterio.open(cut) as ds:
        assert (ds.width, ds.height, ds.crs.to_epsg()) == (40, 30, 4326)
        assert np.allclose(tuple(ds.bounds), box)
        data = ds.read(1)
        assert (data != ds.nodata).all()  # inside the model: no gaps
        assert data.max() <= a_max(src) + 1e-6


def a_max(path: Path) -> float:
    with rasterio.open(path) as ds:
        return float(ds.read(1, masked=True).max())


def test_bbox_outside_raster_and_bad_boxes(demo_rasters, tmp_path):
    src = demo_rasters["depth-max-dtri"]
    with pytest.raises(InputError, match="lies outside the raster, whose extent"):
        publish.check_bbox(src, (0, 0, 10, 10))
    with pytest.raises(InputError, match="not a box"):
        publish.check_bbox(src, (120000, 480000, 120000, 480100))
    with pytest.raises(InputError, match="unknown projection"):
        publish.check_bbox(src, (0, 0, 1, 1), "EPSG:nope")
    left, bottom, right, top = publish.raster_info(src).bounds
    assert publish.check_bbox(src, (right, top, left, bottom)) == (left, bottom, right, top)
    assert not list(tmp_path.iterdir())


def test_select_bands_snaps_to_nearest_step(demo_rasters):
    info = publish.raster_info(demo_rasters["depth-dtri"])
    assert publish.select_bands(info) == [len(info.times)]
    assert publish.select_bands(info, "2000-01-01T03:00:00Z") == [
        1 + int(np.argmin([abs(np.datetime64(t.rstrip("Z")) - np.datetime64(
            "2000-01-01T03:00:00")) for t in info.times]))]
    assert publish.select_bands(info, "2000-01-01T00:00:00Z", "2000-01-01T06:00:00Z") == list(
        range(1, len(info.times) + 1))
    with pytest.raises(InputError, match="no time step between"):
        publish.select_bands(info, "2000-01-01T00:01:00Z", "2000-01-01T00:02:00Z")
    with pytest.raises(InputError, match="before start"):
        publish.select_bands(info, "2000-01-01T02:00:00Z", "2000-01-01T01:00:00Z")
    with pytest.raises(InputError, match="ISO 8601"):
        publish.select_bands(info, "noon")
    assert publish.select_bands(publish.raster_info(demo_rasters["depth-max-dtri"]),
                                "2000-01-01T03:00:00Z") == [1]
