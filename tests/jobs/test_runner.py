"""run_job end to end: validation first, catalogue status, datastore, exports, failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.errors import CalculationError, InputError, StoreError, UnknownName
from toolkit.jobs import runner
from toolkit.store import Catalogue, load_hazard, open_reader, read_oq_csv

DEMO = runner.demo_job_ini().parent


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A writable copy of the demo job."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    return target


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _nothing_written(settings: Settings) -> None:
    if settings.catalogue_path.exists():
        with Catalogue(settings.catalogue_path) as cat:
            assert cat.list() == []
    assert not list(settings.data_dir.glob("calc_*"))


def test_demo_runs_and_exports(demo, settings, tmp_path):
    out = tmp_path / "out"
    calc_id = runner.run_job(demo / "job.ini", settings, export_dir=out, progress=False)
    with Catalogue(settings.catalogue_path) as cat:
        rec = cat.get(calc_id)
    assert rec.status == "complete" and rec.progress == 1.0
    assert rec.calculation_mode == "classical"
    with open_reader(settings.data_dir, calc_id) as reader:
        outputs = load_hazard(reader)
    assert outputs.curves_rlzs.shape == (9, 2, 60)  # 9 sites, 2 GSIM branches, 3 x 20 levels
    mean = outputs.curves_stats["mean"]
    # the mean is the weighted mean of the two realizations (weights 0.6, 0.4)
    assert np.allclose(mean, 0.6 * outputs.curves_rlzs[:, 0] + 0.4 * outputs.curves_rlzs[:, 1])
    # curves are probabilities, non-increasing with the level, and not trivial
    assert np.all(np.diff(mean[:, :20], axis=1) <= 1e-15)
    assert 0.05 < mean[0, 0] < 1
    names = {p.name for p in out.iterdir()}
    for expected in ("hazard_curve-mean-PGA", "quantile_curve-0.16-PGA", "hazard_map-mean",
                     "hazard_uhs-mean", "realizations"):
        assert f"{expected}_{calc_id}.csv" in names
    meta, frame = read_oq_csv(out / f"hazard_curve-mean-PGA_{calc_id}.csv")
    assert meta["kind"] == "mean" and float(meta["investigation_time"]) == 50.0
    assert np.allclose(frame.iloc[:, 3:].to_numpy(float), mean[:, :20], rtol=1e-6)


def test_export_later_gives_the_same_files(demo, settings, tmp_path):
    first = runner.run_job(demo / "job.ini", settings, export_dir=tmp_path / "a", progress=False)
    files = runner.export_calculation(settings, first, tmp_path / "b")
    assert files
    for path in files:
        assert path.read_bytes() == (tmp_path / "a" / path.name).read_bytes()


def test_processpool_gives_identical_results(demo, settings):
    serial = runner.run_job(demo / "job.ini", settings, progress=False)
    pooled = runner.run_job(demo / "job.ini", settings.with_(executor="processpool",
                                                             num_workers=2), progress=False)
    with open_reader(settings.data_dir, serial) as a, open_reader(settings.data_dir, pooled) as b:
        assert np.array_equal(load_hazard(a).curves_rlzs, load_hazard(b).curves_rlzs)


def test_missing_file_referenced_by_job_ini(demo, settings):
    (demo / "gsim_logic_tree.xml").unlink()
    with pytest.raises(InputError, match="gsim_logic_tree_file.*gsim_logic_tree.xml"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_malformed_xml_names_file_and_line(demo, settings):
    _edit(demo / "source_model.xml", "<rake>-90.0</rake>", "<rake>-90.0</rak>")
    with pytest.raises(InputError, match=r"source_model.xml.*line \d+"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_unknown_gsim(demo, settings):
    _edit(demo / "gsim_logic_tree.xml", "BooreAtkinson2008<", "BooreAtkinson2009<")
    with pytest.raises(UnknownName, match="BooreAtkinson2009.*did you mean.*BooreAtkinson2008"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_gsim_outside_its_imts(demo, settings):
    _edit(demo / "gsim_logic_tree.xml", "BooreAtkinson2008<", "SadighEtAl1997<")
    _edit(demo / "job.ini", '"SA(1.0)": logscale(0.002, 2.0, 20)',
          '"SA(6.0)": logscale(0.002, 2.0, 20)')
    with pytest.raises(InputError, match=r"SadighEtAl1997.*SA\(6.0\)"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_negative_imls(demo, settings):
    _edit(demo / "job.ini", '{"PGA": logscale(0.005, 2.0, 20),', '{"PGA": [-0.1, 0.2],')
    with pytest.raises(InputError, match="intensity_measure_types_and_levels"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_empty_site_list(demo, settings):
    (demo / "sites.csv").write_text("lon,lat\n")
    with pytest.raises(InputError, match="site"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_unknown_calculation_mode(demo, settings):
    _edit(demo / "job.ini", "calculation_mode = classical", "calculation_mode = clasical")
    with pytest.raises(UnknownName, match="clasical.*classical"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_failed_calculation_is_marked_failed_with_traceback(demo, settings, monkeypatch):
    import toolkit.engine.hazard.calculators.classical as classical

    def explode(*args):
        raise FloatingPointError("injected failure")

    monkeypatch.setattr(classical, "classical_task", explode)
    with pytest.raises(CalculationError, match="injected failure"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    with Catalogue(settings.catalogue_path) as cat:
        (rec,) = cat.list()
        logs = cat.get_logs(rec.id)
    assert rec.status == "failed"
    assert "FloatingPointError: injected failure" in rec.traceback
    assert any("injected failure" in log.message for log in logs)
    # no datastore is published for a failed calculation, not even a temporary one
    assert not list(settings.data_dir.glob("calc_*.hdf5*"))


def test_earlier_results_survive_a_failure(demo, settings, monkeypatch):
    good = runner.run_job(demo / "job.ini", settings, progress=False)
    import toolkit.engine.hazard.calculators.classical as classical

    monkeypatch.setattr(classical, "classical_task", lambda *a: 1 / 0)
    with pytest.raises(CalculationError):
        runner.run_job(demo / "job.ini", settings, progress=False)
    with open_reader(settings.data_dir, good) as reader:
        assert load_hazard(reader).curves_rlzs.shape[0] == 9
    with Catalogue(settings.catalogue_path) as cat:
        assert cat.get(good).status == "complete"


def test_export_of_a_failed_calculation_is_refused(demo, settings, monkeypatch, tmp_path):
    import toolkit.engine.hazard.calculators.classical as classical

    monkeypatch.setattr(classical, "classical_task", lambda *a: 1 / 0)
    with pytest.raises(CalculationError):
        runner.run_job(demo / "job.ini", settings, progress=False)
    with pytest.raises(InputError, match="failed, not complete"):
        runner.export_calculation(settings, 1, tmp_path / "x")


def test_interrupt_marks_the_calculation_aborted(demo, settings, monkeypatch):
    import toolkit.engine.hazard.calculators.classical as classical

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(classical, "classical_task", interrupt)
    with pytest.raises(KeyboardInterrupt):
        runner.run_job(demo / "job.ini", settings, progress=False)
    with Catalogue(settings.catalogue_path) as cat:
        (rec,) = cat.list()
    assert rec.status == "aborted"
    assert not list(settings.data_dir.glob("calc_*.hdf5*"))


def test_vanished_process_is_marked_failed_and_its_files_removed(demo, settings):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    settings.data_dir.mkdir(exist_ok=True)
    with Catalogue(settings.catalogue_path) as cat:
        calc_id = cat.create("killed run", "classical", str(demo / "job.ini"))
        cat.set_status(calc_id, "executing", pid=pid)
    (settings.data_dir / f"calc_{calc_id}.hdf5.tmp").write_bytes(b"partial")
    rows = runner.list_calculations(settings)
    assert [(r.id, r.status) for r in rows] == [(calc_id, "failed")]
    assert "vanished" in rows[0].traceback
    assert not (settings.data_dir / f"calc_{calc_id}.hdf5.tmp").exists()


def test_export_directory_problems_are_found_before_running(demo, settings, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the export directory"):
        runner.run_job(demo / "job.ini", settings, export_dir=blocker / "out", progress=False)
    _nothing_written(settings)


def test_directory_as_job_file(demo, settings):
    with pytest.raises(InputError, match="is a directory"):
        runner.run_job(demo, settings, progress=False)


def test_non_utf8_sites_file(demo, settings):
    (demo / "sites.csv").write_bytes("lon,lat\n10.0,45.0 # caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"sites.csv: not a UTF-8 text file"):
        runner.run_job(demo / "job.ini", settings, progress=False)
    _nothing_written(settings)


def test_indented_keys_are_keys_not_continuations(demo, settings):
    ini = demo / "job.ini"
    ini.write_text("\n".join("  " + line if "=" in line and not line.startswith("[") else line
                             for line in ini.read_text().splitlines()))
    calc_id = runner.run_job(ini, settings, progress=False)
    with Catalogue(settings.catalogue_path) as cat:
        assert cat.get(calc_id).status == "complete"
