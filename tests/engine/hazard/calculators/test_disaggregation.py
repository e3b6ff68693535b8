"""The disaggregation calculator: levels, realizations and consistency with the classical."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard import stats
from toolkit.engine.hazard.calculators import calculators
from toolkit.engine.hazard.calculators.classical import RealizationInput, SourceModelInput
from toolkit.engine.hazard.calculators.disaggregation import (
    DisaggInputs,
    DisaggregationCalculator,
    DisaggResult,
    DisaggSpec,
)
from toolkit.engine.hazard.disagg import combine_poes, marginal
from toolkit.engine.hazard.gsim.boore_2014 import BooreEtAl2014
from toolkit.engine.hazard.gsim.sadigh_1997 import SadighEtAl1997
from toolkit.engine.hazard.imt import PGA
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.mfd import EvenlyDiscretizedMFD
from toolkit.engine.hazard.msr import PointMSR
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import PointSource
from toolkit.errors import InputError

TRT = "Active Shallow Crust"
LEVELS = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8])
T = 50.0


def source(lon=0.0, lat=0.0):
    mfd = EvenlyDiscretizedMFD(5.0, 0.5, [0.05, 0.02, 0.008, 0.003])
    return PointSource(
        source_id="p", name="p", trt=TRT, lon=lon, lat=lat, upper_seismogenic_depth=0.0,
        lower_seismogenic_depth=20.0, msr=PointMSR(), rupture_aspect_ratio=1.0, mfd=mfd,
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, 8.0)])


class _Sink:
    def save(self, result):
        self.result = result


def run(spec: DisaggSpec) -> DisaggResult:
    sites = SiteCollection([0.2, 0.5], [0.0, 0.1], vs30=[800.0, 800.0])
    gsims = (SadighEtAl1997(), BooreEtAl2014())
    inputs = DisaggInputs(
        sites=sites,
        source_models=[SourceModelInput("b1", 1.0, {TRT: [source(), source(0.4, -0.2)]})],
        realizations=[RealizationInput(0, 0, {TRT: gsims[0]}, 0.6, "A~A"),
                      RealizationInput(1, 0, {TRT: gsims[1]}, 0.4, "A~B")],
        imtls={PGA(): LEVELS}, investigation_time=T, truncation_level=3.0,
        maximum_distance={"default": 100.0}, disagg=spec)
    sink = _Sink()
    DisaggregationCalculator(inputs, sink).run()
    return sink.result


def classical_poe(rlz: int, levels: np.ndarray) -> np.ndarray:
    """poe per site at per-site levels (S,), computed by the classical kernel directly."""
    gsim = (SadighEtAl1997(), BooreEtAl2014())[rlz]
    sites = SiteCollection([0.2, 0.5], [0.0, 0.1], vs30=[800.0, 800.0])
    out = []
    for s, level in enumerate(levels):
        spec = HazardSpec({PGA(): np.array([level])}, 3.0, maximum_distance=100.0)
        blocks = [b for src in (source(), source(0.4, -0.2)) for b in src.iter_ruptures()]
        rates = compute_rates(blocks, sites.subset(slice(s, s + 1)), [gsim], spec)
        out.append(1 - np.exp(-rates[0, 0, 0] * T))
    return np.array(out)


SPEC = dict(mag_bin_width=0.5, distance_bin_width=20.0, coordinate_bin_width=0.5,
            num_epsilon_bins=3)


def test_registered_as_the_disaggregation_mode():
    assert calculators.get("disaggregation") is DisaggregationCalculator


def test_poes_disagg_levels_come_from_the_mean_curve_and_bins_sum_to_the_hazard():
    res = run(DisaggSpec(poes_disagg=(0.1, 0.02), **SPEC))
    curves = res.classical.curves_rlzs  # (S, R, L)
    mean = 0.6 * curves[:, 0] + 0.4 * curves[:, 1]
    expected_levels = stats.hazard_maps(mean, LEVELS, [0.1, 0.02])
    assert np.allclose(res.levels[:, 0], expected_levels)
    assert np.all(res.poes_target == np.array([0.1, 0.02]))
    assert res.poes.shape[:4] == (2, 2, 1, 2)
    for r in range(2):
        for p in range(2):
            total = combine_poes(res.poes[:, r, 0, p].reshape(2, -1), -1)
            assert np.allclose(total, classical_poe(r, res.levels[:, 0, p]), rtol=1e-9)


def test_iml_disagg_poe_is_the_weighted_mean_and_means_are_rate_weighted():
    res = run(DisaggSpec(iml_disagg={PGA(): 0.1}, **SPEC))
    assert res.levels.shape == (2, 1, 1) and np.all(res.levels == 0.1)
    per_rlz = np.array([classical_poe(r, np.array([0.1, 0.1])) for r in range(2)])  # (R, S)
    assert np.allclose(res.poes_target[:, 0, 0], 0.6 * per_rlz[0] + 0.4 * per_rlz[1],
                       rtol=1e-9)
    # the mean magnitude is the rate-weighted mean over the magnitudes, by the classical kernel
    sites = SiteCollection([0.2, 0.5], [0.0, 0.1], vs30=[800.0, 800.0])
    spec = HazardSpec({PGA(): np.array([0.1])}, 3.0, maximum_distance=100.0)
    blocks = [b for src in (source(), source(0.4, -0.2)) for b in src.iter_ruptures()]
    for r, gsim in enumerate((SadighEtAl1997(), BooreEtAl2014())):
        by_mag = {m: compute_rates([b.take(b.mag == m) for b in blocks], sites, [gsim],
                                   spec)[0, :, 0] for m in (5.0, 5.5, 6.0, 6.5)}
        total = sum(by_mag.values())
        expected = sum(m * rate for m, rate in by_mag.items()) / total
        assert np.allclose(res.means[:, r, 0, 0, 0], expected, rtol=1e-9)
    # magnitudes on bin edges go to the lower bin, (e_k, e_k+1]: 5.0 and 5.5 share bin 0
    assert np.allclose(res.bins.mag, [5.0, 5.5, 6.0, 6.5, 7.0])
    mag_poes = marginal(res.poes[:, :, 0, 0], ("mag",))  # (S, R, M)
    assert np.all(mag_poes[..., :3] > 0) and np.all(mag_poes[..., 3] == 0)


def test_exactly_one_of_poes_and_imls():
    with pytest.raises(InputError, match="exactly one"):
        DisaggSpec(**SPEC)
    with pytest.raises(InputError, match="exactly one"):
        DisaggSpec(poes_disagg=(0.1,), iml_disagg={PGA(): 0.1}, **SPEC)
