"""OpenQuake QA scenario/case_1 and event_based/case_1 run unchanged.

Random number streams differ by design (the toolkit seeds every rupture and realization with
numpy's PCG64; OpenQuake uses its own scheme), so individual ground-motion values cannot
match. What is comparable, and compared:

* scenario/case_1: the number of fields (102), which sites get values (only the one within
  ``maximum_distance = 5`` km), the export formats, and the distribution: the mean of
  ln(PGA) of our fields and of OpenQuake's expected fields agree within a two-sample bound
  (z = 4), and both agree with BooreAtkinson2008's median for the truncated (t = 1)
  residuals;
* event_based/case_1: the ruptures (4, with Poisson multiplicities around rate x 80,000 yr),
  the hazard curve from the GMFs against OpenQuake's expected curve within the combined Monte
  Carlo error of the two runs.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from toolkit.config import Settings
from toolkit.engine.hazard.gmf import GmfWarning
from toolkit.io.jobini import JobIniWarning
from toolkit.jobs.runner import run_job
from toolkit.store import open_reader, read_oq_csv
from toolkit.store.gmf import load_gmf

Z = 4.0


def _run(job: Path, tmp_path: Path) -> tuple[int, Path, Settings]:
    settings = Settings(data_dir=tmp_path / "data")
    out = tmp_path / "out"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        calc_id = run_job(job, settings, export_dir=out, progress=False)
    categories = {w.category for w in record}
    # event_based/case_1 misspells minimum_magnitude on purpose; its GSIM (SadighEtAl1997)
    # has only a total standard deviation, which the GMF sampler reports
    assert categories <= {JobIniWarning, GmfWarning}, [str(w.message) for w in record]
    return calc_id, out, settings


def _ba08_ln_median(case: Path) -> float:
    """ln of BooreAtkinson2008's median PGA at site (0, 0) for the case's rupture."""
    from toolkit.engine.hazard.gsim.base import get_gsim
    from toolkit.engine.hazard.imt import PGA
    from toolkit.engine.hazard.kernel import build_contexts
    from toolkit.engine.hazard.sites import SiteCollection
    from toolkit.io.ruptures import read_rupture_model

    rupture = read_rupture_model(case / "rupture_model.xml", 1.0)
    sites = SiteCollection(lons=[0.0], lats=[0.0], vs30=800.0, vs30measured=True,
                                       z1pt0=100.0, z2pt5=2.5)
    gsim = get_gsim("BooreAtkinson2008")
    ctx, _, _ = build_contexts(rupture, sites, set(gsim.requires), 5.0)
    mean, _, _, _ = gsim.get_mean_and_stddevs(ctx, [PGA()])
    return float(mean[0, 0])


def test_qa_scenario_case_1(shared_dir, tmp_path):
    case = shared_dir / "reference" / "openquake" / "qa" / "scenario" / "case_1"
    calc_id, out, settings = _run(case / "job.ini", tmp_path)
    with open_reader(settings.data_dir, calc_id) as reader:
        gmf = load_gmf(reader)
    assert len(gmf.events) == 102
    assert set(gmf.gmf_site_id.tolist()) == {0}  # sites 0.1 and 0.2 deg away are > 5 km
    ours = np.log(gmf.gmf_gmv[:, 0].astype(float))
    _, expected = read_oq_csv(case / "BooreAtkinson2008_gmf.csv")
    assert set(expected["custom_site_id"]) == {"7zzzzzzz"}
    theirs = np.log(expected["gmv_PGA"].to_numpy(float))
    assert len(theirs) == len(ours) == 102
    bound = Z * np.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    assert abs(ours.mean() - theirs.mean()) <= bound
    # both are centred on the GSIM's median (the truncation at 1 sigma is symmetric)
    ln_median = _ba08_ln_median(case)
    for sample in (ours, theirs):
        assert abs(sample.mean() - ln_median) <= Z * sample.std(ddof=1) / np.sqrt(len(sample))
    # exports: the same files and headers as OpenQuake's export of this job (calc_6)
    sample = shared_dir / "reference" / "openquake" / "cli-exports" / "calc_6"
    for name in ("gmf-data", "events", "sitemesh", "avg_gmf", "sigma_epsilon"):
        ours_file = out / f"{name}_{calc_id}.csv"
        theirs_file = sample / f"{name}_6.csv"
        assert ours_file.exists(), name
        assert ours_file.read_bytes().split(b"\r\n")[1] == theirs_file.read_bytes().split(
            b"\r\n")[1], name
        assert len(ours_file.read_bytes().split(b"\r\n")) == len(
            theirs_file.read_bytes().split(b"\r\n")), name


def test_qa_scenario_case_1_truncation_bounds_the_residuals(shared_dir, tmp_path):
    case = shared_dir / "reference" / "openquake" / "qa" / "scenario" / "case_1"
    calc_id, _, settings = _run(case / "job.ini", tmp_path)
    with open_reader(settings.data_dir, calc_id) as reader:
        gmf = load_gmf(reader)
    # truncation_level = 1: inter-event epsilons within [-1, 1]
    assert np.all(np.abs(gmf.eps_inter) <= 1.0 + 1e-12)
    # sample standard deviation of a standard normal truncated at 1 is 0.5396
    tn_std = stats.truncnorm(-1, 1).std()
    n = len(gmf.eps_inter)
    low, high = (np.sqrt(stats.chi2.ppf([0.0005, 0.9995], n - 1) / (n - 1)) * tn_std)
    assert low <= gmf.eps_inter[:, 0].std(ddof=1) <= high


def test_qa_event_based_case_1(shared_dir, tmp_path):
    case = shared_dir / "reference" / "openquake" / "qa" / "event_based" / "case_1"
    calc_id, out, settings = _run(case / "job.ini", tmp_path)
    with open_reader(settings.data_dir, calc_id) as reader:
        gmf = load_gmf(reader)
    eff_time = 80_000.0
    # four ruptures: M5.0 and M5.1 (rates 1.0, 1.5) at depths 4 and 5 km (0.6, 0.4)
    assert len(gmf.ruptures) == 4
    expected_mult = {(5.0, 4.0): 0.6, (5.0, 5.0): 0.4, (5.1, 4.0): 0.9, (5.1, 5.0): 0.6}
    for row in gmf.ruptures:
        mean = expected_mult[round(float(row["mag"]), 1), round(float(row["centroid_depth"]),
                                                                 1)] * eff_time
        assert abs(int(row["multiplicity"]) - mean) <= Z * np.sqrt(mean)
    assert len(gmf.events) == int(gmf.ruptures["multiplicity"].sum())
    # OpenQuake's run of the same job (cli-exports/calc_5): 199,413 events and these
    # multiplicities; both samples are Poisson: two-sample bounds
    sample = shared_dir / "reference" / "openquake" / "cli-exports" / "calc_5"
    _, oq_ruptures = read_oq_csv(sample / "ruptures_5.csv")
    oq_mult = {(round(m, 1), round(d, 1)): n for m, d, n in zip(
        oq_ruptures["mag"], oq_ruptures["centroid_depth"], oq_ruptures["multiplicity"],
        strict=True)}
    for row in gmf.ruptures:
        key = (round(float(row["mag"]), 1), round(float(row["centroid_depth"]), 1))
        ours_n, theirs_n = int(row["multiplicity"]), int(oq_mult[key])
        assert abs(ours_n - theirs_n) <= Z * np.sqrt(ours_n + theirs_n), key
    assert abs(len(gmf.events) - 199_413) <= Z * np.sqrt(len(gmf.events) + 199_413)
    # the curve against OpenQuake's (both Monte Carlo: combined error)
    _, expected = read_oq_csv(case / "expected" / "hazard_curve-smltp_b1-gsimltp_b1.csv")
    theirs = expected[[c for c in expected.columns if c.startswith("poe-")]].to_numpy(float)[0]
    ours_file = out / f"hazard_curve-mean-PGA_{calc_id}.csv"
    _, table = read_oq_csv(ours_file)
    assert list(table.columns) == list(expected.columns)
    ours = table[[c for c in table.columns if c.startswith("poe-")]].to_numpy(float)[0]
    rate_ours, rate_theirs = -np.log1p(-ours), -np.log1p(-theirs)
    sd = np.sqrt((rate_ours + rate_theirs) / eff_time)
    assert np.all(np.abs(rate_ours - rate_theirs) <= Z * sd), (rate_ours, rate_theirs)
    # gmf-data drops values below minimum_intensity = 0.1
    assert gmf.gmf_gmv.min() >= 0.1
