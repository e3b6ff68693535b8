"""RiskOutputs: validation and the datastore round trip for every risk mode."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from toolkit.engine.hazard.calculators import calculators
from toolkit.engine.hazard.calculators.classical import ClassicalResult
from toolkit.engine.hazard.calculators.gmfs import EVENT_DTYPE, RUPTURE_DTYPE, GmfResult, GmfRows
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.risk.calculators import AssetArrays, RiskFunctions, RiskInputs
from toolkit.engine.risk.models import FragilityFunction, VulnerabilityFunction
from toolkit.errors import InputError, NotFound
from toolkit.store import HazardOutputs, open_reader, open_writer
from toolkit.store.gmf import GmfOutputs
from toolkit.store.risk import RiskOutputs, load_risk, save_risk

IMLS = np.array([0.05, 0.1, 0.2, 0.4, 0.8])
VF = VulnerabilityFunction("RC", "PGA", "LN", IMLS, np.array([0.01, 0.05, 0.15, 0.4, 0.7]),
                           np.full(5, 0.3))
FF = FragilityFunction("RC", "PGA", ["slight", "collapse"], "discrete",
                       imls=np.array([0.1, 0.2, 0.4]),
                       poes=np.array([[0.1, 0.5, 0.9], [0.01, 0.1, 0.5]]))
LONS = np.array([10.0, 10.1, 10.1])


def _assets():
    return AssetArrays(asset_id=np.array(["x", "y", "z"]), lon=LONS, lat=np.full(3, 45.0),
                       taxonomy=np.array(["RC"] * 3), number=np.array([5.0, 2.0, 1.0]),
                       values={"structural": np.array([100.0, 200.0, 300.0])},
                       tags={"OCC": np.array(["res", "com", "res"])}, tag_names=["OCC"],
                       taxonomies=["RC", "W"])


def _gmf(event_based: bool):
    rng = np.random.default_rng(1)
    gmv = rng.uniform(0.05, 0.6, (6, 2))
    events = np.zeros(6, EVENT_DTYPE)
    events["event_id"] = np.arange(6)
    events["rlz_id"] = [0, 0, 0, 1, 1, 1]
    ev, st = np.nonzero(gmv > 0)
    return GmfResult(
        mode="event_based" if event_based else "scenario",
        sites=SiteCollection(lons=[10.0, 10.1], lats=[45.0, 45.0]), imts=[PGA()],
        realizations=[(0, "b1", 0.6), (1, "b2", 0.4)],
        investigation_time=10.0 if event_based else None, ses_per_logic_tree_path=2,
        ruptures=np.zeros(0, RUPTURE_DTYPE), events=events,
        gmfs=GmfRows(ev, st, gmv[ev, st][:, None]), sig_inter=np.full((6, 1), np.nan),
        eps_inter=np.zeros((6, 1)))


def _curves():
    levels = np.array([0.05, 0.1, 0.2, 0.4, 0.8])
    poes = np.array([[0.5, 0.3, 0.1, 0.02, 0.001], [0.2, 0.1, 0.03, 0.005, 1e-4]])
    return ClassicalResult(
        sites=SiteCollection(lons=[10.0, 10.1], lats=[45.0, 45.0]), imtls={PGA(): levels},
        investigation_time=50.0, realizations=[(0, "b1", 1.0)], curves_rlzs=poes[:, None],
        curves_stats={}, poes=[], maps_rlzs=None, maps_stats={})


def risk_outputs(mode: str) -> RiskOutputs:
    """Run ``mode`` on hand-made hazard and convert the result as the jobs layer does."""
    damage = mode.endswith("damage")
    model = (RiskFunctions("structural", "fragility", [FF], {"RC": [(0, 1.0)]},
                           ["no_damage", "slight", "collapse"], "f.xml") if damage else
             RiskFunctions("structural", "vulnerability", [VF], {"RC": [(0, 1.0)]},
                           source="v.xml"))
    hazard = _curves() if mode.startswith("classical") else _gmf(mode == "event_based_risk")
    inputs = RiskInputs(mode, _assets(), {"structural": model}, hazard=hazard,
                        aggregate_by=[("OCC",)], return_periods=[2.0, 5.0, 10.0],
                        modal_damage_state=True)
    sink = type("Sink", (), {"save": lambda self, r: setattr(self, "r", r)})()
    calculators.get(mode)(inputs, sink).run()
    r = sink.r
    h = r.hazard
    if isinstance(h, GmfResult):
        order = np.lexsort((h.gmfs.site, h.gmfs.event))
        hazard_out = GmfOutputs(h.mode, h.sites, [str(i) for i in h.imts], h.realizations,
                                h.investigation_time, h.ses_per_logic_tree_path, h.ruptures,
                                h.events, h.gmfs.event[order], h.gmfs.site[order],
                                h.gmfs.gmv[order], h.sig_inter, h.eps_inter)
    else:
        hazard_out = HazardOutputs(h.sites, {str(k): v for k, v in h.imtls.items()},
                                   h.investigation_time, h.realizations, h.curves_rlzs)
    fields = {f.name: getattr(r, f.name) for f in dataclasses.fields(RiskOutputs)
              if hasattr(r, f.name)}
    fields["hazard"] = hazard_out
    return RiskOutputs(**fields)


@pytest.mark.parametrize("mode", ["scenario_damage", "scenario_risk", "event_based_risk",
                                  "classical_risk", "classical_damage"])
def test_round_trip(mode, tmp_path):
    outputs = risk_outputs(mode)
    with open_writer(tmp_path, 1) as writer:
        save_risk(writer, outputs)
    with open_reader(tmp_path, 1) as reader:
        back = load_risk(reader)
    assert back.mode == mode and back.loss_types == ["structural"]
    assert back.realizations == outputs.realizations
    assert back.assets.asset_id.tolist() == outputs.assets.asset_id.tolist()
    assert back.assets.tags["OCC"].tolist() == outputs.assets.tags["OCC"].tolist()
    assert back.assets.taxonomies == ["RC", "W"]
    np.testing.assert_array_equal(back.site_id, outputs.site_id)
    np.testing.assert_allclose(back.avg["structural"], outputs.avg["structural"])
    assert [t.tags for t in back.aggregates] == [(), ("OCC",)]
    for a, b in zip(back.aggregates, outputs.aggregates, strict=True):
        assert a.labels.tolist() == b.labels.tolist()
        for key in ("values", "exposed", "curves"):
            assert set(getattr(a, key)) == set(getattr(b, key))
            for lt in getattr(a, key):
                np.testing.assert_allclose(getattr(a, key)[lt], getattr(b, key)[lt])
    if outputs.events is not None:
        np.testing.assert_array_equal(back.events, outputs.events)
        np.testing.assert_allclose(back.event_totals["structural"],
                                   outputs.event_totals["structural"])
    for lt, c in outputs.loss_curves.items():
        np.testing.assert_allclose(back.loss_curves[lt].poes, c.poes)
        np.testing.assert_array_equal(back.loss_curves[lt].asset, c.asset)
    np.testing.assert_allclose(back.return_periods, outputs.return_periods)
    assert type(back.hazard) is type(outputs.hazard)
    assert back.modal_damage_state and back.effective_time == outputs.effective_time


def test_hazard_from_a_previous_calculation_is_not_stored(tmp_path):
    outputs = dataclasses.replace(risk_outputs("scenario_risk"), hazard=None,
                                  hazard_calculation_id=7)
    with open_writer(tmp_path, 2) as writer:
        save_risk(writer, outputs)
    with open_reader(tmp_path, 2) as reader:
        assert "gmf_data" not in reader
        assert reader.get_attrs("/")["hazard_calculation_id"] == 7
        back = load_risk(reader)
    assert back.hazard is None and back.hazard_calculation_id == 7 and back.sites is None


def test_validation_and_missing_outputs(tmp_path):
    outputs = risk_outputs("scenario_risk")
    with pytest.raises(InputError, match="mode must be one of"):
        dataclasses.replace(outputs, mode="scenario")
    with pytest.raises(InputError, match=r"avg\['structural'\] has shape"):
        dataclasses.replace(outputs, avg={"structural": np.zeros((2, 2))})
    with pytest.raises(InputError, match="first aggregate table must be the total"):
        dataclasses.replace(outputs, aggregates=outputs.aggregates[1:])
    with open_writer(tmp_path, 3) as writer:
        writer["x"] = np.zeros(1)
    with open_reader(tmp_path, 3) as reader, pytest.raises(NotFound, match="no risk outputs"):
        load_risk(reader)
