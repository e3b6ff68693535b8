"""MMI is modelled in intensity units (normal), not in ln units: hazard and fields."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gmf import sample_gmfs
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import PGA, from_string, model_levels
from toolkit.engine.hazard.kernel import HazardSpec, compute_rates
from toolkit.engine.hazard.mfd import ArbitraryMFD
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import PointSource

MMI = from_string("MMI")
MEAN_MMI, SIGMA_MMI = 6.0, 0.8
MEAN_LN_PGA, SIGMA_LN_PGA = np.log(0.1), 0.6


class IntensityModel(GMPE):
    """MMI = 6 +- 0.8 (intensity units) and ln PGA = ln 0.1 +- 0.6, whatever the rupture."""

    REGISTER = False
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"MMI", "PGA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total", "Inter event", "Intra event"})
    REQUIRES_DISTANCES = frozenset({"rrup"})

    def compute(self, ctx, imts, mean, sig, tau, phi):
        for m, imt in enumerate(imts):
            mmi = imt.name == "MMI"
            mean[m] = MEAN_MMI if mmi else MEAN_LN_PGA
            sig[m] = SIGMA_MMI if mmi else SIGMA_LN_PGA
            tau[m] = sig[m] * 0.6
            phi[m] = sig[m] * 0.8


def test_model_levels_are_logs_except_for_mmi():
    assert not MMI.lognormal and PGA().lognormal
    np.testing.assert_array_equal(model_levels(MMI, [5.0, 7.0]), [5.0, 7.0])
    np.testing.assert_allclose(model_levels(PGA(), [0.1, 1.0]), np.log([0.1, 1.0]))


def test_mmi_hazard_uses_intensity_levels_as_they_are():
    src = PointSource(source_id="p", name="p", trt="Active Shallow Crust", lon=0.0, lat=0.0,
                      upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0,
                      msr=_PointMSR(), rupture_aspect_ratio=1.0,
                      mfd=ArbitraryMFD([6.0], [0.01]), nodal_planes=[(1.0, 0.0, 90.0, 0.0)],
                      hypo_depths=[(1.0, 5.0)])
    mmi_levels, pga_levels = np.array([5.0, 6.0, 7.5]), np.array([0.05, 0.1, 0.3])
    spec = HazardSpec({MMI: mmi_levels, PGA(): pga_levels}, None, maximum_distance=100.0)
    sites = SiteCollection([0.1], [0.0], vs30=[760.0])
    rates = compute_rates(src.iter_ruptures(), sites, [IntensityModel()], spec)[0, 0]
    expected_mmi = 0.01 * norm.sf((mmi_levels - MEAN_MMI) / SIGMA_MMI)
    expected_pga = 0.01 * norm.sf((np.log(pga_levels) - MEAN_LN_PGA) / SIGMA_LN_PGA)
    np.testing.assert_allclose(rates, np.concatenate([expected_mmi, expected_pga]), rtol=1e-12)


def test_mmi_fields_are_not_exponentiated():
    ctx = Context(rrup=np.array([10.0, 20.0, 30.0]))
    sample = sample_gmfs(ctx, IntensityModel(), [MMI, PGA()], 4000,
                         np.random.default_rng(7), truncation_level=None)
    mmi, pga = sample.gmv[:, :, 0], sample.gmv[:, :, 1]
    assert abs(mmi.mean() - MEAN_MMI) < 0.05 and abs(mmi.std() - SIGMA_MMI) < 0.05
    assert abs(np.log(pga).mean() - MEAN_LN_PGA) < 0.05


class _PointMSR:
    def get_median_area(self, mag, rake):
        return 1e-6
