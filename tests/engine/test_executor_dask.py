"""The dask.distributed executor gives the serial executor's results, streams progress,
propagates task errors with their traceback and names a bad scheduler address."""

from __future__ import annotations

import subprocess
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest

from toolkit.engine.executor import SerialExecutor, get_executor
from toolkit.errors import CalculationError, InputError

distributed = pytest.importorskip("distributed")

from toolkit.engine.executor_dask import DaskExecutor, parse_address  # noqa: E402

DEMOS = Path(__file__).resolve().parents[2] / "toolkit" / "demos"

#: the classical demo made small: a coarse area grid, coarse magnitude bins, 2 site blocks
CLASSICAL = {"area_source_discretization": "25.0", "width_of_mfd_bin": "0.5",
             "rupture_mesh_spacing": "5.0"}


@pytest.fixture(scope="module")
def cluster():
    """A small in-process cluster (2 single-thread workers) reachable over TCP."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp://", dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster


@pytest.fixture
def dask_executor(cluster):
    with DaskExecutor(cluster.scheduler_address, spec="test") as executor:
        yield executor


class _Sink:
    result = None

    def save(self, result):
        self.result = result


def _classical(executor):
    from toolkit.engine.hazard.calculators.classical import ClassicalCalculator
    from toolkit.io.inputs import build_inputs, load_job

    inputs = build_inputs(load_job(DEMOS / "classical" / "job.ini", overrides=CLASSICAL))
    inputs.ruptures_per_task = 40
    inputs.site_block_size = 5
    progress: list[float] = []
    calc = ClassicalCalculator(inputs, _Sink(), executor, lambda d, t, m: progress.append(d))
    calc.run()
    return calc, progress


def test_classical_curves_are_identical_to_serial(dask_executor):
    serial, _ = _classical(SerialExecutor())
    dask, progress = _classical(dask_executor)
    assert len(serial.tasks) >= 4
    a, b = serial.writer.result, dask.writer.result
    assert a.curves_rlzs.max() > 0.01
    np.testing.assert_array_equal(a.curves_rlzs, b.curves_rlzs)
    for name in a.curves_stats:
        np.testing.assert_array_equal(a.curves_stats[name], b.curves_stats[name])
    np.testing.assert_array_equal(a.maps_rlzs, b.maps_rlzs)
    # one progress report per finished task, after the initial 0
    assert len(progress) == len(dask.tasks) + 1
    assert progress == sorted(progress) and progress[-1] == sum(dask.task_weights)


def test_event_based_gmfs_are_identical_to_serial(dask_executor):
    from toolkit.engine.hazard.calculators.event_based import EventBasedCalculator
    from toolkit.engine.hazard.gmf import GmfWarning
    from toolkit.io.inputs import build_inputs, load_job

    overrides = {**CLASSICAL, "calculation_mode": "event_based",
                 "ses_per_logic_tree_path": "100", "ses_seed": "11"}
    results = []
    for executor in (SerialExecutor(), dask_executor):
        inputs = build_inputs(load_job(DEMOS / "classical" / "job.ini", overrides=overrides))
        inputs.ruptures_per_task = 40
        with warnings.catch_warnings():
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
    np.testing.assert_array_equal(a.gmfs.event, b.gmfs.event)


def test_results_are_yielded_as_tasks_finish(dask_executor):
    import time

    tasks = [(0.8,), (0.0,), (0.0,)]
    order = [i for i, _ in dask_executor.submit_all(time.sleep, tasks)]
    assert sorted(order) == [0, 1, 2]
    assert order[0] != 0  # the slow first task does not hold back the others


def test_task_error_propagates_with_the_worker_traceback(dask_executor):
    from toolkit.engine.hazard.imt import from_string

    with pytest.raises(InputError, match="XYZ") as info:
        for _ in dask_executor.submit_all(from_string, [("PGA",), ("XYZ",), ("SA(0.1)",)]):
            pass
    frames = "".join(traceback.format_tb(info.value.__traceback__))
    assert "imt.py" in frames and "from_string" in frames


def test_shared_arguments_are_scattered_once(dask_executor):
    big, ones = np.arange(100_000.0), np.ones(100_000)
    tasks = [(big, big), (big, ones), (ones[:3], 2)]
    shared = dask_executor._scatter_shared(tasks)
    assert set(shared) == {id(big)}  # `ones` is in one task only
    for future in shared.values():
        future.release()
    results = dict(dask_executor.submit_all(np.dot, tasks))
    assert (results[0], results[1]) == (big @ big, big.sum())
    np.testing.assert_array_equal(results[2], [2.0, 2.0, 2.0])


def test_get_executor_connects_to_a_scheduler_address(cluster):
    port = cluster.scheduler_address.rsplit(":", 1)[1]
    with get_executor(f"dask://127.0.0.1:{port}") as executor:
        assert isinstance(executor, DaskExecutor)
        assert dict(executor.submit_all(pow, [(2, 3), (3, 2)])) == {0: 8, 1: 9}


def test_bad_scheduler_address_names_it():
    with pytest.raises(CalculationError, match=r"dask scheduler at tcp://127\.0\.0\.1:9 "
                                               r"\(setting 'executor' = 'dask://127\.0\.0\.1:9'\)"):
        DaskExecutor.from_setting("dask://127.0.0.1:9", timeout=1.0)


def test_malformed_settings_are_input_errors():
    assert parse_address("dask") is None
    assert parse_address("dask://sched.example.org") == "tcp://sched.example.org:8786"
    assert parse_address("dask://10.0.0.5:8800") == "tcp://10.0.0.5:8800"
    for bad in ("dask:/x", "dask://", "dask://host:port", "dask://host:99999", "tcp://h:1"):
        with pytest.raises(InputError, match="expected 'dask'"):
            parse_address(bad)


def test_settings_accept_dask_executors():
    from toolkit.config import load_settings

    for value in ("dask", "dask://10.0.0.5:8786", "dask://scheduler"):
        assert load_settings({"TOOLKIT_EXECUTOR": value}).executor == value
    assert load_settings({"TOOLKIT_EXECUTOR": "dask://[::1]:8786"}).executor.endswith("8786")
    # the settings check is the executor's own parser: what one accepts, the other does
    for bad in ("dask:10.0.0.5", "dask://h:99999", "dask://h:0", "daskish"):
        with pytest.raises(InputError, match="'dask://host:port'"):
            load_settings({"TOOLKIT_EXECUTOR": bad})


def test_cli_refuses_a_bad_scheduler_address_before_running(tmp_path):
    import os

    job = DEMOS / "classical" / "job.ini"
    out = subprocess.run([sys.executable, "-m", "toolkit", "run", str(job), "--quiet",
                          "--executor", "dask://h:99999"], capture_output=True, text=True,
                         env={**os.environ, "TOOLKIT_DATA": str(tmp_path / "data")})
    assert out.returncode == 2
    assert "setting 'executor' = 'dask://h:99999': expected 'dask'" in out.stderr
    assert not (tmp_path / "data").exists()  # nothing registered


def test_import_toolkit_does_not_import_dask():
    code = ("import sys, toolkit, toolkit.engine.executor, toolkit.config; "
            "print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_missing_dask_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError, match=r"needs dask\.distributed.*pip install"):
        get_executor("dask://127.0.0.1:8786")


def _key_types(levels, factor):
    return sorted(type(key).__name__ for key in levels), factor * len(levels)


def test_shared_dicts_keep_their_namedtuple_keys(dask_executor):
    # disaggregation shares {IMT: levels} among its tasks: the IMT keys must stay IMTs
    from toolkit.engine.hazard.imt import PGA, SA

    levels = {PGA(): np.ones(3), SA(1.0): np.ones(3)}
    results = dict(dask_executor.submit_all(_key_types, [(levels, 1), (levels, 2)]))
    assert results == {0: (["IMT", "IMT"], 2), 1: (["IMT", "IMT"], 4)}


def test_disaggregation_is_identical_to_serial(dask_executor):
    from toolkit.engine.hazard.calculators.disaggregation import DisaggregationCalculator
    from toolkit.io.inputs import build_inputs, load_job

    overrides = {**CLASSICAL, "calculation_mode": "disaggregation", "poes_disagg": "0.1",
                 "mag_bin_width": "0.5", "distance_bin_width": "50", "num_epsilon_bins": "3",
                 "coordinate_bin_width": "1.0"}
    results = []
    for executor in (SerialExecutor(), dask_executor):
        inputs = build_inputs(load_job(DEMOS / "classical" / "job.ini", overrides=overrides))
        inputs.ruptures_per_task = 40
        calc = DisaggregationCalculator(inputs, _Sink(), executor)
        calc.run()
        results.append(calc.writer.result)
    a, b = results
    assert a.poes.max() > 0
    np.testing.assert_array_equal(a.poes, b.poes)
    np.testing.assert_array_equal(a.means, b.means)
    np.testing.assert_array_equal(a.levels, b.levels)
