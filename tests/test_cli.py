"""The ``toolkit`` command: run, list, show, export, demo, errors and exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit import __version__
from toolkit.cli import main
from toolkit.jobs.runner import demo_job_ini


@pytest.fixture
def env(monkeypatch, data_dir: Path) -> Path:
    monkeypatch.setenv("TOOLKIT_DATA", str(data_dir))
    monkeypatch.delenv("TOOLKIT_EXECUTOR", raising=False)
    return data_dir


def test_version_of_installed_entry_point():
    exe = Path(sys.executable).parent / "toolkit"
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"toolkit {__version__}"


def test_run_list_show_export(env, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(demo_job_ini()), "--export-dir", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "calculation 1 complete" in text and str(out) in text
    assert (out / "hazard_curve-mean-PGA_1.csv").is_file()
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "complete" in listing and "classical" in listing and "Demo" in listing
    assert main(["show", "1"]) == 0
    assert "status: complete" in capsys.readouterr().out
    again = tmp_path / "again"
    assert main(["export", "1", "--export-dir", str(again)]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in printed) == sorted(p.name for p in out.iterdir())


def test_run_without_export_dir_keeps_results_in_datastore(env, capsys):
    assert main(["run", str(demo_job_ini()), "--quiet"]) == 0
    assert (env / "calc_1.hdf5").is_file()
    assert "CSV outputs" not in capsys.readouterr().out


def test_progress_bar_goes_to_stderr(env, capsys):
    assert main(["run", str(demo_job_ini())]) == 0
    captured = capsys.readouterr()
    assert "%" in captured.err and "%" not in captured.out


def test_job_ini_export_dir_is_ignored_with_export_dir(env, tmp_path):
    job = tmp_path / "demo"
    shutil.copytree(demo_job_ini().parent, job)
    with open(job / "job.ini", "a") as f:
        f.write(f"\nexport_dir = {tmp_path / 'ignored'}\n")
    assert main(["run", str(job / "job.ini"), "--export-dir", str(tmp_path / "used"),
                 "--quiet"]) == 0
    assert not (tmp_path / "ignored").exists()
    assert (tmp_path / "used" / "hazard_curve-mean-PGA_1.csv").is_file()


def test_input_error_exit_code_and_message(env, tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.ini"), "--quiet"]) == 2
    assert "nope.ini does not exist" in capsys.readouterr().err


def test_unknown_calculation(env, capsys):
    assert main(["show", "42"]) == 1
    assert "calculation 42 not found" in capsys.readouterr().err


def test_demo_command(env, capsys):
    assert main(["demo", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "complete" in text and "demo_exports" in text


def test_job_ini_warnings_are_printed_plainly(env, tmp_path, capsys):
    job = tmp_path / "demo"
    shutil.copytree(demo_job_ini().parent, job)
    with open(job / "job.ini", "a") as f:
        f.write("\ninvestigation_tim = 50\n")
    assert main(["run", str(job / "job.ini"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "toolkit: warning:" in err and "investigation_tim" in err
    assert "investigation_time" in err  # the closest known key is suggested
    assert "Warning: " not in err  # no Python warning source line


def test_bad_setting_is_an_input_error(env, monkeypatch, capsys):
    monkeypatch.setenv("TOOLKIT_NUM_WORKERS", "-3")
    assert main(["run", str(demo_job_ini()), "--quiet"]) == 2
    assert "num_workers" in capsys.readouterr().err
    assert not list(env.glob("calc_*"))
