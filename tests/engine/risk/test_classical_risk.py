"""Classical risk (loss curves) and classical damage from hazard curves, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from toolkit.engine.risk.classical import (
    average_loss,
    bin_edges,
    classical_damage,
    classical_risk,
)
from toolkit.engine.risk.models import FragilityFunction, VulnerabilityFunction
from toolkit.errors import InputError

# a 3-level hazard curve (PoE in 50 years)
HAZ_IMLS = np.array([0.1, 0.2, 0.3])
HAZ_POES = np.array([0.5, 0.2, 0.05])


def vf(covs=(0.0, 0.0, 0.0)):
    return VulnerabilityFunction(id="V", imt="PGA", dist="LN", imls=np.array([0.1, 0.2, 0.3]),
                                 mean_lrs=np.array([0.1, 0.3, 0.6]), covs=np.array(covs))


def test_bin_edges():
    assert np.allclose(bin_edges([0.1, 0.2, 0.3]), [0.05, 0.15, 0.25, 0.35])
    assert np.allclose(bin_edges([0.1, 0.5]), [0.0, 0.3, 0.7])     # not below zero


def test_classical_risk_deterministic_vulnerability_by_hand():
    # bins around 0.1, 0.2, 0.3: edges 0.05, 0.15, 0.25, 0.35
    # PoE at the edges (linear, held outside 0.1-0.3): 0.5, 0.35, 0.125, 0.05
    # probabilities of occurrence: 0.15, 0.225, 0.075
    # cov 0: P(LR > lr | x_j) = 1 if mean_j > lr
    curve = classical_risk(vf(), HAZ_IMLS, HAZ_POES, 50.0, loss_ratios=[0.0, 0.2, 0.5, 0.7])
    assert np.allclose(curve.loss_ratios, [0.0, 0.2, 0.5, 0.7])
    assert np.allclose(curve.poes, [0.15 + 0.225 + 0.075, 0.225 + 0.075, 0.075, 0.0],
                       rtol=0, atol=1e-15)
    area = 0.2 * (0.45 + 0.3) / 2 + 0.3 * (0.3 + 0.075) / 2 + 0.2 * (0.075 + 0.0) / 2
    assert curve.average_loss_ratio == pytest.approx(area, rel=1e-14)
    assert area == pytest.approx(0.13875, rel=1e-14)


def test_classical_risk_lognormal_vulnerability_by_hand():
    covs = (0.5, 0.4, 0.3)
    curve = classical_risk(vf(covs), HAZ_IMLS, HAZ_POES, 50.0, steps=2)
    assert np.allclose(curve.loss_ratios, [0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0])
    sf = []
    for m, c in zip([0.1, 0.3, 0.6], covs, strict=True):
        s = math.sqrt(math.log(1 + c * c))
        sf.append(stats.lognorm(s, scale=m * math.exp(-s * s / 2)).sf(curve.loss_ratios))
    expected = 0.15 * sf[0] + 0.225 * sf[1] + 0.075 * sf[2]
    assert np.allclose(curve.poes, expected, rtol=1e-12, atol=1e-15)
    assert curve.poes[0] == pytest.approx(0.45, rel=1e-14)     # P(LR > 0) = P(x in the bins)


def test_classical_risk_rescales_to_the_risk_investigation_time():
    h1 = 1 - (1 - HAZ_POES) ** (1 / 50)                          # PoE in 1 year
    po = [h1[0] - (h1[0] + h1[1]) / 2, (h1[0] + h1[1]) / 2 - (h1[1] + h1[2]) / 2,
          (h1[1] + h1[2]) / 2 - h1[2]]
    curve = classical_risk(vf(), HAZ_IMLS, HAZ_POES, 50.0, loss_ratios=[0.0, 0.2, 0.5],
                           risk_investigation_time=1.0)
    assert np.allclose(curve.poes, [sum(po), po[1] + po[2], po[2]], rtol=1e-13)


def test_classical_risk_keeps_leading_site_axes():
    poes = np.stack([HAZ_POES, HAZ_POES / 2])
    curve = classical_risk(vf((0.5, 0.4, 0.3)), HAZ_IMLS, poes, 50.0)
    one = classical_risk(vf((0.5, 0.4, 0.3)), HAZ_IMLS, HAZ_POES / 2, 50.0)
    assert curve.poes.shape == (2, curve.loss_ratios.size)
    assert np.allclose(curve.poes[1], one.poes, rtol=1e-14)
    assert np.allclose(curve.average_loss_ratio[1], one.average_loss_ratio, rtol=1e-14)


def test_average_loss_is_the_trapezoidal_area():
    assert average_loss([0.0, 1.0, 3.0], [1.0, 0.5, 0.0]) == pytest.approx(0.75 + 0.5)


def ff():
    return FragilityFunction(
        id="RC", imt="PGA", limit_states=["LS1", "LS2"], format="discrete",
        imls=np.array([0.1, 0.2, 0.3, 0.5]),
        poes=np.array([[0.0073, 0.35, 0.74, 0.99], [0.001, 0.02, 0.25, 0.72]]),
        no_damage_limit=0.0)


@pytest.mark.parametrize("t_risk", [50.0, 1.0])
def test_classical_damage_by_hand(t_risk):
    lam = [-math.log(1 - 0.5) / 50, -math.log(1 - 0.2) / 50, -math.log(1 - 0.05) / 50]
    # rates of occurrence attributed to 0.1, 0.2, 0.3 (bins edged by mean rates)
    nu = [(lam[0] - lam[1]) / 2, (lam[0] - lam[2]) / 2, (lam[1] - lam[2]) / 2]
    rate_ls1 = nu[0] * 0.0073 + nu[1] * 0.35 + nu[2] * 0.74
    rate_ls2 = nu[0] * 0.001 + nu[1] * 0.02 + nu[2] * 0.25
    p1 = 1 - math.exp(-rate_ls1 * t_risk)
    p2 = 1 - math.exp(-rate_ls2 * t_risk)
    probs = classical_damage(ff(), HAZ_IMLS, HAZ_POES, 50.0, t_risk)
    assert np.allclose(probs, [1 - p1, p1 - p2, p2], rtol=1e-12, atol=0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-15)


def test_classical_damage_steps_interpolate_the_hazard_curve():
    fine = classical_damage(ff(), HAZ_IMLS, HAZ_POES, 50.0, 50.0, steps_per_interval=2)
    levels = [0.1, 0.15, 0.2, 0.25, 0.3]
    poes = [0.5, 0.35, 0.2, 0.125, 0.05]
    assert np.allclose(fine, classical_damage(ff(), levels, poes, 50.0, 50.0), rtol=1e-14)
    sites = classical_damage(ff(), HAZ_IMLS, np.stack([HAZ_POES, HAZ_POES]), 50.0)
    assert sites.shape == (2, 3)


def test_classical_damage_survives_a_poe_of_one():
    probs = classical_damage(ff(), [0.01, 0.1, 0.3], [1.0, 0.5, 0.1], 50.0, 1.0)
    assert np.all(np.isfinite(probs)) and probs.sum() == pytest.approx(1.0)


def test_classical_errors():
    single = VulnerabilityFunction(id="S", imt="PGA", dist="LN", imls=np.array([0.2]),
                                   mean_lrs=np.array([0.1]), covs=np.array([0.0]))
    with pytest.raises(InputError, match="at least two"):
        classical_risk(single, HAZ_IMLS, HAZ_POES, 50.0)
    with pytest.raises(InputError, match="hazard poes have shape"):
        classical_risk(vf(), HAZ_IMLS, HAZ_POES[:2], 50.0)
    with pytest.raises(InputError, match="steps_per_interval"):
        classical_damage(ff(), HAZ_IMLS, HAZ_POES, 50.0, steps_per_interval=0)
