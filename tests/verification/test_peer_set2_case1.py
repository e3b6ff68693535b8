"""PEER 2018 Set 2 Case 1: several sources, with disaggregation (Hale et al. 2018, test 2.1).

The expected values are withheld, so the demo jobs ``toolkit/demos/peer/Set2-Case1/job*.ini``
are verified from first principles, against a reference written here that shares nothing
with the engine's sources, ruptures or binning (only the SadighEtAl1997 medians, verified on
their own in the GSIM tests, through ``peer_helpers.sadigh_pga``):

* faults B and C: PEER floating ruptures (log A = M - 4, aspect ratio 2, width capped at 12 km)
  on a lattice of the job's mesh spacing, exact point-to-rectangle distances in a local frame
  centred on the site, Youngs & Coppersmith (1985) rates balanced to the slip-rate moment
  (log10 M0 = 16.05 + 1.5 M, integrated from M = 0, 0.01 bins, box density anchored 1 unit
  below the exponential part);
* the area source: the seismicity density integrated in polar coordinates around the site
  (a continuous integral, not the engine's 1 km grid) over the polygon of the source model,
  at the six hypocentral depths, point ruptures (rrup = hypocentral distance);
* untruncated lognormal ground motion; epsilon* = (ln x - mu) / sigma.

Checks: the hazard curve; at each disaggregation level, that the bins combine
(1 - prod(1 - p)) into the hazard at the level, the mean magnitude, distance (rrup) and
epsilon*, and the magnitude and distance marginals. The full demos (1 km grid, 0.01
magnitude bins) take minutes: they are marked ``slow``; the fast tests run the same jobs
coarsened through job.ini overrides (the reference is coarsened the same way where the
coarsening is not spatial).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

from . import peer_helpers as ph

pytestmark = pytest.mark.shared

CASE = ph.PEER_DEMOS / "Set2-Case1"
SITE = (-65.0, 0.0)
JOBS = {"poe0.001": "job.ini", "pga0.05": "job_pga005.ini", "pga0.35": "job_pga035.ini"}
#: coarse variant: area magnitudes in 0.1 bins, fault ruptures every 2 km, area grid 2 km
FAST = {"width_of_mfd_bin": "0.1", "rupture_mesh_spacing": "2.0",
        "area_source_discretization": "2.0"}
#: very coarse, for a quick consistency run (not compared with the reference)
COARSE = {"width_of_mfd_bin": "0.5", "rupture_mesh_spacing": "4.0",
          "area_source_discretization": "10.0"}
MU = 3e11  # dyne/cm2


# ------------------------------------------------------------------ reference model
def yc_rates(char_mag: float, moment_rate: float, b: float = 0.9, min_mag: float = 5.0,
             width: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Moment-balanced Youngs-Coppersmith rates on bins of ``width`` from M = 0 (PEER)."""
    top = char_mag + 0.25
    n = round(top / width)
    centres = (np.arange(n) + 0.5) * width
    m_prime = char_mag - 0.25
    exp_part = centres < m_prime - 1e-9
    last_exp = centres[exp_part][-1]
    weights = np.where(exp_part, 10 ** (-b * centres), 10 ** (-b * (last_exp - 1.0)))
    moment = 10 ** (16.05 + 1.5 * centres)
    rates = weights * moment_rate / np.sum(weights * moment)
    keep = centres > min_mag
    return centres[keep], rates[keep]


def te_rates(width: float) -> tuple[np.ndarray, np.ndarray]:
    """Truncated exponential, N(M >= 5) = 0.0395, b = 0.9, M 5-6.5, bins of ``width``."""
    b = 0.9
    edges = 5.0 + width * np.arange(round(1.5 / width) + 1)
    cum = 0.0395 * (10 ** (-b * (edges - 5.0)) - 10 ** (-b * 1.5)) / (1 - 10 ** (-b * 1.5))
    return (edges[:-1] + edges[1:]) / 2, -np.diff(cum)


@dataclass
class Pairs:
    """Rupture-site pairs of the reference: annual rate, magnitude, rrup, source."""

    rate: np.ndarray
    mag: np.ndarray
    rrup: np.ndarray
    source: np.ndarray


def _fault(y: float, length: float) -> ph.PlanarFault:
    return ph.PlanarFault(np.array([-length / 2, y, 0.0]), np.array([1.0, 0.0, 0.0]),
                          np.array([0.0, 0.0, 1.0]), length, 12.0, 0.0)


def fault_pairs(fault: ph.PlanarFault, mags: np.ndarray, rates: np.ndarray, spacing: float,
                code: int) -> Pairs:
    out = []
    site = np.zeros((1, 3))
    for mag, rate in zip(mags, rates, strict=True):
        length, width = ph.rupture_dimensions(10.0 ** (mag - 4.0), fault)
        s_pos, length = ph._lattice(fault.length, length, spacing)
        d_pos, width = ph._lattice(fault.width, width, spacing)
        s0, d0 = np.repeat(s_pos, len(d_pos)), np.tile(d_pos, len(s_pos))
        rrup = ph.rrup_rectangles(fault, site, s0, d0, length, width)[:, 0]
        out.append((np.full(len(rrup), rate / len(rrup)), np.full(len(rrup), mag), rrup))
    rate, mag, rrup = (np.concatenate(x) for x in zip(*out, strict=True))
    return Pairs(rate, mag, rrup, np.full(len(rate), code))


def polygon() -> np.ndarray:
    text = (CASE / "source_model.xml").read_text()
    pos = re.search(r"<gml:posList>(.*?)</gml:posList>", text, re.S).group(1)
    return np.array(pos.split(), dtype=float).reshape(-1, 2)


def area_pairs(mag_width: float, n_angles: int = 3600) -> Pairs:
    """Polar quadrature of the uniform seismicity density over the polygon, around the site."""
    poly = ph._site_projection(polygon(), np.array(SITE))
    area = ph._polygon_area(poly)
    angles = (np.arange(n_angles) + 0.5) * 2 * np.pi / n_angles
    _r_in, r_out = ph._ray_interval(poly, angles)
    edges = np.concatenate([np.arange(0.0, 20.0, 0.05), np.arange(20.0, r_out.max() + 0.25,
                                                                  0.25)])
    r = (edges[:-1] + edges[1:]) / 2
    inside = np.clip((r_out[None, :] - edges[:-1, None]) / np.diff(edges)[:, None], 0, 1)
    weight = inside.mean(axis=1) * 2 * np.pi * r * np.diff(edges) / area  # share of the rate
    mags, rates = te_rates(mag_width)
    depths = np.arange(5.0, 11.0)
    dw = np.array([0.166667] * 5 + [0.166665])
    m, rr, h = np.meshgrid(np.arange(len(mags)), np.arange(len(r)), np.arange(6), indexing="ij")
    m, rr, h = m.ravel(), rr.ravel(), h.ravel()
    return Pairs(rates[m] * weight[rr] * dw[h], mags[m], np.hypot(r[rr], depths[h]),
                 np.zeros(len(m), int))


def reference(spacing: float, area_mag_width: float) -> Pairs:
    parts = [area_pairs(area_mag_width),
             fault_pairs(_fault(0.44966 * ph.KM_PER_DEGREE, 85.0), *yc_rates(6.75, MU * 85e5
                         * 12e5 * 0.2), spacing, 1),
             fault_pairs(_fault(-0.22483 * ph.KM_PER_DEGREE, 50.0), *yc_rates(6.5, MU * 50e5
                         * 12e5 * 0.1), spacing, 2)]
    return Pairs(*(np.concatenate([getattr(p, f) for p in parts])
                   for f in ("rate", "mag", "rrup", "source")))


def exceedance(pairs: Pairs, iml: float) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: annual exceedance rate at ``iml`` and epsilon*."""
    ln_med, sig = ph.sadigh_pga(pairs.mag, pairs.rrup, 0.0)
    eps = (math.log(iml) - ln_med) / sig
    return pairs.rate * ndtr(-eps), eps


# ------------------------------------------------------------------ engine runs
@dataclass
class Run:
    curve: np.ndarray  # annual poes at ph IMLs
    iml: float
    poe: float
    means: np.ndarray  # mag, rrup, eps*
    mde: object  # Mag_Dist_Eps table


_RUNS: dict = {}


def run_job(key: str, tmp_path: Path, overrides: dict[str, str] | None) -> Run:
    from toolkit.config import Settings
    from toolkit.jobs.runner import run_job as run
    from toolkit.store import read_oq_csv

    cache = (key, tuple(sorted((overrides or {}).items())))
    if cache in _RUNS:
        return _RUNS[cache]
    out = tmp_path / "out"
    calc_id = run(CASE / JOBS[key], Settings(data_dir=tmp_path / "data"), export_dir=out,
                  progress=False, overrides=overrides)
    _m, curve = read_oq_csv(out / f"hazard_curve-mean-PGA_{calc_id}.csv")
    _m, means = read_oq_csv(out / f"disagg-means-0_{calc_id}.csv")
    _m, mde = read_oq_csv(out / f"Mag_Dist_Eps-0_{calc_id}.csv")
    cols = [c for c in curve.columns if c.startswith("poe-")]
    result = Run(curve[cols].to_numpy(float)[0], float(means["iml"].iloc[0]),
                 float(means["poe"].iloc[0]),
                 means[["mean_mag", "mean_rrup", "mean_eps"]].to_numpy(float)[0], mde)
    _RUNS[cache] = result
    return result


def check(run: Run, pairs: Pairs, report: dict) -> None:
    imls = np.array([0.001, 0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55,
                     0.6, 0.7, 0.8, 0.9, 1.0])
    ref_curve = np.array([1 - math.exp(-exceedance(pairs, x)[0].sum()) for x in imls])
    mismatches = ph.curve_mismatches(run.curve[None], ref_curve[None], imls, step=False)
    report["curve_max_rel"] = ph.max_relative_error(run.curve[None], ref_curve[None])
    assert not mismatches, mismatches
    # the bins combine into the hazard at the level
    total = 1 - np.prod(1 - run.mde["rlz0"].to_numpy())
    rate, eps = exceedance(pairs, run.iml)
    ref_poe = 1 - math.exp(-rate.sum())
    report["total_vs_ref"] = total / ref_poe - 1
    assert abs(total / ref_poe - 1) < ph.REL_TOL
    if run.iml in imls:  # the bins sum exactly to the engine's own curve
        k = int(np.flatnonzero(imls == run.iml)[0])
        assert abs(total / run.curve[k] - 1) < 1e-4
        assert abs(run.poe / run.curve[k] - 1) < 1e-5
    # mean M, R (rrup), epsilon*: rate-weighted over the exceeding pairs
    ref_means = np.array([np.sum(rate * pairs.mag), np.sum(rate * pairs.rrup),
                          np.sum(rate * eps)]) / rate.sum()
    report["means"] = run.means
    report["ref_means"] = ref_means
    assert abs(run.means[0] - ref_means[0]) < 0.02
    assert abs(run.means[1] / ref_means[1] - 1) < ph.REL_TOL
    assert abs(run.means[2] - ref_means[2]) < 0.05
    # the magnitude and distance marginals (bins with 1 % of the hazard or more)
    t = run.mde
    for col, values, edges in (("mag", pairs.mag, np.linspace(5.0, 7.0, 21)),
                               ("dist", pairs.rrup, np.array([0, 20, 40, 60, 80, 100, 1000.]))):
        got = t.groupby(col)["rlz0"].apply(lambda p: -np.log1p(-p.to_numpy()).sum()).to_numpy()
        index = np.clip(np.searchsorted(edges, values, side="left") - 1, 0, len(edges) - 2)
        want = np.bincount(index, weights=rate, minlength=len(edges) - 1)
        big = want > 0.01 * want.sum()
        rel = np.abs(got[big] / want[big] - 1)
        report[f"{col}_max_rel"] = rel.max()
        assert rel.max() < ph.REL_TOL, (col, got, want)


# ------------------------------------------------------------------ tests
def test_reference_rates_follow_the_definitions():
    # fault B moment rate 3e11 x 85e5 x 12e5 x 0.2 = 6.12e23 dyne-cm/yr, recovered from M = 0
    mags, rates = yc_rates(6.75, MU * 85e5 * 12e5 * 0.2, min_mag=0.0)
    assert math.isclose(np.sum(rates * 10 ** (16.05 + 1.5 * mags)), 6.12e23, rel_tol=1e-12)
    assert math.isclose(mags.max(), 6.995) and len(mags) == 700
    # the box (6.5-7.0) has a constant rate per bin
    box = rates[mags > 6.5]
    assert np.allclose(box, box[0]) and len(box) == 50
    mags, rates = te_rates(0.01)
    assert math.isclose(rates.sum(), 0.0395, rel_tol=1e-12) and len(mags) == 150
    pairs = area_pairs(0.1)
    assert math.isclose(pairs.rate.sum(), 0.0395, rel_tol=2e-3)  # polygon covered


def test_coarse_run_bins_sum_to_its_own_curve(tmp_path):
    """Internal consistency on a very coarse run: the Mag_Dist_Eps bins combine into the
    curve's value at the level, the poe column is that value, the means are in range."""
    run = run_job("pga0.35", tmp_path, COARSE)
    k = 8  # 0.35 g is the 9th level of the 18
    total = 1 - np.prod(1 - run.mde["rlz0"].to_numpy())
    assert run.curve[k] > 0
    assert abs(total / run.curve[k] - 1) < 1e-4
    assert abs(run.poe / run.curve[k] - 1) < 1e-5
    assert len(run.mde) == 20 * 6 * 5
    assert 5.0 < run.means[0] < 7.0 and 0 < run.means[1] < 1000 and run.means[2] > 0


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(JOBS))
def test_set2_case1_fast_variant(key, shared_dir, tmp_path):
    run = run_job(key, tmp_path, FAST)
    report: dict = {}
    check(run, reference(spacing=2.0, area_mag_width=0.1), report)


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(JOBS))
def test_set2_case1_demo(key, shared_dir, tmp_path):
    run = run_job(key, tmp_path, None)
    report: dict = {}
    check(run, reference(spacing=1.0, area_mag_width=0.01), report)
