"""JobRunner: pick a job (a demo, an uploaded zip/ini, a path), edit key parameters, run it,
watch its progress and log, abort it.

The calculation runs wherever the :class:`~toolkit.widgets.protocol.CalcService` runs it (a
worker process of this kernel, or a server); a watcher thread polls its status every
``poll_interval`` seconds and updates the progress bar, the status line and the log tail. A
failed calculation shows its traceback; a source that stops answering shows an error with its
location after ``max_poll_failures`` polls. Nothing hangs silently.

Events: ``on_submit(callback(calc_id))``, ``on_progress(callback(calc_id, progress))``,
``on_complete(callback(calc_id))``, ``on_fail(callback(calc_id, status, message))`` (failed,
aborted, or the source lost), ``on_finish(callback(calc_id, status))`` (always, last).
"""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid as uuidlib
import zipfile
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets as t

from toolkit.errors import InputError
from toolkit.widgets._base import ErrorBoxMixin, HookMixin, esc, guarded, hide, show
from toolkit.widgets.protocol import CalcService
from toolkit.widgets.services import calc_service

__all__ = ["JobRunner", "EDITABLE_PARAMETERS", "read_parameters", "write_edited_job"]

#: job.ini parameters the runner lets users edit (those present in the chosen job)
EDITABLE_PARAMETERS = (
    "description",
    "investigation_time",
    "truncation_level",
    "maximum_distance",
    "number_of_logic_tree_samples",
    "number_of_ground_motion_fields",
    "ses_per_logic_tree_path",
    "ses_seed",
    "random_seed",
    "poes",
    "quantiles",
)
_PATH_OPTION = "__path__"
_PROGRESS = re.compile(r"progress (\d+)%")
_KEY = re.compile(r"^\s*([A-Za-z_][\w]*)\s*=(.*)$")


def read_parameters(job_ini: str | Path, names: tuple[str, ...] = EDITABLE_PARAMETERS
                    ) -> dict[str, str]:
    """``{name: value}`` of the parameters ``names`` set in ``job_ini`` (file order)."""
    found: dict[str, str] = {}
    try:
        text = Path(job_ini).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {job_ini}: {exc.strerror or exc}") from None
    for line in text.splitlines():
        m = _KEY.match(line)
        if m and m.group(1) in names:
            found[m.group(1)] = m.group(2).strip()
    return found


def write_edited_job(job_ini: str | Path, changes: dict[str, str], dest_dir: str | Path) -> Path:
    """Copy the job's folder into ``dest_dir`` and set ``changes`` in the copy of the job.ini
    (lines rewritten in place, comments kept); return the new job.ini."""
    src = Path(job_ini)
    dest = Path(dest_dir)
    for key, value in changes.items():
        if "\n" in value or "\r" in value:
            raise InputError(f"parameter {key!r}: the value must be one line")
    shutil.copytree(src.parent, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.hdf5"))
    lines = src.read_text(encoding="utf-8").splitlines()
    done = set()
    for i, line in enumerate(lines):
        m = _KEY.match(line)
        if m and m.group(1) in changes:
            lines[i] = f"{m.group(1)} = {changes[m.group(1)]}"
            done.add(m.group(1))
    missing = sorted(set(changes) - done)
    if missing:
        raise InputError(f"{src}: parameters {missing} are not set in the job file")
    out = dest / src.name
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _safe_extract(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            target = (dest / member).resolve()
            if not target.is_relative_to(dest.resolve()):
                raise InputError(f"{archive.name}: member {member!r} would be written outside "
                                 "the upload folder")
        zf.extractall(dest)


def _find_job(folder: Path, name: str) -> Path:
    inis = sorted(folder.rglob("*.ini"), key=lambda p: (p.name != "job.ini", len(p.parts), p))
    if not inis:
        raise InputError(f"{name}: there is no .ini file in the archive")
    return inis[0]


class JobRunner(HookMixin, ErrorBoxMixin, w.VBox):
    """Run a calculation and watch it.

    Parameters
    ----------
    service : CalcService, toolkit.client.Client, Settings or None
        Where jobs run (:class:`~toolkit.widgets.local.LocalCalcs` in-process for Settings or
        None, a server for a client: :mod:`toolkit.widgets.services`).
    job : str or Path, optional
        Preselect this job.ini (a demo description also works).
    upload_dir : Path, optional
        Where uploads and edited copies of jobs go (default: a ``notebook_inputs`` folder in the
        service's data directory, or the system temporary directory).
    poll_interval : float
        Seconds between two status polls.
    max_poll_failures : int
        Consecutive failed polls after which the runner gives up and shows the error.

    Attributes
    ----------
    calc_id : int or None
        The calculation started last.
    status : str
        ``""`` (nothing run), ``submitting``, ``created``, ``executing``, ``complete``,
        ``failed``, ``aborted``, or ``error`` (not submitted, or the source was lost).
    progress : float
        0..1.
    job : str
        The job.ini that Run submits.
    """

    calc_id = t.Int(None, allow_none=True, read_only=True)
    status = t.Unicode("", read_only=True)
    progress = t.Float(0.0, read_only=True)
    job = t.Unicode("")
    log_lines = t.Int(8, help="lines of the log tail shown")

    def __init__(self, service: CalcService | Any = None, *, job: str | Path | None = None,
                 upload_dir: str | Path | None = None, poll_interval: float = 0.25,
                 max_poll_failures: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = calc_service(service)
        service = self.service
        self.poll_interval = float(poll_interval)
        self.max_poll_failures = int(max_poll_failures)
        data_dir = getattr(getattr(service, "settings", None), "data_dir", None)
        if upload_dir is not None:
            self.upload_dir = Path(upload_dir)
        elif data_dir is not None:
            self.upload_dir = Path(data_dir) / "notebook_inputs"
        else:
            import tempfile

            self.upload_dir = Path(tempfile.gettempdir()) / "toolkit_notebook_inputs"
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._log: list[str] = []
        self._started = 0.0
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-job-runner")

        self.job_picker = w.Dropdown(description="Job", layout=w.Layout(width="560px"),
                                     style={"description_width": "80px"})
        self.job_picker.add_class("tk-job")
        self.path_text = w.Text(description="job.ini", placeholder="/path/to/job.ini",
                                layout=w.Layout(width="560px"),
                                style={"description_width": "80px"})
        self.path_text.add_class("tk-path")
        self.upload = w.FileUpload(accept=".zip,.ini", multiple=False, description="Upload")
        self.upload.add_class("tk-upload")
        self.params_box = w.VBox()
        self.params_box.add_class("tk-params")
        self.param_widgets: dict[str, w.Text] = {}
        self.run_button = w.Button(description="Run", icon="play", button_style="primary")
        self.run_button.add_class("tk-run")
        self.abort_button = w.Button(description="Abort", icon="stop", button_style="danger",
                                     disabled=True)
        self.abort_button.add_class("tk-abort")
        self.progress_bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="",
                                            layout=w.Layout(width="300px"))
        self.progress_bar.add_class("tk-progress")
        self.log_view = w.HTML("")
        self.log_view.add_class("tk-log")

        self._populate(job)
        self.job_picker.observe(self._on_pick, "value")
        self.path_text.observe(self._on_path, "value")
        self.upload.observe(self._on_upload, "value")
        self.run_button.on_click(lambda _b: self.run())
        self.abort_button.on_click(lambda _b: self.abort())
        self.children = [
            w.HBox([self.job_picker, self.upload]),
            self.path_text,
            self.params_box,
            w.HBox([self.run_button, self.abort_button, self.progress_bar]),
            self.status_line,
            self.error,
            self.log_view,
        ]
        self._sync_path()
        self.set_status(f"Pick a job and press Run ({service.location}).")

    # -- hooks -------------------------------------------------------------------------------
    def on_submit(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id)`` after a calculation was submitted."""
        self._register("submit", callback, remove)

    def on_progress(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id, progress)`` when the progress (0..1) changes."""
        self._register("progress", callback, remove)

    def on_complete(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id)`` when a calculation completed."""
        self._register("complete", callback, remove)

    def on_fail(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id, status, message)`` when it failed, was aborted, or its source
        stopped answering (``calc_id`` is None when the submission itself failed)."""
        self._register("fail", callback, remove)

    def on_finish(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id, status)`` after every final status (after the hooks above)."""
        self._register("finish", callback, remove)

    # -- job choice ----------------------------------------------------------------------------
    def _populate(self, job: str | Path | None) -> None:
        options: list[tuple[str, str]] = []
        try:
            demos = self.service.demo_jobs()
        except Exception as exc:  # a remote server may be down: still usable with a path
            demos = {}
            self.show_error(f"cannot list the demo jobs at {self.service.location}: {exc}")
        options += [(f"demo: {label}", str(path)) for label, path in demos.items()]
        options.append(("a job.ini on this machine…", _PATH_OPTION))
        value = options[0][1]
        if job is not None:
            text = str(job)
            match = [v for label, v in options if v == text or label == f"demo: {text}"]
            if match:
                value = match[0]
            else:
                value = _PATH_OPTION
                self.path_text.value = text
        self.job_picker.options = options
        self.job_picker.value = value

    def _sync_path(self) -> None:
        if self.job_picker.value == _PATH_OPTION:
            show(self.path_text)
            self.job = self.path_text.value.strip()
        else:
            hide(self.path_text)
            self.job = str(self.job_picker.value or "")

    def _on_pick(self, _change: Any) -> None:
        self._sync_path()

    def _on_path(self, _change: Any) -> None:
        if self.job_picker.value == _PATH_OPTION:
            self.job = self.path_text.value.strip()

    @t.observe("job")
    def _job_changed(self, change: Any) -> None:
        self.param_widgets = {}
        self.params_box.children = []
        path = Path(change["new"]) if change["new"] else None
        if path is None or not path.is_file():
            return
        try:
            params = read_parameters(path)
        except InputError as exc:
            self.show_error(str(exc))
            return
        for name, value in params.items():
            text = w.Text(value=value, description=name, layout=w.Layout(width="560px"),
                          style={"description_width": "220px"})
            text.add_class(f"tk-param-{name}")
            self.param_widgets[name] = text
        if params:
            self.params_box.children = [w.HTML("<b>Parameters</b>"),
                                        *self.param_widgets.values()]

    @guarded("upload failed")
    def _on_upload(self, change: Any) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = Path(str(item["name"])).name
        folder = self.upload_dir / f"upload-{uuidlib.uuid4().hex[:12]}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        target.write_bytes(bytes(item["content"]))
        if name.lower().endswith(".zip"):
            _safe_extract(target, folder / "job")
            job = _find_job(folder / "job", name)
        elif name.lower().endswith(".ini"):
            job = target
        else:
            raise InputError(f"{name}: upload a job .zip or a .ini file")
        self.add_job(job, label=f"uploaded: {name}")

    def add_job(self, job_ini: str | Path, label: str | None = None) -> None:
        """Add a job to the picker and select it."""
        path = str(Path(job_ini))
        options = [o for o in self.job_picker.options if o[1] != path]
        options.insert(len(options) - 1, (label or f"job: {path}", path))
        self.job_picker.options = options
        self.job_picker.value = path
        self.clear_error()

    def edited_parameters(self) -> dict[str, str]:
        """Parameters whose value differs from the job file's."""
        if not self.job or not Path(self.job).is_file():
            return {}
        original = read_parameters(self.job)
        return {k: wdg.value.strip() for k, wdg in self.param_widgets.items()
                if wdg.value.strip() != original.get(k)}

    # -- running -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._watcher is not None and self._watcher.is_alive()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            self.set_trait(name, value)

    def run(self) -> int | None:
        """Submit the chosen job (with the edited parameters); return the calculation id, or
        None when it could not be submitted (the error is shown)."""
        if self.running:
            self.show_error("a calculation is already running; abort it or wait")
            return None
        self.clear_error()
        self._log = []
        self.log_view.value = ""
        self._set(calc_id=None, progress=0.0, status="submitting")
        self.progress_bar.value = 0.0
        self.progress_bar.bar_style = ""
        self.set_status(f"Submitting {self.job or '(no job chosen)'} …")
        try:
            if not self.job:
                raise InputError("choose a job first (a demo, an upload, or a job.ini path)")
            job = Path(self.job)
            changes = self.edited_parameters()
            if changes:
                job = write_edited_job(job, changes,
                                       self.upload_dir / f"edited-{uuidlib.uuid4().hex[:12]}")
            calc_id = int(self.service.submit(job))
        except Exception as exc:
            self._set(status="error")
            message = f"could not submit {self.job or 'the job'}: {exc}"
            from toolkit.errors import ToolkitError

            trace = None
            if not isinstance(exc, ToolkitError | ValueError | OSError):
                import traceback

                trace = traceback.format_exc()
            self.show_error(message, trace)
            self.set_status("Not submitted.")
            self._fire("fail", None, "error", message)
            self._fire("finish", None, "error")
            return None
        self._started = time.monotonic()
        self._set(calc_id=calc_id, status="created")
        self.run_button.disabled = True
        self.abort_button.disabled = False
        self.set_status(f"Calculation {calc_id} submitted ({self.service.location}).")
        self._fire("submit", calc_id)
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, args=(calc_id,),
                                         name=f"jobrunner-{calc_id}", daemon=True)
        self._watcher.start()
        return calc_id

    def abort(self) -> bool:
        """Abort the running calculation; True if it was aborted."""
        if self.calc_id is None or not self.running:
            return False
        try:
            done = bool(self.service.abort(self.calc_id))
        except Exception as exc:
            self.show_error(f"could not abort calculation {self.calc_id}: {exc}")
            return False
        if done:
            self.set_status(f"Calculation {self.calc_id}: aborting …")
        return done

    def wait(self, timeout: float = 120.0) -> str:
        """Block until the watched calculation is final (for scripts and tests); return the
        status. :class:`TimeoutError` after ``timeout`` seconds."""
        watcher = self._watcher
        if watcher is not None:
            watcher.join(timeout)
            if watcher.is_alive():
                raise TimeoutError(f"calculation {self.calc_id} is still {self.status} after "
                                   f"{timeout} s")
        return self.status

    def close(self) -> None:
        """Stop watching (the calculation itself goes on) and close the widget."""
        self._stop.set()
        super().close()

    def _tail(self, calc_id: int) -> None:
        try:
            lines = self.service.log(calc_id, len(self._log))
        except Exception:  # the log is a nicety: the status poll reports lost sources
            return
        if lines:
            self._log.extend(lines)
            tail = self._log[-self.log_lines:]
            self.log_view.value = ("<pre style='font-size:11px;margin:0;max-width:900px;"
                                   "white-space:pre-wrap'>" + esc("\n".join(tail)) + "</pre>")

    def _log_progress(self) -> float | None:
        for line in reversed(self._log):
            m = _PROGRESS.search(line)
            if m:
                return int(m.group(1)) / 100.0
        return None

    def _watch(self, calc_id: int) -> None:
        failures = 0
        while True:
            try:
                info = self.service.info(calc_id)
                failures = 0
            except Exception as exc:
                failures += 1
                if failures >= self.max_poll_failures:
                    self._end(calc_id, "error",
                              f"lost calculation {calc_id}: {exc} (after {failures} attempts)")
                    return
                if self._stop.wait(self.poll_interval):
                    return
                continue
            self._tail(calc_id)
            progress = info.progress if info.progress is not None else self._log_progress()
            if info.status == "complete":
                progress = 1.0
            if progress is not None and progress != self.progress:
                self._set(progress=float(progress))
                self.progress_bar.value = float(progress)
                self._fire("progress", calc_id, float(progress))
            if info.status != self.status:
                self._set(status=info.status)
            if info.is_final:
                self._end(calc_id, info.status)
                return
            pct = f": {100 * progress:.0f} %" if progress is not None else ""
            self.set_status(f"Calculation {calc_id} ({info.mode}) is {info.status}{pct}")
            if self._stop.wait(self.poll_interval):
                return

    def _end(self, calc_id: int, status: str, message: str = "") -> None:
        elapsed = time.monotonic() - self._started
        self._set(status=status)
        self.run_button.disabled = False
        self.abort_button.disabled = True
        self._tail(calc_id)
        if status == "complete":
            self.progress_bar.bar_style = "success"
            self.set_status(f"Calculation {calc_id} complete in {elapsed:.1f} s.")
            self._fire("complete", calc_id)
        else:
            self.progress_bar.bar_style = "danger"
            trace = ""
            if status in ("failed", "aborted"):
                try:
                    trace = self.service.traceback(calc_id)
                except Exception as exc:
                    trace = f"(the traceback could not be read: {exc})"
                last = next((ln for ln in reversed(trace.strip().splitlines()) if ln.strip()),
                            "")
                message = message or (f"calculation {calc_id} {status}"
                                      + (f": {last.strip()}" if last else ""))
            self.set_status(f"Calculation {calc_id} {status} after {elapsed:.1f} s.")
            self.show_error(message, trace or None)
            self._fire("fail", calc_id, status, message)
        self._fire("finish", calc_id, status)
