"""Losses: values x loss ratios, insurance, minimum loss, aggregation, loss curves; OQ QA."""

from __future__ import annotations

import configparser
import csv
import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from toolkit.engine.risk.losses import (
    aggregate_by,
    aggregate_loss_curve,
    apply_minimum_loss,
    asset_losses,
    average_losses,
    event_loss_table,
    insured_losses,
    loss_stddev,
)
from toolkit.engine.risk.models import VulnerabilityFunction
from toolkit.engine.risk.vulnerability import sample_loss_ratios
from toolkit.errors import InputError


def test_zero_cov_losses_are_mean_loss_ratio_times_value_exactly():
    f = VulnerabilityFunction(id="RC", imt="PGA", dist="LN",
                              imls=np.array([0.1, 0.2, 0.3, 0.5, 0.7]),
                              mean_lrs=np.array([0.0035, 0.07, 0.14, 0.28, 0.56]),
                              covs=np.zeros(5))
    imls = np.array([[0.25, 0.6, 0.05], [0.3, 0.9, 0.1]])
    lr = sample_loss_ratios(f, imls, np.random.default_rng(0))
    losses = asset_losses(lr, [2000.0, 10.0])
    expected = np.array([[0.07 + 0.5 * 0.07, 0.28 + 0.5 * 0.28, 0.0], [0.14, 0.56, 0.0035]])
    expected *= np.array([[2000.0], [10.0]])
    assert np.allclose(losses, expected, rtol=1e-14, atol=0)


def test_insured_losses_deductible_and_limit():
    losses = np.array([[100.0, 349.0, 350.0, 500.0, 800.0, 900.0]])
    ins = insured_losses(losses, 2000.0, [350.0], [800.0])
    assert np.array_equal(ins, [[0, 0, 0, 150, 450, 450]])
    # as fractions of the value: 0.175 * 2000 = 350, 0.4 * 2000 = 800
    rel = insured_losses(losses, [2000.0], [0.175], [0.4], absolute=False)
    assert np.allclose(rel, ins, rtol=0, atol=1e-12)
    with pytest.raises(InputError, match="limit below the deductible"):
        insured_losses(losses, 1.0, 500.0, 100.0)


def test_minimum_loss_sets_smaller_losses_to_zero():
    losses = np.array([[199.9, 200.0, 250.0], [0.0, 10.0, 1e6]])
    out = apply_minimum_loss(losses, 200.0)
    assert np.array_equal(out, [[0.0, 200.0, 250.0], [0.0, 0.0, 1e6]])
    assert losses[0, 0] == 199.9          # the input is not modified


def test_aggregate_by_one_and_two_tags():
    losses = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 40.0], [8.0, 80.0]])
    taxonomy = np.array(["RC", "RM", "RC", "W"])
    occupancy = np.array(["res", "res", "com", "res"])
    labels, sums = aggregate_by(losses, taxonomy)
    assert labels.tolist() == ["RC", "RM", "W"]
    assert np.array_equal(sums, [[5.0, 50.0], [2.0, 20.0], [8.0, 80.0]])
    labels, sums = aggregate_by(losses, [taxonomy, occupancy])
    assert labels.tolist() == [["RC", "com"], ["RC", "res"], ["RM", "res"], ["W", "res"]]
    assert np.array_equal(sums, [[4.0, 40.0], [1.0, 10.0], [2.0, 20.0], [8.0, 80.0]])


def test_aggregated_losses_equal_the_sum_of_asset_losses_per_event():
    rng = np.random.default_rng(9)
    losses = rng.gamma(0.5, 100.0, size=(200, 30))
    tags = rng.integers(0, 7, size=200)
    _, sums = aggregate_by(losses, tags)
    elt = event_loss_table(losses)
    assert np.allclose(sums.sum(axis=0), elt, rtol=1e-12)
    assert np.allclose(elt, [losses[:, e].sum() for e in range(30)], rtol=1e-12)
    # each group separately
    for g, label in enumerate(np.unique(tags)):
        assert np.allclose(sums[g], losses[tags == label].sum(axis=0), rtol=1e-12)


def test_average_losses_scenario_and_event_based():
    losses = np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]])
    assert np.array_equal(average_losses(losses), [3.0, 1.0])
    assert np.array_equal(average_losses(losses, eff_time=50.0), [9.0 / 50, 3.0 / 50])
    assert loss_stddev(losses)[0] == pytest.approx(np.sqrt((4 + 1 + 9) / 2), rel=1e-14)


def test_aggregate_loss_curve_on_a_synthetic_event_loss_table():
    # 5 events with a loss out of 10, effective time 100 years: ranked losses 50, 40, 30,
    # 20, 10, 0, ... with return periods 100/k = 100, 50, 33.3, 25, 20, 16.7, ..., 10 years
    elt = [50.0, 10.0, 30.0, 20.0, 40.0]
    rps = [5.0, 10.0, 20.0, 25.0, 40.0, 50.0, 100.0, 200.0]
    curve = aggregate_loss_curve(elt, rps, eff_time=100.0, num_events=10)
    w = math.log(40 / (100 / 3)) / math.log(50 / (100 / 3))   # 40 yr between 33.3 and 50 yr
    expected = [0.0, 0.0, 10.0, 20.0, 30.0 + w * (40.0 - 30.0), 40.0, 50.0, np.nan]
    assert np.allclose(curve, expected, rtol=1e-13, equal_nan=True)
    assert expected[4] == pytest.approx(34.496603, abs=1e-6)
    # 30 yr lies between ranks 3 (33.3 yr) and 4 (25 yr)
    w30 = math.log(30 / 25) / math.log((100 / 3) / 25)
    assert aggregate_loss_curve(elt, [30.0], 100.0, 10)[0] == pytest.approx(20 + 10 * w30)
    with pytest.raises(InputError, match="num_events"):
        aggregate_loss_curve(elt, rps, 100.0, num_events=3)


# --- OpenQuake QA scenario_risk/case_1 ------------------------------------------------------

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(line for line in f if not line.startswith("#"))]


def read_vulnerability(path, vf_id):
    ns = {"n": "http://openquake.org/xmlns/nrml/0.5"}
    root = ET.parse(path).getroot()
    for node in root.iterfind(".//n:vulnerabilityFunction", ns):
        if node.get("id") == vf_id:
            imls = node.find("n:imls", ns)
            return VulnerabilityFunction(
                id=vf_id, imt=imls.get("imt"), dist=node.get("dist"),
                imls=np.array(imls.text.split(), dtype=float),
                mean_lrs=np.array(node.find("n:meanLRs", ns).text.split(), dtype=float),
                covs=np.array(node.find("n:covLRs", ns).text.split(), dtype=float))
    raise KeyError(vf_id)


def read_cost(path, asset_id):
    ns = {"n": "http://openquake.org/xmlns/nrml/0.4"}
    for asset in ET.parse(path).getroot().iterfind(".//n:asset", ns):
        if asset.get("id") == asset_id:
            cost = asset.find("n:costs/n:cost", ns)
            return (asset.get("taxonomy"), float(cost.get("value")),
                    float(cost.get("deductible")), float(cost.get("insuranceLimit")))
    raise KeyError(asset_id)


@pytest.fixture
def qa_case_1(shared_dir):
    case = shared_dir / "reference" / "openquake" / "qa" / "scenario_risk" / "case_1"
    taxonomy, value, deductible, limit = read_cost(case / "exposure_model.xml", "a2")
    vf = read_vulnerability(case / "vulnerability.xml", taxonomy)
    rows = read_csv(case / "gmf_scenario.csv")
    eids = np.array([int(r["eid"]) for r in rows])
    gmv = np.zeros(eids.max() + 1)
    gmv[eids] = [float(r["gmv_PGA"]) for r in rows]
    assert {r["sid"] for r in rows} == {"0"}          # a2 is the only site with hazard
    ini = configparser.ConfigParser()
    ini.read(case / "job_risk.ini")
    minimum = json.loads(ini["general"]["minimum_asset_loss"])["structural"]
    lr = sample_loss_ratios(vf, gmv[None, :], np.random.default_rng(42))
    losses = asset_losses(lr, [value])
    return case, losses, minimum, deductible, limit


@pytest.mark.shared
def test_openquake_qa_scenario_risk_case_1_event_losses(qa_case_1):
    case, losses, minimum, _, _ = qa_case_1
    assert minimum == 200.0
    elt = event_loss_table(apply_minimum_loss(losses, minimum))
    expected = {int(r["event_id"]): float(r["loss"])
                for r in read_csv(case / "expected" / "risk_by_event.csv")}
    assert set(np.flatnonzero(elt)) == set(expected)         # event 7 (198.58) is dropped
    for eid, loss in expected.items():
        assert elt[eid] == pytest.approx(loss, rel=1e-5), eid
    agg = read_csv(case / "expected" / "agg.csv")[0]
    assert average_losses(elt) == pytest.approx(float(agg["loss_value"]), rel=1e-5)
    assert average_losses(elt) / 2000.0 == pytest.approx(float(agg["loss_ratio"]), rel=1e-5)


@pytest.mark.shared
def test_openquake_qa_scenario_risk_case_1_asset_and_insured_losses(qa_case_1):
    # These expected files come from OpenQuake 3.13, where the per-asset statistics were
    # computed before the minimum_asset_loss filter: all 10 events count.
    case, losses, _, deductible, limit = qa_case_1
    loss = read_csv(case / "expected" / "asset-loss.csv")[0]
    assert average_losses(losses)[0] == pytest.approx(float(loss["Mean"]), rel=1e-7)
    assert loss_stddev(losses)[0] == pytest.approx(float(loss["Standard Deviation"]), rel=1e-7)
    ins = insured_losses(losses, 2000.0, deductible, limit)
    expected = read_csv(case / "expected" / "asset-ins.csv")[0]
    assert average_losses(ins)[0] == pytest.approx(float(expected["Mean"]), rel=1e-7)
    assert loss_stddev(ins)[0] == pytest.approx(float(expected["Standard Deviation"]), rel=1e-7)
