"""The risk calculators on hand-made hazard: analytic cases, conservation, blocking, curves."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.calculators import calculators
from toolkit.engine.hazard.calculators.classical import ClassicalResult
from toolkit.engine.hazard.calculators.gmfs import EVENT_DTYPE, RUPTURE_DTYPE, GmfResult, GmfRows
from toolkit.engine.hazard.geo import geodetic_distance
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.risk import calculators as rc
from toolkit.engine.risk.calculators import (
    AssetArrays,
    RiskFunctions,
    RiskInputs,
    associate_assets,
    default_return_periods,
    losses_at_return_periods,
)
from toolkit.engine.risk.classical import classical_damage, classical_risk
from toolkit.engine.risk.fragility import damage_state_probs, limit_state_poes
from toolkit.engine.risk.losses import aggregate_loss_curve
from toolkit.engine.risk.models import FragilityFunction, VulnerabilityFunction
from toolkit.engine.risk.vulnerability import mean_loss_ratio
from toolkit.errors import InputError

IMLS = np.array([0.05, 0.1, 0.2, 0.4, 0.8])
VF_RC = VulnerabilityFunction("RC", "PGA", "LN", IMLS, np.array([0.01, 0.05, 0.15, 0.4, 0.7]),
                              np.full(5, 0.3))
VF_RM = VulnerabilityFunction("RM", "PGA", "LN", IMLS, np.array([0.02, 0.08, 0.2, 0.5, 0.8]),
                              np.zeros(5))
FF = FragilityFunction("RC", "PGA", ["slight", "collapse"], "discrete",
                       imls=np.array([0.1, 0.2, 0.4]),
                       poes=np.array([[0.1, 0.5, 0.9], [0.01, 0.1, 0.5]]))


class Sink:
    def save(self, result):
        self.result = result


def gmf_result(lons, lats, gmv, rlz_id=None, investigation_time=None, ses=1,
               realizations=None):
    """A GmfResult with PGA values ``gmv`` (E, S) at the sites (0 = no row)."""
    gmv = np.asarray(gmv, dtype=float)
    n_ev = gmv.shape[0]
    events = np.zeros(n_ev, EVENT_DTYPE)
    events["event_id"] = np.arange(n_ev)
    events["rlz_id"] = 0 if rlz_id is None else rlz_id
    events["year"] = np.arange(n_ev) + 1
    ev, st = np.nonzero(gmv > 0)
    return GmfResult(
        mode="scenario" if investigation_time is None else "event_based",
        sites=SiteCollection(lons=lons, lats=lats), imts=[PGA()],
        realizations=realizations or [(0, "b1", 1.0)], investigation_time=investigation_time,
        ses_per_logic_tree_path=ses, ruptures=np.zeros(0, RUPTURE_DTYPE), events=events,
        gmfs=GmfRows(ev, st, gmv[ev, st][:, None]), sig_inter=np.full((n_ev, 1), np.nan),
        eps_inter=np.zeros((n_ev, 1)))


def assets(lons, lats, taxonomy, number=None, values=None, occ=None):
    n = len(lons)
    return AssetArrays(
        asset_id=np.array([f"a{i}" for i in range(n)]), lon=np.asarray(lons, float),
        lat=np.asarray(lats, float), taxonomy=np.array(taxonomy),
        number=np.ones(n) if number is None else np.asarray(number, float),
        values={} if values is None else {"structural": np.asarray(values, float)},
        tags={"OCC": np.array(occ if occ is not None else ["res"] * n)}, tag_names=["OCC"],
        taxonomies=sorted(set(taxonomy)))


def vulnerability(*funcs):
    return {"structural": RiskFunctions("structural", "vulnerability", list(funcs),
                                        {f.id: [(i, 1.0)] for i, f in enumerate(funcs)},
                                        source="v.xml")}


def fragility():
    return {"structural": RiskFunctions("structural", "fragility", [FF], {"RC": [(0, 1.0)]},
                                        ["no_damage", "slight", "collapse"], "f.xml")}


def run(inputs):
    sink = Sink()
    calculators.get(inputs.mode)(inputs, sink).run()
    return sink.result


# --------------------------------------------------------------------------- helpers
def test_association_picks_the_closest_site_within_the_distance():
    site_lons, site_lats = np.array([0.0, 0.1, 0.3]), np.array([0.0, 0.0, 0.0])
    a_lons, a_lats = np.array([0.02, 0.09, 0.29, 1.0]), np.array([0.01, 0.0, 0.05, 0.0])
    site, dist = associate_assets(site_lons, site_lats, a_lons, a_lats, 15.0)
    assert site.tolist() == [0, 1, 2, 2]
    full = geodetic_distance(a_lons[:, None], a_lats[:, None], site_lons, site_lats)
    np.testing.assert_allclose(dist, full.min(axis=1), rtol=1e-9)
    assert (dist <= 15.0).tolist() == [True, True, True, False]


def test_vectorised_curves_follow_the_engine_rule():
    rng = np.random.default_rng(3)
    losses = rng.exponential(100.0, (4, 30)) * (rng.random((4, 30)) < 0.7)
    periods = np.array([1.0, 7.5, 20.0, 50.0, 100.0, 400.0, 1000.0])
    got = losses_at_return_periods(losses, periods, 500.0, 40)
    for g in range(4):
        expected = aggregate_loss_curve(losses[g], periods, 500.0, num_events=40)
        np.testing.assert_allclose(got[g], expected, rtol=1e-12, equal_nan=True)


def test_default_return_periods():
    # OpenQuake QA event_based_risk/case_5: 781 events in 2000 years -> 5 ... 1000
    assert default_return_periods(2000.0, 781).tolist() == [5, 10, 20, 50, 100, 200, 500, 1000]
    assert default_return_periods(100.0, 0).size == 0


# --------------------------------------------------------------------------- scenario
def test_single_asset_deterministic_gmf_gives_the_fragility_probabilities():
    gmf = gmf_result([10.0], [45.0], [[0.3], [0.15]])
    inp = RiskInputs("scenario_damage", assets([10.0], [45.0], ["RC"], number=[200]),
                     fragility(), hazard=gmf)
    res = run(inp)
    probs = damage_state_probs(limit_state_poes(FF, np.array([0.3, 0.15])))
    # by hand: at 0.3 g P(>=slight) = 0.7, P(>=collapse) = 0.3 -> [0.3, 0.4, 0.3]
    np.testing.assert_allclose(probs[0], [0.3, 0.4, 0.3], rtol=1e-12)
    np.testing.assert_allclose(res.avg["structural"][0, 0], 200 * probs.mean(axis=0))
    np.testing.assert_allclose(res.event_totals["structural"], 200 * probs)
    assert res.damage_states == ["no_damage", "slight", "collapse"]


def test_discrete_damage_is_integer_and_conserves_buildings():
    n_ev = 5
    gmv = np.tile([0.3, 0.25, 0.12], (n_ev, 1))
    gmf = gmf_result([10.0, 10.1, 10.2], [45.0, 45.0, 45.0], gmv)
    inp = RiskInputs("scenario_damage", assets([10.0, 10.1, 10.2, 10.2], [45.0] * 4,
                                               ["RC"] * 4, number=[100, 30, 7, 0]),
                     fragility(), hazard=gmf, discrete_damage_distribution=True)
    res = run(inp)
    totals = res.event_totals["structural"]
    assert np.array_equal(totals, np.round(totals))
    np.testing.assert_allclose(totals.sum(axis=1), 137.0)
    np.testing.assert_allclose(res.avg["structural"][:, 0].sum(axis=1), [100, 30, 7, 0])
    # the same seed gives the same sample; another seed another one
    again = run(RiskInputs(**{**inp.__dict__}))
    np.testing.assert_array_equal(again.event_totals["structural"], totals)
    other = run(RiskInputs(**{**inp.__dict__, "master_seed": 1}))
    assert not np.array_equal(other.event_totals["structural"], totals)


def test_zero_cov_losses_are_mean_loss_ratio_times_value():
    gmv = np.array([[0.3, 0.0], [0.15, 0.6], [0.05, 0.1]])
    gmf = gmf_result([10.0, 10.1], [45.0, 45.0], gmv)
    inp = RiskInputs("scenario_risk", assets([10.0, 10.1], [45.0, 45.0], ["RM", "RM"],
                                             values=[1000.0, 500.0]),
                     vulnerability(VF_RM), hazard=gmf)
    res = run(inp)
    per_event = mean_loss_ratio(VF_RM, gmv.T) * np.array([[1000.0], [500.0]])
    np.testing.assert_allclose(res.event_totals["structural"], per_event.sum(axis=0))
    np.testing.assert_allclose(res.avg["structural"][:, 0], per_event.mean(axis=1))
    total = res.aggregates[0]
    np.testing.assert_allclose(total.values["structural"][0, 0], per_event.sum(0).mean())
    assert total.exposed["structural"].tolist() == [1500.0]


def test_minimum_asset_loss_zeroes_small_losses():
    gmv = np.array([[0.3, 0.06]])
    gmf = gmf_result([10.0, 10.1], [45.0, 45.0], gmv)
    inp = RiskInputs("scenario_risk", assets([10.0, 10.1], [45.0, 45.0], ["RM", "RM"],
                                             values=[1000.0, 1000.0]),
                     vulnerability(VF_RM), hazard=gmf, minimum_asset_loss={"structural": 50})
    res = run(inp)
    # 0.06 g gives 0.032 * 1000 = 32 < 50: dropped; 0.3 g gives 350
    np.testing.assert_allclose(res.avg["structural"][:, 0], [350.0, 0.0])


def _sampled_case(n_assets=1200, n_events=30, rho=0.0):
    rng = np.random.default_rng(0)
    lons = 10.0 + 0.01 * (np.arange(n_assets) % 40)
    lats = np.full(n_assets, 45.0)
    site_lons = 10.0 + 0.01 * np.arange(40)
    gmv = rng.uniform(0.0, 0.9, (n_events, 40))
    gmf = gmf_result(site_lons, np.full(40, 45.0), gmv)
    tax = np.where(np.arange(n_assets) % 3 == 0, "RM", "RC")
    values = rng.uniform(100, 1000, n_assets)
    occ = np.where(np.arange(n_assets) % 2 == 0, "res", "com")
    return RiskInputs("scenario_risk", assets(lons, lats, list(tax), values=values, occ=occ),
                      vulnerability(VF_RC, VF_RM), hazard=gmf, asset_correlation=rho,
                      aggregate_by=[("taxonomy",), ("taxonomy", "OCC")])


def test_conservation_of_sampled_losses_over_blocks():
    inp = _sampled_case()
    res = run(inp)
    n_events = len(res.events)
    # per-event totals over all assets and per-asset sums over events agree
    np.testing.assert_allclose(res.event_totals["structural"].sum(),
                               res.avg["structural"].sum() * n_events, rtol=1e-10)
    for table in res.aggregates:
        np.testing.assert_allclose(table.values["structural"].sum(),
                                   res.avg["structural"].sum(), rtol=1e-10)
    # the assets are in site order, then exposure order
    assert np.all(np.diff(res.site_id) >= 0)
    for s in np.unique(res.site_id):
        assert np.all(np.diff(res.assets.ordinal[res.site_id == s]) > 0)


def test_deterministic_results_do_not_depend_on_the_block_sizes(monkeypatch):
    inp = _sampled_case(n_assets=300, n_events=25)
    inp.models = vulnerability(VF_RC, VF_RM)
    inp.ignore_covs = True
    first = run(inp)
    monkeypatch.setattr(rc, "ASSET_BLOCK", 7)
    monkeypatch.setattr(rc, "EVENT_CHUNK", 4)
    second = run(inp)
    np.testing.assert_allclose(second.avg["structural"], first.avg["structural"], rtol=1e-12)
    np.testing.assert_allclose(second.event_totals["structural"],
                               first.event_totals["structural"], rtol=1e-12)


def test_asset_correlation_one_gives_identical_draws_for_identical_assets():
    n = 10
    gmf = gmf_result([10.0], [45.0], np.full((200, 1), 0.3))
    base = assets(np.full(n, 10.0), np.full(n, 45.0), ["RC"] * n, values=np.full(n, 1000.0))
    correlated = run(RiskInputs("scenario_risk", base, vulnerability(VF_RC), hazard=gmf,
                                asset_correlation=1.0))
    avg = correlated.avg["structural"][:, 0]
    np.testing.assert_allclose(avg, avg[0], rtol=1e-12)
    independent = run(RiskInputs("scenario_risk", base, vulnerability(VF_RC), hazard=gmf))
    assert np.ptp(independent.avg["structural"][:, 0]) > 0
    # both are unbiased: the mean loss ratio at 0.3 g is 0.275
    for res in (correlated, independent):
        mean = res.event_totals["structural"].mean() / (n * 1000.0)
        assert abs(mean - 0.275) < 4 * 0.3 * 0.275 / np.sqrt(200)


def test_assets_beyond_the_distance_are_discarded_with_a_message():
    gmf = gmf_result([10.0], [45.0], [[0.3]])
    inp = RiskInputs("scenario_risk", assets([10.0, 11.0], [45.0, 45.0], ["RM", "RM"],
                                             values=[1.0, 1.0]),
                     vulnerability(VF_RM), hazard=gmf, asset_hazard_distance=15.0)
    res = run(inp)
    assert res.assets.asset_id.tolist() == ["a0"]
    assert any("1 asset(s) farther than asset_hazard_distance = 15 km" in m
               for m in res.messages)
    inp.assets = assets([11.0], [45.0], ["RM"], values=[1.0])
    with pytest.raises(InputError, match="all 1 assets are farther than"):
        run(inp)


def test_taxonomy_without_function_names_the_taxonomy_and_the_file():
    gmf = gmf_result([10.0], [45.0], [[0.3]])
    inp = RiskInputs("scenario_risk", assets([10.0], [45.0], ["XX"], values=[1.0]),
                     vulnerability(VF_RM), hazard=gmf)
    with pytest.raises(InputError, match="taxonomy 'XX' has no vulnerability function for "
                                         "loss type 'structural' in v.xml"):
        run(inp)


def test_function_imt_must_be_in_the_hazard():
    vf = VulnerabilityFunction("RM", "SA(0.3)", "LN", IMLS, VF_RM.mean_lrs, VF_RM.covs)
    gmf = gmf_result([10.0], [45.0], [[0.3]])
    inp = RiskInputs("scenario_risk", assets([10.0], [45.0], ["RM"], values=[1.0]),
                     vulnerability(vf), hazard=gmf)
    with pytest.raises(InputError, match=r"uses SA\(0.3\) but the hazard has only PGA"):
        run(inp)


# --------------------------------------------------------------------------- event based
def test_event_based_averages_and_curves():
    rng = np.random.default_rng(5)
    n_ev = 60
    gmv = rng.uniform(0.0, 0.7, (n_ev, 3)) * (rng.random((n_ev, 1)) < 0.8)
    gmf = gmf_result([10.0, 10.1, 10.2], [45.0] * 3, gmv, investigation_time=50.0, ses=4)
    inp = RiskInputs("event_based_risk",
                     assets([10.0, 10.1, 10.2, 10.2], [45.0] * 4, ["RC", "RM", "RC", "RM"],
                            values=[100.0, 200.0, 300.0, 400.0], occ=["a", "b", "a", "b"]),
                     vulnerability(VF_RC, VF_RM), hazard=gmf, aggregate_by=[("OCC",)],
                     return_periods=[10.0, 25.0, 50.0, 100.0, 200.0],
                     risk_investigation_time=1.0)
    res = run(inp)
    eff = 200.0
    elt = res.event_totals["structural"]
    # average losses from the event loss table equal the per-asset ones summed (annual: T_r=1)
    np.testing.assert_allclose(elt.sum() / eff, res.avg["structural"].sum(), rtol=1e-10)
    assert res.effective_time == eff and res.risk_investigation_time == 1.0
    total_curve = res.aggregates[0].curves["structural"][0, 0]
    np.testing.assert_allclose(total_curve, aggregate_loss_curve(
        elt, inp.return_periods, eff, num_events=n_ev), rtol=1e-12)
    assert np.all(np.diff(total_curve) >= 0)
    # tag curves: each group's curve is below the total one at every period
    by_occ = res.aggregates[1].curves["structural"][:, 0]
    assert by_occ.shape == (2, 5) and np.all(by_occ <= total_curve + 1e-9)
    assert np.all(np.diff(by_occ, axis=1) >= 0)


def test_event_based_realizations_are_averaged_separately():
    gmv = np.array([[0.3], [0.3], [0.6], [0.6]])
    gmf = gmf_result([10.0], [45.0], gmv, rlz_id=np.array([0, 0, 1, 1]),
                     investigation_time=10.0,
                     realizations=[(0, "b1", 0.75), (1, "b2", 0.25)])
    inp = RiskInputs("event_based_risk", assets([10.0], [45.0], ["RM"], values=[1000.0]),
                     vulnerability(VF_RM), hazard=gmf)
    res = run(inp)
    lr = mean_loss_ratio(VF_RM, np.array([0.3, 0.6]))
    # two events of each realization in 10 years, expected loss in 10 years
    np.testing.assert_allclose(res.avg["structural"][0], 2 * lr * 1000.0)


# --------------------------------------------------------------------------- classical
def _curves(poes):
    levels = np.array([0.05, 0.1, 0.2, 0.4, 0.8])
    return ClassicalResult(
        sites=SiteCollection(lons=[10.0, 10.5], lats=[45.0, 45.0]), imtls={PGA(): levels},
        investigation_time=50.0, realizations=[(0, "b1", 1.0)],
        curves_rlzs=np.asarray(poes, float)[:, None, :], curves_stats={}, poes=[],
        maps_rlzs=None, maps_stats={}), levels


def test_classical_risk_one_site_matches_the_engine_function():
    hazard, levels = _curves([[0.5, 0.3, 0.1, 0.02, 0.001], [0.2, 0.1, 0.03, 0.005, 1e-4]])
    inp = RiskInputs("classical_risk", assets([10.0, 10.5], [45.0, 45.0], ["RC", "RC"],
                                              values=[1000.0, 10.0]),
                     vulnerability(VF_RC), hazard=hazard, lrem_steps_per_interval=2)
    res = run(inp)
    for a in range(2):
        curve = classical_risk(VF_RC, levels, hazard.curves_rlzs[a, 0], 50.0, steps=2)
        rows = res.loss_curves["structural"].asset == a
        np.testing.assert_allclose(res.loss_curves["structural"].loss_ratio[rows],
                                   curve.loss_ratios)
        np.testing.assert_allclose(res.loss_curves["structural"].poes[rows, 0], curve.poes)
        value = [1000.0, 10.0][a]
        np.testing.assert_allclose(res.avg["structural"][a, 0],
                                   curve.average_loss_ratio * value)


def test_classical_damage_matches_the_engine_function():
    hazard, levels = _curves([[0.5, 0.3, 0.1, 0.02, 0.001], [0.2, 0.1, 0.03, 0.005, 1e-4]])
    inp = RiskInputs("classical_damage", assets([10.0, 10.5], [45.0, 45.0], ["RC", "RC"],
                                                number=[3, 1]),
                     fragility(), hazard=hazard, risk_investigation_time=1.0,
                     steps_per_interval=2)
    res = run(inp)
    expected = classical_damage(FF, levels, hazard.curves_rlzs[:, 0], 50.0, 1.0, 2)
    np.testing.assert_allclose(res.avg["structural"][:, 0], expected * np.array([[3], [1]]))
    np.testing.assert_allclose(res.avg["structural"].sum(axis=2)[:, 0], [3, 1])
