"""JobRunner operated as a user would: pick, edit, click Run, watch, abort; and the failures
that must show instead of hanging: a bad job, a failed job, a lost server."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from toolkit.client.errors import ServerUnreachable
from toolkit.errors import InputError
from toolkit.jobs.runner import DEMO_JOBS
from toolkit.widgets.job_runner import JobRunner, read_parameters, write_edited_job

NOW = datetime.now(UTC)


def test_picker_lists_the_demos_and_their_parameters(calcs) -> None:
    runner = JobRunner(calcs)
    labels = [label for label, _ in runner.job_picker.options]
    assert labels[0].startswith("demo: Demo: synthetic fault") and len(labels) == 3
    assert runner.job == str(DEMO_JOBS[0])
    assert runner.param_widgets["investigation_time"].value == "50.0"
    assert runner.path_text.layout.display == "none"
    runner.job_picker.value = str(DEMO_JOBS[1])
    assert "number_of_ground_motion_fields" in runner.param_widgets
    runner.job_picker.value = "__path__"
    assert runner.path_text.layout.display is None and runner.job == ""
    runner.path_text.value = str(DEMO_JOBS[0])
    assert runner.job == str(DEMO_JOBS[0])


def test_preselect_by_description_or_path(calcs, tmp_path: Path) -> None:
    assert JobRunner(calcs, job=str(DEMO_JOBS[1])).job == str(DEMO_JOBS[1])
    label = next(iter(calcs.demo_jobs()))
    assert JobRunner(calcs, job=label).job == str(DEMO_JOBS[0])
    other = JobRunner(calcs, job=tmp_path / "job.ini")
    assert other.job_picker.value == "__path__" and other.job == str(tmp_path / "job.ini")


def test_run_click_completes_with_hooks_in_order(calcs) -> None:
    runner = JobRunner(calcs, poll_interval=0.1)
    events: list[tuple] = []
    runner.on_submit(lambda c: events.append(("submit", c)))
    runner.on_complete(lambda c: events.append(("complete", c)))
    runner.on_finish(lambda c, s: events.append(("finish", c, s)))
    runner.on_fail(lambda *a: events.append(("fail", *a)))
    runner.param_widgets["investigation_time"].value = "1.0"
    runner.run_button.click()
    calc_id = runner.calc_id
    assert runner.run_button.disabled and not runner.abort_button.disabled
    assert runner.wait(120) == "complete"
    assert events == [("submit", calc_id), ("complete", calc_id),
                      ("finish", calc_id, "complete")]
    assert runner.progress == 1.0 and runner.progress_bar.value == 1.0
    assert runner.status_text.startswith(f"Calculation {calc_id} complete in")
    assert "complete; datastore" in runner.log_view.value and runner.error_message == ""
    assert not runner.run_button.disabled and runner.abort_button.disabled
    # the edited parameter ran from a copy of the job; the original is untouched
    job = Path(calcs.catalogue.get(calc_id).job_ini)
    assert job != DEMO_JOBS[0] and read_parameters(job)["investigation_time"] == "1.0"
    assert read_parameters(DEMO_JOBS[0])["investigation_time"] == "50.0"
    assert calcs.hazard_curves(calc_id).investigation_time == 1.0


def test_abort_button(calcs) -> None:
    runner = JobRunner(calcs, poll_interval=0.1)
    failed: list[tuple] = []
    runner.on_fail(lambda *a: failed.append(a))
    runner.run_button.click()
    runner.abort_button.click()
    assert runner.wait(60) == "aborted"
    assert failed and failed[0][:2] == (runner.calc_id, "aborted")
    assert f"calculation {runner.calc_id} aborted" in runner.error_message
    assert runner.progress_bar.bar_style == "danger"


def test_bad_job_shows_the_error_at_once(calcs, tmp_path: Path) -> None:
    bad = tmp_path / "job.ini"
    bad.write_text("[general]\ncalculation_mode = classical\ninvestigation_time = 50\n")
    runner = JobRunner(calcs, job=bad)
    failed: list[tuple] = []
    runner.on_fail(lambda *a: failed.append(a))
    assert runner.run() is None
    assert runner.status == "error" and runner.calc_id is None
    assert runner.error_message.startswith(f"could not submit {bad}")
    assert "tk-error-box" in runner.error.value
    assert failed[0][:2] == (None, "error")
    runner.job_picker.value = "__path__"
    runner.path_text.value = ""
    runner.run()
    assert "choose a job first" in runner.error_message


def test_failed_job_shows_its_traceback(fake_calcs) -> None:
    trace = "Traceback (most recent call last):\n  ...\nValueError: magnitude out of range"
    service = fake_calcs(["created", "executing", "failed"], traceback=trace)
    runner = JobRunner(service, poll_interval=0.01)
    runner.run()
    assert runner.wait(10) == "failed"
    assert runner.error_message == "calculation 7 failed: ValueError: magnitude out of range"
    assert "Traceback (most recent call last)" in runner.error.value
    assert runner.progress == 0.4  # from the "progress 40%" log line (no progress field)


def test_lost_server_gives_up_with_the_url(fake_calcs) -> None:
    error = ServerUnreachable("GET http://fake:1/v1/calc/7/status: server unreachable at "
                              "http://fake:1")
    service = fake_calcs(["executing"], error=error, fail_after=1)
    runner = JobRunner(service, poll_interval=0.01, max_poll_failures=3)
    runner.run()
    assert runner.wait(10) == "error"
    assert "server unreachable at http://fake:1" in runner.error_message
    assert "after 3 attempts" in runner.error_message
    assert service.polls == 4


def test_upload_a_zipped_job(calcs) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in DEMO_JOBS[0].parent.iterdir():
            zf.write(path, f"model/{path.name}")
    runner = JobRunner(calcs)
    runner.upload.value = ({"name": "model.zip", "type": "application/zip", "size": 1,
                            "content": memoryview(buf.getvalue()), "last_modified": NOW},)
    assert runner.job_picker.label == "uploaded: model.zip", runner.error_message
    assert runner.job.endswith("model/job.ini") and Path(runner.job).is_file()
    assert "investigation_time" in runner.param_widgets


def test_upload_rejects_escaping_archives(calcs) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.ini", "x")
    runner = JobRunner(calcs)
    runner.upload.value = ({"name": "evil.zip", "type": "", "size": 1,
                            "content": memoryview(buf.getvalue()), "last_modified": NOW},)
    assert "outside the upload folder" in runner.error_message
    assert runner.job == str(DEMO_JOBS[0])


def test_write_edited_job(tmp_path: Path) -> None:
    job = write_edited_job(DEMO_JOBS[0], {"truncation_level": "2"}, tmp_path / "copy")
    assert read_parameters(job)["truncation_level"] == "2"
    assert (tmp_path / "copy" / "source_model.xml").is_file()
    with pytest.raises(InputError, match="not set"):
        write_edited_job(DEMO_JOBS[0], {"ses_seed": "1"}, tmp_path / "other")
    with pytest.raises(InputError, match="one line"):
        write_edited_job(DEMO_JOBS[0], {"description": "a\nb"}, tmp_path / "third")
