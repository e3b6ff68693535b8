"""Scenario damage: expected and sampled damage distributions, modal state, consequences."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from toolkit.engine.risk.damage import consequences, modal_damage_state, scenario_damage
from toolkit.engine.risk.fragility import damage_state_probs, limit_state_poes
from toolkit.engine.risk.models import FragilityFunction
from toolkit.errors import InputError


def ff():
    return FragilityFunction(
        id="RC", imt="PGA", limit_states=["LS1", "LS2"], format="discrete",
        imls=np.array([0.1, 0.2, 0.3, 0.5]),
        poes=np.array([[0.0073, 0.35, 0.74, 0.99], [0.001, 0.02, 0.25, 0.72]]),
        no_damage_limit=0.0)


def test_single_asset_deterministic_gmf_gives_the_fragility_probabilities():
    # PGA 0.25 is halfway between 0.2 and 0.3: P(LS1) = 0.545, P(LS2) = 0.135
    dmg = scenario_damage(ff(), np.full((1, 3), 0.25), [1.0])
    assert dmg.shape == (1, 3, 3)
    assert np.allclose(dmg, [0.455, 0.41, 0.135], rtol=0, atol=1e-15)
    dmg = scenario_damage(ff(), [[0.6]], [2000.0])    # above the last level: clipped
    assert np.allclose(dmg, [[[20.0, 540.0, 1440.0]]], rtol=1e-13)


def test_expected_damage_conserves_the_number_of_buildings():
    rng = np.random.default_rng(2)
    imls = rng.lognormal(np.log(0.25), 0.8, size=(30, 40))
    number = rng.uniform(0.5, 300.0, size=30)
    dmg = scenario_damage(ff(), imls, number)
    assert np.allclose(dmg.sum(axis=-1), number[:, None], rtol=1e-13)
    assert np.all(dmg >= 0)


def test_discrete_damage_is_integer_and_conserves_exactly():
    rng = np.random.default_rng(3)
    imls = rng.lognormal(np.log(0.25), 0.8, size=(20, 50))
    number = rng.integers(0, 500, size=20).astype(float)
    dmg = scenario_damage(ff(), imls, number, rng=rng, discrete=True)
    assert dmg.dtype.kind == "i"
    assert np.array_equal(dmg.sum(axis=-1), np.broadcast_to(number[:, None], (20, 50)))


def test_discrete_damage_converges_to_the_expected_fractions():
    n_events, number = 4000, 50
    imls = np.full((1, n_events), 0.25)
    dmg = scenario_damage(ff(), imls, [number], rng=np.random.default_rng(4), discrete=True)
    p = np.array([0.455, 0.41, 0.135])
    mean = dmg[0].mean(axis=0)
    se = np.sqrt(number * p * (1 - p) / n_events)
    assert np.all(np.abs(mean - number * p) < 5 * se)


def test_discrete_damage_needs_integers_and_a_generator():
    with pytest.raises(InputError, match=r"asset index 1 \(taxonomy 'RC'\) has number=2.5"):
        scenario_damage(ff(), np.full((2, 1), 0.3), [3.0, 2.5], rng=np.random.default_rng(),
                        discrete=True)
    with pytest.raises(InputError, match="random generator"):
        scenario_damage(ff(), np.full((2, 1), 0.3), [3.0, 2.0], discrete=True)
    with pytest.raises(InputError, match="shape"):
        scenario_damage(ff(), np.full((2, 1), 0.3), [3.0])


def test_modal_damage_state_and_consequences():
    dmg = np.array([[[8.0, 1.0, 1.0], [6.0, 3.0, 1.0]],     # mean [7, 2, 1] -> 0
                    [[0.0, 1.0, 3.0], [0.0, 3.0, 0.0]]])   # mean [0, 2, 1.5] -> 1
    assert np.array_equal(modal_damage_state(dmg), [0, 1])
    cost = consequences(dmg, [10.0, 4.0], [0.25, 1.0], [1000.0, 400.0])
    # asset 0, event 0: 1000 * (0.1 * 0.25 + 0.1 * 1.0) = 125
    assert np.allclose(cost, [[125.0, 175.0], [400 * (0.25 * 0.25 + 0.75), 400 * 0.75 * 0.25]])
    assert np.array_equal(consequences(dmg, [0.0, 4.0], [0.25, 1.0], [1.0, 1.0])[0], [0, 0])


# --- OpenQuake QA scenario_damage/case_1 ----------------------------------------------------

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(line for line in f if not line.startswith("#"))]


def read_fragility(path):
    ns = {"n": "http://openquake.org/xmlns/nrml/0.5"}
    root = ET.parse(path).getroot()
    states = root.find(".//n:limitStates", ns).text.split()
    out = {}
    for node in root.iterfind(".//n:fragilityFunction", ns):
        imls = node.find("n:imls", ns)
        out[node.get("id")] = FragilityFunction(
            id=node.get("id"), imt=imls.get("imt"), limit_states=states, format="discrete",
            imls=np.array(imls.text.split(), dtype=float),
            poes=np.array([p.text.split() for p in node.iterfind("n:poes", ns)], dtype=float),
            no_damage_limit=float(imls.get("noDamageLimit")))
    return out


def read_assets(path):
    ns = {"n": "http://openquake.org/xmlns/nrml/0.4"}
    out = []
    for a in ET.parse(path).getroot().iterfind(".//n:asset", ns):
        loc = a.find("n:location", ns)
        out.append((a.get("id"), a.get("taxonomy"), float(a.get("number")),
                    (float(loc.get("lon")), float(loc.get("lat")))))
    return out


@pytest.mark.shared
def test_openquake_qa_scenario_damage_case_1(shared_dir):
    """Modal damage states and sampled totals of OpenQuake QA scenario_damage/case_1.

    The job uses ``discrete_damage_distribution = true`` with one event: OpenQuake's totals
    (aggrisk) are one multinomial sample per asset, checked against our expected numbers
    within 3 standard deviations; the modal damage states must agree exactly.
    """
    case = shared_dir / "reference" / "openquake" / "qa" / "scenario_damage" / "case_1"
    run = shared_dir / "reference" / "openquake" / "cli-exports" / "calc_7"
    functions = read_fragility(case / "fragility_discrete.xml")
    sites = {r["custom_site_id"]: (float(r["lon"]), float(r["lat"]))
             for r in read_csv(run / "sitemesh_7.csv")}
    gmv = {sites[r["custom_site_id"]]: float(r["gmv_PGA"])
           for r in read_csv(run / "gmf-data_7.csv")}
    states = ["no_damage"] + functions["RC"].limit_states
    expected_modal = {r["asset_id"]: r["modal-ds-structural"]
                      for r in read_csv(case / "expected" / "dmg_by_asset.csv")}
    total = np.zeros(3)
    variance = np.zeros(3)
    for asset_id, taxonomy, number, location in read_assets(case / "exposure_model.xml"):
        dmg = scenario_damage(functions[taxonomy], [[gmv[location]]], [number])
        assert states[modal_damage_state(dmg)[0]] == expected_modal[asset_id], asset_id
        p = damage_state_probs(limit_state_poes(functions[taxonomy], gmv[location]))
        total += dmg[0, 0]
        variance += number * p * (1 - p)
    oq = read_csv(run / "aggrisk-_7.csv")[0]
    sampled = np.array([float(oq[s]) for s in states])
    assert sampled.sum() == 6000
    assert total.sum() == pytest.approx(6000, rel=1e-13)
    assert np.all(np.abs(sampled - total) < 3 * np.sqrt(variance)), (sampled, total)
