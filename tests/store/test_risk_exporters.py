"""Risk CSV exports: file names, columns, realizations and statistics, values.

The byte-for-byte comparison with OpenQuake's own exports is in
``tests/verification/test_oq_qa_risk.py``. Values read back from the files have 6 significant
digits (``%.5E``), hence the relative tolerance 6e-6.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.store import ExportMeta, open_reader, open_writer, read_oq_csv
from toolkit.store.risk import save_risk
from toolkit.store.risk_exporters import available_risk_exports, export_risk


def _load_builder():
    name = "_toolkit_store_test_risk"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name,
                                                      Path(__file__).with_name("test_risk.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name].risk_outputs


risk_outputs = _load_builder()
META = ExportMeta(checksum=1, start_date="2026-01-01T00:00:00")


def _names(paths, calc_id=4):
    return sorted(p.name[: -len(f"_{calc_id}.csv")] for p in paths)


def test_scenario_damage_files_and_columns(tmp_path):
    o = risk_outputs("scenario_damage")  # two realizations, modal damage state
    assert available_risk_exports(o) == ["aggrisk", "aggrisk-stats", "damages-rlzs",
                                         "risk_by_event"]
    paths = export_risk(4, o, tmp_path, META)
    assert _names(paths) == ["aggrisk-", "aggrisk-OCC", "aggrisk-stats-", "avg_damages-mean",
                             "avg_gmf", "events", "gmf-data", "risk_by_event", "sitemesh"]
    _, avg = read_oq_csv(tmp_path / "avg_damages-mean_4.csv")
    assert list(avg.columns) == ["asset_id", "OCC", "taxonomy", "lon", "lat",
                                 "modal-ds-structural"]
    assert set(avg["modal-ds-structural"]) <= {"no_damage", "slight", "collapse"}
    _, agg = read_oq_csv(tmp_path / "aggrisk-_4.csv")
    assert list(agg.columns) == ["loss_type", "rlz_id", "no_damage", "slight", "collapse"]
    # every realization's mean damage distribution sums to the 8 buildings
    np.testing.assert_allclose(agg[["no_damage", "slight", "collapse"]].sum(axis=1), 8.0,
                               rtol=6e-6)
    _, by_event = read_oq_csv(tmp_path / "risk_by_event_4.csv")
    assert list(by_event.columns) == ["event_id", "slight", "collapse", "loss_type"]
    assert by_event["event_id"].tolist() == list(range(6))
    _, stats = read_oq_csv(tmp_path / "aggrisk-stats-_4.csv")
    assert list(stats.columns) == ["loss_type", "no_damage", "slight", "collapse", "stat"]
    w = o.weights
    np.testing.assert_allclose(stats[["no_damage", "slight", "collapse"]].to_numpy()[0],
                               w @ o.aggregates[0].values["structural"][0], rtol=6e-6)


def test_damage_columns_without_modal_state_and_individual_realizations(tmp_path):
    o = dataclasses.replace(risk_outputs("scenario_damage"), modal_damage_state=False,
                            individual_rlzs=True)
    export_risk(4, o, tmp_path, META)
    names = sorted(p.name for p in tmp_path.glob("avg_damages-*"))
    assert names == ["avg_damages-mean_4.csv", "avg_damages-rlz-000_4.csv",
                     "avg_damages-rlz-001_4.csv"]
    lines = (tmp_path / "avg_damages-rlz-001_4.csv").read_text().splitlines()
    assert lines[1] == ("asset_id,OCC,taxonomy,lon,lat,structural-no_damage,structural-slight,"
                        "structural-collapse")
    x = o.avg["structural"][0, 1].astype(np.float32)
    assert lines[2] == "x,res,RC,10.00000,45.00000," + ",".join(f"{v:.6E}" for v in x)


def test_scenario_risk_files_and_values(tmp_path):
    o = risk_outputs("scenario_risk")
    paths = export_risk(4, o, tmp_path, META)
    assert _names(paths) == ["aggrisk-", "aggrisk-OCC", "aggrisk-stats-", "avg_gmf",
                             "avg_losses-mean", "avg_losses_by_-taxonomy", "events", "gmf-data",
                             "risk_by_event", "sitemesh"]
    _, agg = read_oq_csv(tmp_path / "aggrisk-_4.csv")
    assert list(agg.columns) == ["loss_type", "rlz_id", "loss_value", "loss_ratio"]
    total = o.aggregates[0].values["structural"][0]
    np.testing.assert_allclose(agg["loss_value"], total, rtol=6e-6)
    np.testing.assert_allclose(agg["loss_ratio"], total / 600.0, rtol=6e-6)
    _, by_tag = read_oq_csv(tmp_path / "aggrisk-OCC_4.csv")
    assert list(by_tag.columns) == ["loss_type", "OCC", "rlz_id", "loss_value", "loss_ratio"]
    np.testing.assert_allclose(by_tag["loss_value"].sum(), total.sum(), rtol=6e-6)
    _, by_event = read_oq_csv(tmp_path / "risk_by_event_4.csv")
    assert list(by_event.columns) == ["event_id", "loss", "loss_type"]
    assert np.all(np.diff(by_event["loss"]) >= 0) and np.all(by_event["loss"] > 0)
    text = (tmp_path / "avg_losses_by_-taxonomy_4.csv").read_text()
    assert not text.startswith("#")  # no comment line, as OpenQuake
    _, by_tax = read_oq_csv(tmp_path / "avg_losses_by_-taxonomy_4.csv")
    assert by_tax["taxonomy"].tolist() == ["RC", "W"]  # W: no asset left, zero
    np.testing.assert_allclose(by_tax["structural"], [o.avg["structural"].sum(0) @ o.weights,
                                                      0.0], rtol=6e-6)
    _, avg = read_oq_csv(tmp_path / "avg_losses-mean_4.csv")
    np.testing.assert_allclose(avg["structural"], o.avg["structural"] @ o.weights, rtol=6e-6)


def test_event_based_curves_and_event_table(tmp_path):
    o = risk_outputs("event_based_risk")
    paths = export_risk(4, o, tmp_path, META)
    assert {"aggcurves-", "aggcurves-OCC", "aggcurves-stats-", "ruptures"} - set(
        _names(paths)) == {"ruptures"}  # GMFs without ruptures (hand-made): none exported
    meta, curves = read_oq_csv(tmp_path / "aggcurves-_4.csv")
    assert list(curves.columns) == ["return_period", "loss_type", "rlz_id", "loss_value",
                                    "loss_ratio"]
    assert meta["effective_time"] == 20.0 and meta["num_events"] == 6
    assert meta["limit_states"] == "" and meta["risk_investigation_time"] == 10.0
    assert curves["return_period"].tolist() == [2, 5, 10, 2, 5, 10]
    np.testing.assert_allclose(curves["loss_value"],
                               o.aggregates[0].curves["structural"][0].ravel(), rtol=6e-6)
    _, tags = read_oq_csv(tmp_path / "aggcurves-OCC_4.csv")
    assert list(tags.columns)[:2] == ["OCC", "return_period"]
    _, stats = read_oq_csv(tmp_path / "aggcurves-stats-_4.csv")
    assert list(stats.columns) == ["return_period", "loss_type", "loss", "stat"]
    meta, by_event = read_oq_csv(tmp_path / "risk_by_event_4.csv")
    assert list(by_event.columns) == ["event_id", "loss", "loss_type", "rup_id", "year"]
    assert meta["investigation_time"] == 10.0


def test_classical_risk_loss_curves(tmp_path):
    o = risk_outputs("classical_risk")
    paths = export_risk(4, o, tmp_path, META)
    assert _names(paths) == ["avg_losses-rlz-000", "avg_losses_by_-taxonomy",
                             "hazard_curve-mean-PGA", "loss_curves-rlz-000", "realizations"]
    meta, curves = read_oq_csv(tmp_path / "loss_curves-rlz-000_4.csv")
    assert list(curves.columns) == ["asset_id", "loss_type", "loss_value", "loss_ratio", "poe"]
    assert meta["kind"] == "rlz-000" and meta["risk_investigation_time"] == 50.0
    c = o.loss_curves["structural"]
    np.testing.assert_allclose(curves["poe"], c.poes[:, 0], rtol=6e-6)
    values = o.assets.values["structural"][c.asset]
    np.testing.assert_allclose(curves["loss_value"], c.loss_ratio * values, rtol=6e-6)
    assert curves["asset_id"].iloc[0] == "x"


def test_classical_damage_and_export_from_a_datastore(tmp_path):
    o = risk_outputs("classical_damage")
    o = dataclasses.replace(o, modal_damage_state=False)
    with open_writer(tmp_path, 4) as writer:
        save_risk(writer, o)
    with open_reader(tmp_path, 4) as reader:
        paths = export_risk(4, reader, tmp_path / "out", META)
    assert _names(paths) == ["avg_damages-rlz-000", "hazard_curve-mean-PGA", "realizations"]
    _, avg = read_oq_csv(tmp_path / "out" / "avg_damages-rlz-000_4.csv")
    np.testing.assert_allclose(avg.iloc[:, 5:].sum(axis=1), [5, 2, 1], rtol=6e-6)
    with pytest.raises(InputError, match="cannot export risk outputs from a str"):
        export_risk(4, "nothing", tmp_path, META)
