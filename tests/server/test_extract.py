"""Extract specs (toolkit.store.extractors): keys, dtypes, values, and the npz protocol."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.errors import InputError, NotFound, StoreError, UnknownName
from toolkit.jobs.runner import run_job
from toolkit.store import custom_site_ids, load_gmf, load_hazard, open_reader
from toolkit.store.extractors import (
    MAX_HEADER_SIZE,
    extract,
    oqparam_json,
    to_npz,
)
from toolkit.store.risk import load_risk

from .helpers import app_client, classical_job, risk_job, scenario_job, server_settings


@pytest.fixture(scope="module")
def calcs(tmp_path_factory):
    """Datastores of a classical, a scenario and an event-based calculation."""
    root = tmp_path_factory.mktemp("extract")
    settings = Settings(data_dir=root / "data")
    classical = run_job(classical_job(root / "classical"), settings, progress=False)
    scenario = run_job(scenario_job(root / "scenario"), settings, progress=False)
    eb = classical_job(root / "eb")
    text = eb.read_text().replace("calculation_mode = classical",
                                  "calculation_mode = event_based\nses_per_logic_tree_path = 3")
    eb.write_text(text)
    event_based = run_job(eb, settings, progress=False)
    ids = {"classical": classical, "scenario": scenario, "event_based": event_based}
    for mode in ("scenario_risk", "scenario_damage"):
        ids[mode] = run_job(risk_job(root / mode, mode), settings, progress=False)
    return settings.data_dir, ids


def _get(calcs, kind, what, query=""):
    data_dir, ids = calcs
    with open_reader(data_dir, ids[kind]) as reader:
        arrays = extract(reader, what, query)
    npz = np.load(io.BytesIO(to_npz(arrays)), allow_pickle=False)  # as WebExtractor loads it
    return {key: npz[key] for key in npz}


def _outputs(calcs, kind, loader):
    data_dir, ids = calcs
    with open_reader(data_dir, ids[kind]) as reader:
        return loader(reader)


def test_every_payload_has_extra(calcs):
    assert list(_get(calcs, "classical", "weights")["extra"]) == ["value"]


def test_oqparam(calcs):
    out = _get(calcs, "classical", "oqparam")
    assert out["json"].dtype.kind == "S" and out["json"].shape == ()
    params = json.loads(bytes(out["json"]))
    assert params["calculation_mode"] == "classical"
    assert params["investigation_time"] == 50.0 and params["truncation_level"] == 3
    assert params["poes"] == [0.1, 0.02] and params["mean"] is True
    assert params["description"].startswith("Demo")
    assert list(params["hazard_imtls"]) == ["PGA", "SA(0.2)", "SA(1.0)"]
    assert len(params["hazard_imtls"]["PGA"]) == 20
    assert params["inputs"]["job_ini"].endswith("job.ini")


def test_oqparam_json_types():
    raw = {"a": "1", "b": "2.5", "c": "true", "d": "No", "e": "[1, 2]", "f": "0.1 0.02",
           "g": "{'x': 1}", "h": "Demo: words", "i": "nan", "j": "logscale(1, 2, 3)"}
    out = oqparam_json(raw, imtls={"PGA": np.array([0.1, 0.2])}, job_ini="/x/job.ini")
    assert out["a"] == 1 and out["b"] == 2.5 and out["c"] is True and out["d"] is False
    assert out["e"] == [1, 2] and out["f"] == [0.1, 0.02] and out["g"] == {"x": 1}
    assert out["h"] == "Demo: words" and out["i"] == "nan" and out["j"] == "logscale(1, 2, 3)"
    assert out["hazard_imtls"] == {"PGA": [0.1, 0.2]} and out["base_path"] == "/x"
    json.dumps(out, allow_nan=False)


def test_sitecol(calcs):
    arr = _get(calcs, "classical", "sitecol")["array"]
    assert arr.dtype.names == ("sids", "lon", "lat", "depth", "backarc", "vs30", "vs30measured",
                               "z1pt0", "z2pt5")
    assert arr.dtype["sids"] == np.uint32 and arr.dtype["vs30measured"] == np.bool_
    assert arr.shape == (1,) and arr["lon"][0] == 10.0 and arr["lat"][0] == 45.0
    assert arr["vs30"][0] == 760.0 and arr["vs30measured"][0]


def test_realizations_and_weights(calcs):
    arr = _get(calcs, "classical", "realizations")["array"]
    assert arr.dtype.names == ("rlz_id", "branch_path", "weight")
    assert arr.dtype["branch_path"].kind == "S" and arr.dtype["weight"] == np.float32
    assert list(arr["rlz_id"]) == [0, 1] and np.isclose(arr["weight"].sum(), 1.0)
    weights = _get(calcs, "classical", "weights")["array"]
    assert weights.dtype == np.float64 and np.allclose(weights, arr["weight"])


def test_hcurves_mean(calcs):
    o = _outputs(calcs, "classical", load_hazard)
    out = _get(calcs, "classical", "hcurves", "kind=mean")
    assert set(out) == {"mean", "kind", "k", "rlzs", "extra"}
    assert out["mean"].dtype == np.float32 and out["mean"].shape == (1, 3, 20)
    expected = o.curves_stats["mean"].reshape(1, 3, 20).astype(np.float32)
    np.testing.assert_array_equal(out["mean"], expected)
    assert list(out["kind"]) == ["mean"] and list(out["k"]) == [0] and not out["rlzs"]


def test_hcurves_kinds(calcs):
    o = _outputs(calcs, "classical", load_hazard)
    stats = _get(calcs, "classical", "hcurves", "kind=stats")
    assert list(stats["kind"]) == ["mean", "quantile-0.16", "quantile-0.84"]
    assert list(stats["k"]) == [0, 1, 2]
    rlzs = _get(calcs, "classical", "hcurves", "kind=rlzs")
    assert list(rlzs["kind"]) == ["rlz-000", "rlz-001"] and rlzs["rlzs"]
    np.testing.assert_array_equal(rlzs["rlz-001"][0].ravel(),
                                  o.curves_rlzs[0, 1].astype(np.float32))
    one = _get(calcs, "classical", "hcurves", "kind=rlz-1&imt=SA(1.0)")
    assert list(one["kind"]) == ["rlz-1"] and list(one["imt"]) == ["SA(1.0)"]
    np.testing.assert_array_equal(one["rlz-001"], rlzs["rlz-001"][:, 2:3])
    quantile = _get(calcs, "classical", "hcurves", "kind=quantile-0.84")
    np.testing.assert_array_equal(quantile["quantile-0.84"], stats["quantile-0.84"])
    bare = _get(calcs, "classical", "hcurves")
    assert sorted(bare) == sorted(stats)


def test_hmaps_and_uhs(calcs):
    o = _outputs(calcs, "classical", load_hazard)
    maps = _get(calcs, "classical", "hmaps", "kind=mean")
    assert maps["mean"].shape == (1, 3, 2) and maps["mean"].dtype == np.float32
    np.testing.assert_array_equal(maps["mean"], o.maps_stats["mean"].astype(np.float32))
    rlzs = _get(calcs, "classical", "hmaps", "kind=rlzs&imt=PGA")
    assert rlzs["rlz-000"].shape == (1, 1, 2)
    uhs = _get(calcs, "classical", "uhs", "kind=mean")["mean"]
    assert uhs.shape == (1,) and uhs.dtype.names == ("0.100000", "0.020000")
    assert uhs.dtype["0.020000"].names == ("PGA", "SA(0.2)", "SA(1.0)")
    assert uhs["0.020000"]["SA(1.0)"][0] == np.float32(o.maps_stats["mean"][0, 2, 1])


@pytest.mark.parametrize("what, query, error", [
    ("hcurves", "kind=bogus", InputError),
    ("hcurves", "kind=rlz-x", InputError),
    ("hcurves", "kind=rlz-7", NotFound),
    ("hcurves", "kind=max", NotFound),
    ("hcurves", "imt=XYZ", InputError),
    ("hcurves", "imt=SA(3.0)", NotFound),
    ("hcurves", "kind=mean&kind=stats", InputError),
    ("hmaps", "kind=quantile-0.5", NotFound),
    ("gmf_data", "", NotFound),
    ("events", "", NotFound),
    ("sitecol/x", "", NotFound),
    ("nonexistent", "", UnknownName),
])
def test_extract_errors(calcs, what, query, error):
    with pytest.raises(error):
        _get(calcs, "classical", what, query)


def test_gmf_data(calcs):
    o = _outputs(calcs, "scenario", load_gmf)
    out = _get(calcs, "scenario", "gmf_data", "event_id=3")
    arr = out["rlz-000"]
    assert arr.dtype.names == ("custom_site_id", "lon", "lat", "PGA", "SA(0.3)")
    assert arr.dtype["custom_site_id"] == np.dtype("S8") and arr.dtype["PGA"] == np.float32
    rows = o.gmf_event_id == 3
    np.testing.assert_array_equal(arr["PGA"], o.gmf_gmv[rows, 0])
    ids = custom_site_ids(o.sites.lons, o.sites.lats)[o.gmf_site_id[rows]]
    assert [s.decode() for s in arr["custom_site_id"]] == list(ids)
    assert arr["custom_site_id"][0] == b"7zzzzzzz"  # (0, 0), as OpenQuake
    default = _get(calcs, "scenario", "gmf_data")["rlz-000"]
    np.testing.assert_array_equal(default, _get(calcs, "scenario", "gmf_data", "event_id=0")
                                  ["rlz-000"])
    with pytest.raises(NotFound, match="event_id=999"):
        _get(calcs, "scenario", "gmf_data", "event_id=999")
    with pytest.raises(InputError):
        _get(calcs, "scenario", "gmf_data", "event_id=abc")


def test_events_and_num_events(calcs):
    arr = _get(calcs, "scenario", "events")["array"]
    assert arr.dtype.names == ("id", "rup_id", "rlz_id", "year", "ses_id")
    assert arr.dtype["rup_id"] == np.int64 and arr.dtype["rlz_id"] == np.uint16
    assert list(arr["id"]) == list(range(10))
    assert int(_get(calcs, "scenario", "num_events")["num_events"]) == 10


def test_ruptures_is_the_csv_text(calcs):
    text = bytes(_get(calcs, "event_based", "ruptures")["array"]).decode()
    lines = text.splitlines()
    assert lines[0].startswith("#") and lines[1].startswith("rup_id,source_id,multiplicity,mag")
    o = _outputs(calcs, "event_based", load_gmf)
    assert len(lines) == 2 + len(o.ruptures)


def test_avg_gmf_and_event_based_mfd(calcs):
    out = _get(calcs, "scenario", "avg_gmf", "imt=PGA")
    assert set(out) == {"custom_site_id", "lon", "lat", "PGA", "extra"}
    assert out["custom_site_id"].dtype == np.dtype("<U8") and out["PGA"].dtype == np.float32
    assert set(_get(calcs, "scenario", "avg_gmf")) >= {"PGA", "SA(0.3)"}
    mfd = _get(calcs, "event_based", "event_based_mfd")
    assert mfd["mag"].shape == mfd["freq"].shape and (mfd["freq"] > 0).all()
    with pytest.raises(NotFound):
        _get(calcs, "scenario", "event_based_mfd")


def test_event_based_has_realizations_of_its_logic_tree(calcs):
    arr = _get(calcs, "event_based", "realizations")["array"]
    assert len(arr) == 2
    ev = _get(calcs, "event_based", "events")["array"]
    assert set(ev["rlz_id"]) <= {0, 1} and (ev["ses_id"] >= 1).all()


def test_to_npz_checks_what_openquake_can_load():
    with pytest.raises(StoreError, match="object array"):
        to_npz({"bad": np.array([{"a": 1}], dtype=object)})
    wide = np.zeros(1, dtype=[(f"field_{i:04d}", np.float32) for i in range(600)])
    with pytest.raises(InputError, match=str(MAX_HEADER_SIZE)):
        to_npz({"array": wide})
    ok = np.zeros(1, dtype=[(f"f{i}", np.float32) for i in range(100)])
    loaded = np.load(io.BytesIO(to_npz({"array": ok})), allow_pickle=False)
    assert loaded["array"].dtype == ok.dtype


# -- risk ---------------------------------------------------------------------------------------
def test_agg_losses(calcs):
    o = _outputs(calcs, "scenario_risk", load_risk)
    out = _get(calcs, "scenario_risk", "agg_losses/structural")
    assert set(out) == {"array", "stats", "selected", "extra"}
    assert out["array"].dtype == np.float32 and list(out["stats"]) == ["mean"]
    assert out["array"][0] == np.float32(o.avg["structural"].sum())
    assert np.isclose(out["array"][0], o.aggregates[0].values["structural"].sum(), rtol=1e-6)
    rc = _get(calcs, "scenario_risk", "agg_losses/structural", "taxonomy=RC")["array"][0]
    rm = _get(calcs, "scenario_risk", "agg_losses/structural", "taxonomy=RM")["array"][0]
    assert 0 < rc < out["array"][0] and np.isclose(rc + rm, out["array"][0], rtol=1e-6)
    rlzs = _get(calcs, "scenario_risk", "agg_losses/structural", "kind=rlzs")
    assert list(rlzs["stats"]) == ["rlz-000"]


def test_agg_damages(calcs):
    o = _outputs(calcs, "scenario_damage", load_risk)
    out = _get(calcs, "scenario_damage", "agg_damages/structural")
    assert out["array"].shape == (1, 3) and out["array"].dtype == np.float32
    np.testing.assert_allclose(out["array"][0], o.avg["structural"][:, 0].sum(axis=0),
                               rtol=1e-6)
    assert np.isclose(out["array"].sum(), o.assets.number.sum(), rtol=1e-6)  # 16 buildings
    assert out["stats"].dtype == np.dtype("S1") and out["selected"].shape == (0,)


def test_damages_and_avg_losses_per_asset(calcs):
    o = _outputs(calcs, "scenario_damage", load_risk)
    arr = _get(calcs, "scenario_damage", "damages-rlzs")["rlz-000"]
    assert arr.dtype.names == ("id", "OCC", "taxonomy", "lon", "lat", "structural-no_damage",
                               "structural-LS1", "structural-LS2")
    assert [a.decode() for a in arr["id"]] == list(o.assets.asset_id)
    np.testing.assert_allclose(arr["structural-LS2"], o.avg["structural"][:, 0, 2], rtol=1e-6)
    losses = _get(calcs, "scenario_risk", "avg_losses-rlzs")["rlz-000"]
    assert losses.dtype.names[-1] == "structural" and losses.dtype["structural"] == np.float32


@pytest.mark.parametrize("kind, what, query, error", [
    ("scenario_risk", "agg_losses", "", NotFound),
    ("scenario_risk", "agg_losses/nonstructural", "", NotFound),
    ("scenario_risk", "agg_losses/structural", "kind=stats", InputError),
    ("scenario_risk", "agg_losses/structural", "color=red", InputError),
    ("scenario_risk", "agg_damages/structural", "", NotFound),
    ("scenario_damage", "agg_losses/structural", "", NotFound),
    ("scenario_damage", "avg_losses-rlzs", "", NotFound),
    ("classical", "damages-rlzs", "", NotFound),
])
def test_risk_extract_errors(calcs, kind, what, query, error):
    with pytest.raises(error):
        _get(calcs, kind, what, query)


def test_risk_results_over_http(calcs):
    data_dir, ids = calcs
    with app_client(server_settings(data_dir)) as client:
        calc = ids["scenario_risk"]
        body = client.get(f"/v1/calc/{calc}/results").json()
        assert [o["type"] for o in body] == ["aggrisk", "aggrisk-stats", "avg_gmf",
                                             "avg_losses-rlzs", "avg_losses_by", "events",
                                             "gmf_data", "risk_by_event"]
        assert body[0]["name"] == "Aggregate Risk" and body[0]["id"] == calc * 1000 + 21
        r = client.get(f"/v1/calc/result/{calc * 1000 + 21}")
        assert r.status_code == 200
        assert f"output-{calc * 1000 + 21}-aggrisk-_{calc}.csv" in r.headers["content-disposition"]
        assert r.text.splitlines()[1] == "loss_type,loss_value,loss_ratio"
        r = client.get(f"/v1/calc/{calc}/extract/agg_losses/structural")
        assert r.status_code == 200
        assert "agg_losses-structural.npz" in r.headers["content-disposition"]
        damage = ids["scenario_damage"]
        types = [o["type"] for o in client.get(f"/v1/calc/{damage}/results").json()]
        assert "damages-rlzs" in types and "avg_losses-rlzs" not in types
        r = client.get(f"/v1/calc/{damage}/extract/damages-rlzs")
        assert np.load(io.BytesIO(r.content), allow_pickle=False)["rlz-000"].shape == (3,)
