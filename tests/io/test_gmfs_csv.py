"""Ground-motion fields from CSV files (OpenQuake gmfs_file / gmfs_csv and GMF exports)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError
from toolkit.io.gmfs_csv import GmfsFromFile, read_gmfs_csv


@pytest.fixture
def qa(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "openquake" / "qa"


def write(tmp_path: Path, text: str, name: str = "gmfs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_damage_case_1_with_rlzi(qa: Path):
    gmfs = read_gmfs_csv(qa / "scenario_damage" / "case_1" / "gmf_scenario.csv")
    assert isinstance(gmfs, GmfsFromFile) and gmfs.sites is None
    np.testing.assert_array_equal(gmfs.event_id, [0, 0, 0])
    np.testing.assert_array_equal(gmfs.site_id, [0, 1, 2])
    np.testing.assert_array_equal(gmfs.rlz_id, [0, 0, 0])
    np.testing.assert_array_equal(gmfs.gmv["PGA"], [0.30512801, 0.60403198, 0.17111])
    assert gmfs.n_events == 1 and gmfs.imts == ["PGA"]


def test_scenario_risk_case_1_with_sites(qa: Path):
    case = qa / "scenario_risk" / "case_1"
    gmfs = read_gmfs_csv(case / "gmf_scenario.csv", sites_csv=case / "sites.csv")
    assert isinstance(gmfs.sites, SiteCollection)
    np.testing.assert_array_equal(gmfs.sites.lons, [15.56])
    np.testing.assert_array_equal(gmfs.sites.lats, [38.17])
    assert gmfs.n_events == 10 and gmfs.rlz_id is None
    np.testing.assert_array_equal(gmfs.event_id, np.arange(10))
    np.testing.assert_array_equal(gmfs.site_id, np.zeros(10))
    assert gmfs.gmv["PGA"][0] == 0.60403156 and gmfs.gmv["PGA"][-1] == 0.45975763
    np.testing.assert_array_equal(gmfs.events, np.arange(10))


def test_openquake_export_with_custom_site_id(qa: Path):
    """The gmf-data export of OpenQuake 3.15 (comment line, custom_site_id) reads back."""
    case = qa / "scenario_risk" / "case_1"
    exported = read_gmfs_csv(case / "expected" / "gmf-FromFile.csv",
                             sites_csv=case / "expected" / "sites.csv")
    original = read_gmfs_csv(case / "gmf_scenario.csv", sites_csv=case / "sites.csv")
    np.testing.assert_array_equal(exported.event_id, original.event_id)
    np.testing.assert_array_equal(exported.site_id, original.site_id)
    # the export rounds to 6 significant digits
    np.testing.assert_allclose(exported.gmv["PGA"], original.gmv["PGA"], rtol=1e-5)
    np.testing.assert_array_equal(exported.sites.lons, [15.56])


def test_export_names_several_imts_and_site_ids(tmp_path):
    sites = write(tmp_path, "site_id,lon,lat\n7,1.0,2.0\n3,1.5,2.5\n", "sites.csv")
    path = write(tmp_path, "event_id,site_id,gmv_PGA,gmv_SA(0.30),gmv_MMI\n"
                           "5,3,0.1,0.2,6\n5,7,0.3,0.4,7\n9,3,0.0,0.01,5\n")
    gmfs = read_gmfs_csv(path, sites)
    assert gmfs.imts == ["PGA", "SA(0.3)", "MMI"]
    np.testing.assert_array_equal(gmfs.site_id, [1, 0, 1])  # rows of sites.csv
    np.testing.assert_array_equal(gmfs.event_id, [5, 5, 9])
    np.testing.assert_array_equal(gmfs.gmv["SA(0.3)"], [0.2, 0.4, 0.01])
    assert gmfs.n_events == 2 and gmfs.path == path
    without = read_gmfs_csv(path)
    np.testing.assert_array_equal(without.site_id, [3, 7, 3])


def error(path, *parts: str, sites=None) -> str:
    with pytest.raises(InputError) as info:
        read_gmfs_csv(path, sites)
    message = str(info.value)
    for part in parts:
        assert part in message, (part, message)
    return message


@pytest.mark.parametrize(("text", "line", "parts"), [
    ("sid,eid,gmv_PGA\n0,0,abc\n", 2, ["gmv_PGA must be a finite number, got 'abc'"]),
    ("sid,eid,gmv_PGA\n0,0,0.1\n1,0,inf\n", 3, ["gmv_PGA must be a finite number"]),
    ("sid,eid,gmv_PGA\n0,0,-0.1\n", 2, ["gmv_PGA must be >= 0, got -0.1"]),
    ("sid,eid,gmv_PGA,vs30\n0,0,0.1,760\n", 1, ["unknown column 'vs30'"]),
    ("sid,eid,PGA\n0,0,0.1\n", 1, ["unknown column 'PGA'"]),
    ("sid,eid,gmv_SA(x)\n0,0,0.1\n", 1, ["column 'gmv_SA(x)'", "unknown intensity measure"]),
    ("sid,eid,gmv_SA(0.1),gmv_SA(0.10)\n0,0,0.1,0.2\n", 1, ["give the same IMT SA(0.1)"]),
    ("sid,site_id,eid,gmv_PGA\n0,0,0,0.1\n", 1, ["columns 'sid' and 'site_id' give the same"]),
    ("sid,gmv_PGA\n0,0.1\n", 1, ["no event column"]),
    ("eid,gmv_PGA\n0,0.1\n", 1, ["no site column"]),
    ("sid,eid\n0,0\n", 1, ["no ground-motion column"]),
    ("sid,eid,custom_site_id,gmv_PGA\n0,0,a,0.1\n", 1, ["either a site id"]),
    ("sid,eid,gmv_PGA\n0,1.5,0.1\n", 2, ["eid must be an integer, got '1.5'"]),
    ("sid,eid,gmv_PGA\n-1,0,0.1\n", 2, ["sid must be >= 0"]),
    ("rlzi,sid,eid,gmv_PGA\nx,0,0,0.1\n", 2, ["rlzi must be a finite number, got 'x'"]),
    ("sid,eid,gmv_PGA\n0,0,0.1\n1,0,0.2\n0,0,0.3\n", 4,
     ["event 0 at site 0 is given twice (first at line 2)"]),
    ("sid,eid,gmv_PGA\n0,0\n", 2, ["expected 3 fields"]),
])
def test_errors_name_file_line_and_column(tmp_path, text, line, parts):
    path = write(tmp_path, text)
    error(path, f"{path} line {line}", *parts)


def test_no_rows_and_missing_file(tmp_path):
    error(write(tmp_path, "sid,eid,gmv_PGA\n"), "has no rows")
    error(tmp_path / "none.csv", "none.csv: ground-motion fields file not found")


def test_site_ids_are_checked_against_the_sites_file(tmp_path):
    path = write(tmp_path, "sid,eid,gmv_PGA\n0,0,0.1\n2,0,0.2\n")
    plain = write(tmp_path, "lon,lat\n1,2\n3,4\n", "sites.csv")
    error(path, f"{path} line 3", "sid 2 is not in", "(2 sites, ids 0..1)", sites=plain)
    with_ids = write(tmp_path, "site_id,lon,lat\n0,1,2\n5,3,4\n", "sites.csv")
    error(path, f"{path} line 3", "sid 2 is not a site_id of", sites=with_ids)


def test_custom_site_ids_need_a_sites_file_with_them(tmp_path):
    path = write(tmp_path, "event_id,gmv_PGA,custom_site_id\n0,0.1,abcd\n")
    error(path, f"{path} line 1", "custom_site_id needs a sites CSV")
    plain = write(tmp_path, "lon,lat\n1,2\n", "sites.csv")
    error(path, "custom_site_id needs a sites CSV", sites=plain)
    other = write(tmp_path, "custom_site_id,lon,lat\nwxyz,1,2\n", "sites.csv")
    error(path, f"{path} line 2", "custom_site_id 'abcd' is not in", sites=other)


@pytest.mark.parametrize(("text", "parts"), [
    ("site_id,lat\n0,1\n", ["line 1", "needs the columns 'lon' and 'lat'"]),
    ("lon,lat\n", ["has a header but no sites"]),
    ("lon,lat\n1,x\n", ["line 2", "lat must be a finite number"]),
    ("lon,lat\n1,91\n", ["line 2", "out of range"]),
    ("site_id,lon,lat\n0,1,2\n0,3,4\n", ["line 3", "site_id 0 is repeated"]),
    ("custom_site_id,lon,lat\na,1,2\na,3,4\n", ["line 3", "custom_site_id 'a' is repeated"]),
])
def test_sites_file_errors(tmp_path, text, parts):
    path = write(tmp_path, "sid,eid,gmv_PGA\n0,0,0.1\n")
    sites = write(tmp_path, text, "sites.csv")
    error(path, str(sites), *parts, sites=sites)


def test_readers_reproduce_openquake_scenario_risk_case_1_losses(qa: Path):
    """Exposure + vulnerability + GMFs as read give OpenQuake's event losses.

    The vulnerability functions have zero cov, so the loss of an asset is its value times the
    mean loss ratio interpolated at the ground motion; only asset a2 stands on the site.
    """
    import csv

    from toolkit.io.exposure import read_exposure
    from toolkit.io.riskmodels import read_vulnerability_model

    case = qa / "scenario_risk" / "case_1"
    exposure = read_exposure(case / "exposure_model.xml")
    vm = read_vulnerability_model(case / "vulnerability.xml", "structural")
    gmfs = read_gmfs_csv(case / "gmf_scenario.csv", case / "sites.csv")
    on_site = np.flatnonzero((exposure.lon == gmfs.sites.lons[0])
                             & (exposure.lat == gmfs.sites.lats[0]))
    assert list(exposure.asset_id[on_site]) == ["a2"]
    vf = vm.functions[str(exposure.taxonomy[on_site[0]])]
    losses = exposure.values["structural"][on_site[0]] * np.interp(
        gmfs.gmv[vf.imt], vf.imls, vf.mean_lrs)
    with open(case / "expected" / "risk_by_event.csv", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if not r[0].startswith("#")][1:]
    expected = {int(r[0]): float(r[1]) for r in rows}
    got = dict(zip(gmfs.event_id.tolist(), losses.tolist(), strict=True))
    # OpenQuake drops events below minimum_asset_loss = 200 (event 7) and writes 6 digits
    assert sorted(expected) == sorted(e for e, v in got.items() if v >= 200)
    for event, loss in expected.items():
        assert got[event] == pytest.approx(loss, rel=1e-5)
