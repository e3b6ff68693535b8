"""Event-based hazard curves converge to the classical curves (PEER Set 1 Cases 2 and 10).

The demo jobs of the two PEER cases are run twice on the same (coarsened, for speed) source
model: once classical, once event based with a long effective time T N. The number of events
exceeding a level x at a site is Poisson distributed with mean lambda(x) T N, where lambda is
the classical annual rate (a thinned Poisson process), so each count must lie within
z sqrt(lambda T N) of lambda T N; z = 4.5 makes a false alarm over the ~200 compared points
less likely than 1e-3 (Bonferroni). Points with fewer than 20 expected events are not compared.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from toolkit.config import Settings
from toolkit.engine.hazard.gmf import GmfWarning
from toolkit.jobs.runner import run_job
from toolkit.store import open_reader
from toolkit.store.gmf import load_gmf
from toolkit.store.hazard import load_hazard

PEER = Path(__file__).resolve().parents[2] / "toolkit" / "demos" / "peer"
Z = 4.5
MIN_EXPECTED = 20


def _job(case: str, tmp_path: Path, mode: str, overrides: dict[str, str]) -> Path:
    """The demo job of ``case`` with absolute input paths and some keys replaced."""
    text = (PEER / case / "job.ini").read_text()
    for key in ("sites_csv", "source_model_logic_tree_file", "gsim_logic_tree_file"):
        text = re.sub(rf"^{key}\s*=\s*(\S+)", lambda m, k=key: f"{k} = {PEER / case / m[1]}",
                      text, flags=re.M)
    overrides = {"calculation_mode": mode, **overrides}
    for key, value in overrides.items():
        text, n = re.subn(rf"^{key}\s*=.*$", f"{key} = {value}", text, flags=re.M)
        if n == 0:
            text += f"\n{key} = {value}\n"
    path = tmp_path / f"{mode}.ini"
    path.write_text(text)
    return path


def _compare(case: str, tmp_path: Path, overrides: dict[str, str], ses: int) -> int:
    settings = Settings(data_dir=tmp_path / "data")
    classical_id = run_job(_job(case, tmp_path, "classical", overrides), settings,
                           progress=False)
    with warnings.catch_warnings():
        # SadighEtAl1997 has only a total sigma: the sampler says so (tested in test_gmf)
        warnings.simplefilter("ignore", GmfWarning)
        eb_id = run_job(_job(case, tmp_path, "event_based", {
            **overrides, "ses_per_logic_tree_path": str(ses),
            "hazard_curves_from_gmfs": "true", "ses_seed": "7"}), settings, progress=False)
    with open_reader(settings.data_dir, classical_id) as reader:
        classical = load_hazard(reader)
    with open_reader(settings.data_dir, eb_id) as reader:
        eb = load_gmf(reader)
    assert eb.curves is not None
    eff_time = eb.investigation_time * ses
    rate = -np.log1p(-np.clip(classical.curves_rlzs[:, 0], 0, 1 - 1e-16))  # annual rates
    count = -np.log1p(-np.clip(eb.curves.curves_rlzs[:, 0], 0, 1 - 1e-16)) * eff_time
    expected = rate * eff_time
    compared = expected >= MIN_EXPECTED
    assert compared.sum() > 20
    z = (count[compared] - expected[compared]) / np.sqrt(expected[compared])
    assert np.all(np.abs(z) <= Z), f"{case}: max |z| = {np.abs(z).max():.2f}"
    print(f"{case}: {compared.sum()} points, max |z| = {np.abs(z).max():.2f}")
    # and the counts are integers: the curves really come from counted events
    assert np.allclose(count, np.round(count), atol=1e-6 * max(1, count.max()))
    return int(compared.sum())


def test_peer_set1_case2_event_based_converges_to_classical(tmp_path):
    # sigma = 0: the GMFs are the medians; 1 km mesh keeps the run short
    n = _compare("Set1-Case2", tmp_path, {"rupture_mesh_spacing": "1.0"}, ses=20_000)
    assert n >= 20


def test_peer_set1_case10_event_based_converges_to_classical(tmp_path):
    # untruncated lognormal variability; a 5 km area grid and 0.1 magnitude bins
    n = _compare("Set1-Case10", tmp_path, {"area_source_discretization": "5.0",
                                           "width_of_mfd_bin": "0.1"}, ses=500_000)
    assert n >= 20


def test_event_based_results_do_not_depend_on_the_executor(tmp_path):
    from toolkit.engine.executor import get_executor
    from toolkit.engine.hazard.calculators.event_based import EventBasedCalculator
    from toolkit.io.inputs import build_inputs, load_job

    job = _job("Set1-Case10", tmp_path, "event_based", {
        "area_source_discretization": "10.0", "width_of_mfd_bin": "0.2",
        "ses_per_logic_tree_path": "2000", "hazard_curves_from_gmfs": "true"})
    results = []
    for name, workers in (("serial", 1), ("processpool", 2)):
        inputs = build_inputs(load_job(job))
        inputs.ruptures_per_task = 200  # several tasks
        with get_executor(name, workers) as executor, warnings.catch_warnings():
            warnings.simplefilter("ignore", GmfWarning)
            calc = EventBasedCalculator(inputs, _Sink(), executor)
            calc.run()
        assert len(calc.tasks) > 2
        results.append(calc.writer.result)
    a, b = results
    assert len(a.events) > 0
    np.testing.assert_array_equal(a.events, b.events)
    np.testing.assert_array_equal(a.ruptures, b.ruptures)
    np.testing.assert_array_equal(a.gmfs.gmv, b.gmfs.gmv)
    np.testing.assert_array_equal(a.gmfs.site, b.gmfs.site)
    np.testing.assert_array_equal(a.curves.curves_rlzs, b.curves.curves_rlzs)


class _Sink:
    result = None

    def save(self, result):
        self.result = result
