"""``minimum_distance``: distances below the floor are raised to it before the GSIMs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from toolkit.engine.hazard.calculators.classical import ClassicalInputs
from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.kernel import HazardSpec, build_contexts, compute_rates
from toolkit.engine.hazard.mfd import EvenlyDiscretizedMFD
from toolkit.engine.hazard.min_distance import DISTANCE_NAMES, apply_minimum_distance
from toolkit.engine.hazard.msr import PointMSR
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import PointSource
from toolkit.errors import InputError

LEVELS = np.array([0.01, 0.05, 0.1, 0.2, 0.4, 0.8])
RATE = 0.02
DEPTH = 8.0


def point_source() -> PointSource:
    """One M6 point-like rupture (a 10 m square) 8 km below (0, 0)."""
    return PointSource(
        source_id="p", name="p", trt="Active Shallow Crust", lon=0.0, lat=0.0,
        upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0, msr=PointMSR(),
        rupture_aspect_ratio=1.0, mfd=EvenlyDiscretizedMFD(6.0, 0.1, [RATE]),
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, DEPTH)],
    )


def test_floor_raises_every_distance_below_it_and_keeps_the_rest():
    arrays = {"rrup": np.array([1.0, 10.0]), "rjb": np.array([0.0, 8.0]),
              "rx": np.array([-3.0, 20.0]), "ry0": np.array([0.0, 5.0]),
              "rhypo": np.array([2.0, 12.0]), "repi": np.array([0.5, 11.0]),
              "mag": np.array([3.0, 4.0]), "ztor": np.array([0.0, 2.0])}
    rrup_in = arrays["rrup"]
    apply_minimum_distance(arrays, 5.0)
    expected = {"rrup": [5, 10], "rjb": [5, 8], "rx": [5, 20], "ry0": [5, 5],
                "rhypo": [5, 12], "repi": [5, 11], "mag": [3, 4], "ztor": [0, 2]}
    for name, values in expected.items():
        assert arrays[name].tolist() == values, name
    assert rrup_in.tolist() == [1.0, 10.0]  # the input array is not modified
    assert set(DISTANCE_NAMES) == {"rrup", "rjb", "rx", "ry0", "rhypo", "repi"}


def test_zero_floor_changes_nothing_and_negative_floor_is_refused():
    arrays = {"rrup": np.array([0.0, 3.0])}
    apply_minimum_distance(arrays, 0.0)
    assert arrays["rrup"].tolist() == [0.0, 3.0]
    with pytest.raises(InputError, match="minimum_distance"):
        apply_minimum_distance(arrays, -1.0)
    with pytest.raises(InputError, match="minimum_distance"):
        apply_minimum_distance(arrays, float("nan"))


def test_build_contexts_floors_near_pairs_only():
    block = next(iter(point_source().iter_ruptures()))
    sites = SiteCollection([0.0, 0.3], [0.0, 0.0], vs30=[800.0, 800.0])
    required = {"rrup", "rjb", "rhypo", "repi"}
    ctx0, _, sid0 = build_contexts(block, sites, required, 300.0)
    ctx, _, sid = build_contexts(block, sites, required, 300.0, minimum_distance=20.0)
    assert sid.tolist() == sid0.tolist() == [0, 1]
    # site 0 is above the rupture: rrup ~ 8 km, rjb ~ 0 -> raised to 20
    assert ctx0.rrup[0] == pytest.approx(DEPTH, abs=0.01) and ctx0.rjb[0] < 0.01
    for name in sorted(required):
        assert getattr(ctx, name)[0] == 20.0, name
        # site 1 is 33 km away: every distance is above the floor and unchanged
        assert getattr(ctx, name)[1] == getattr(ctx0, name)[1] > 20.0, name


def test_maximum_distance_filter_uses_the_true_distance():
    block = next(iter(point_source().iter_ruptures()))
    sites = SiteCollection([0.0], [0.0], vs30=[800.0])
    # rrup ~ 8 km is within 10 km even though the floored distance (50 km) is not
    built = build_contexts(block, sites, {"rrup"}, 10.0, minimum_distance=50.0)
    assert built is not None and built[0].rrup.tolist() == [50.0]


def test_hazard_at_a_near_site_is_the_hazard_at_the_floor_distance():
    """Rate of exceedance = RATE * P(Y > level | M6, rrup = floor), computed by hand from
    Sadigh et al. (1997)'s mean and sigma at the floor distance."""
    floor = 15.0
    sites = SiteCollection([0.0], [0.0], vs30=[800.0])  # true rrup ~ 8 km
    gsim = SadighEtAl1997()
    spec = HazardSpec({PGA(): LEVELS}, None, maximum_distance=300.0, minimum_distance=floor)
    rates = compute_rates(point_source().iter_ruptures(), sites, [gsim], spec)
    ctx = Context(mag=np.array([6.0]), rake=np.array([0.0]), rrup=np.array([floor]),
                  rjb=np.array([floor]), vs30=np.array([800.0]))
    mean, sig, _, _ = gsim.get_mean_and_stddevs(ctx, [PGA()])
    expected = RATE * norm.sf((np.log(LEVELS) - mean[0, 0]) / sig[0, 0])
    np.testing.assert_allclose(rates[0, 0], expected, rtol=1e-9)
    unfloored = compute_rates(point_source().iter_ruptures(), sites, [gsim],
                              HazardSpec({PGA(): LEVELS}, None, maximum_distance=300.0))
    assert np.all(unfloored[0, 0] > rates[0, 0])  # nearer -> more hazard


def test_classical_inputs_pass_the_floor_to_the_spec():
    inp = ClassicalInputs(sites=SiteCollection([0.0], [0.0], vs30=[800.0]), source_models=[],
                          realizations=[], imtls={PGA(): LEVELS}, investigation_time=1.0,
                          truncation_level=None, minimum_distance=5.0)
    assert inp.spec_for("Active Shallow Crust").minimum_distance == 5.0
    assert HazardSpec({PGA(): LEVELS}, None).minimum_distance == 0.0


def test_scenario_contexts_apply_the_floor():
    from toolkit.engine.hazard.calculators.scenario import ScenarioCalculator, ScenarioInputs

    block = next(iter(point_source().iter_ruptures()))
    sites = SiteCollection([0.0, 0.3], [0.0, 0.0], vs30=[800.0, 800.0])
    inp = ScenarioInputs(sites=sites, rupture=block, gsims=[("b1", SadighEtAl1997(), 1.0)],
                         imts=[PGA()], number_of_ground_motion_fields=2, minimum_distance=20.0)
    calc = ScenarioCalculator(inp, writer=None)
    calc.prepare()
    ctx = calc.built[0]
    assert ctx.rrup[0] == 20.0 and ctx.rrup[1] > 30.0
