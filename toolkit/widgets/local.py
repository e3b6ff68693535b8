"""In-process services: the calculations and scenarios of one data directory, no server.

:class:`LocalCalcs` runs each job in a worker process (``python -m toolkit.jobs.worker``, the
same worker the server uses) that leads its own process group, so the notebook kernel stays
responsive, an abort interrupts the whole calculation, and a crash of the calculation cannot
take the kernel down. The calculation is registered in the catalogue *without* a queue marker
(``pid`` is the worker's, never 0), so a ``toolkit serve`` sharing the data directory never
starts it a second time. A worker that exits without recording a final status is marked
``failed`` with the tail of its output, so a widget never waits forever.

:class:`LocalScenarios` reads the scenario catalogue of the data directory
(:class:`toolkit.store.scenarios.ScenarioStore`: the scenarios ``toolkit serve`` publishes at
``/api/v4``, 3Di floods and engine earthquake scenarios). :func:`ensure_demo_data` loads the demo
calculations and scenarios into a data directory once (guarded by a file lock, so several
kernels starting at once do it once).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from toolkit.config import Settings, load_settings
from toolkit.errors import InputError, NotFound, ToolkitError
from toolkit.widgets.protocol import (
    CalcInfo,
    DamageTable,
    FieldSeries,
    HazardCurves,
    RasterImage,
    ScenarioPage,
)

__all__ = [
    "LocalCalcs",
    "LocalScenarios",
    "ensure_demo_data",
    "DEMO_FLOOD_B",
]

_STDERR_TAIL = 4000

#: the second demo flood scenario :func:`ensure_demo_data` imports (name, parameters of
#: :func:`toolkit.scenarios.synthetic.write_synthetic_pair`): the same kind of basin as the
#: bundled demo pair, on a uniform grid with another seed
DEMO_FLOOD_B: tuple[str, dict[str, Any]] = (
    "Demo flood B: synthetic basin, uniform 20 m grid",
    {"n_cells": 400, "n_times": 25, "seed": 1, "levels": 1, "aggregate": False},
)


def _description(job_ini: Path) -> str:
    """The ``description`` line of a job.ini (cheap: no validation)."""
    try:
        for line in job_ini.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() == "description":
                return value.strip()
    except OSError:
        pass
    return job_ini.parent.name


class LocalCalcs:
    """:class:`~toolkit.widgets.protocol.CalcService` on the catalogue of a data directory.

    Parameters
    ----------
    settings : Settings, optional
        Data directory and executor (default :func:`toolkit.config.load_settings`).
    owner : str
        Owner recorded for submitted calculations.
    abort_grace : float
        Seconds between SIGINT and SIGKILL when aborting.
    """

    def __init__(self, settings: Settings | None = None, *, owner: str = "notebook",
                 abort_grace: float = 5.0) -> None:
        from toolkit.store import Catalogue

        self.settings = settings or load_settings()
        self.owner = owner
        self.abort_grace = float(abort_grace)
        self.location = f"in-process, data directory {self.settings.data_dir}"
        self.catalogue = Catalogue(self.settings.catalogue_path)
        self._workers: dict[int, tuple[subprocess.Popen[bytes], Path]] = {}
        self._lock = threading.RLock()
        self._cache: dict[int, Any] = {}

    def __repr__(self) -> str:
        return f"<LocalCalcs {self.settings.data_dir}>"

    # -- catalogue ---------------------------------------------------------------------------
    @staticmethod
    def _info(rec: Any) -> CalcInfo:
        progress = rec.progress if rec.status == "executing" else (
            1.0 if rec.status == "complete" else None)
        return CalcInfo(id=rec.id, description=rec.description, mode=rec.calculation_mode,
                        status=rec.status, progress=progress, owner=rec.owner,
                        start_time=rec.start_time or rec.created)

    def list(self, limit: int = 100) -> list[CalcInfo]:
        """The most recent calculations, newest first."""
        for calc_id in list(self._workers):
            self._check_worker(calc_id)
        return [self._info(r) for r in self.catalogue.list(limit=limit)]

    def demo_jobs(self) -> dict[str, Path]:
        """``{description: job.ini}`` of the bundled demo jobs."""
        from toolkit.jobs.runner import DEMO_JOBS

        return {_description(p): p for p in DEMO_JOBS}

    def info(self, calc_id: int) -> CalcInfo:
        self._check_worker(calc_id)
        return self._info(self.catalogue.get(calc_id))

    def log(self, calc_id: int, start: int = 0) -> list[str]:
        return [f"[{r.timestamp[11:19]} {r.level}] {r.message}"
                for r in self.catalogue.get_logs(calc_id, start)]

    def traceback(self, calc_id: int) -> str:
        self._check_worker(calc_id)
        return self.catalogue.get(calc_id).traceback or ""

    # -- running -----------------------------------------------------------------------------
    def submit(self, job_ini: str | Path) -> int:
        """Validate ``job_ini`` and start it in a worker process; return the calculation id.

        Raises
        ------
        InputError
            Invalid job; nothing is registered.
        """
        from toolkit.io.inputs import build_inputs, load_job
        from toolkit.jobs.worker import worker_argv

        path = Path(job_ini).expanduser().absolute()
        if path.is_dir():
            raise InputError(f"{path} is a directory; give the path of a job.ini file")
        if not path.is_file():
            raise InputError(f"job file {path} does not exist")
        params = load_job(path)
        build_inputs(params)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        calc_id = self.catalogue.create(
            params.description, params.calculation_mode, str(path), self.owner,
            hazard_calculation_id=getattr(params, "hazard_calculation_id", None))
        folder = self.settings.data_dir / "workers"
        stderr_path = folder / f"calc_{calc_id}.stderr"
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # the same toolkit as ours
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(stderr_path, "wb") as stderr:
                popen = subprocess.Popen(
                    worker_argv(calc_id, path, self.settings, self.owner),
                    stdin=subprocess.DEVNULL, stdout=stderr, stderr=subprocess.STDOUT,
                    start_new_session=True, close_fds=True, env=env)
        except OSError as exc:
            self.catalogue.fail(calc_id, f"cannot start a worker process: {exc}")
            raise ToolkitError(f"calculation {calc_id}: cannot start a worker process: "
                               f"{exc}") from None
        with self._lock:
            self._workers[calc_id] = (popen, stderr_path)
        try:  # the worker may be executing (and have set its pid) already
            self.catalogue.set_status(calc_id, "created", pid=popen.pid)
        except (InputError, NotFound):
            pass
        self.catalogue.add_log(calc_id, "INFO", f"started from a notebook in worker process "
                                                f"{popen.pid}: {path}")
        return calc_id

    def _check_worker(self, calc_id: int) -> None:
        """Mark ``failed`` a calculation whose worker exited without a final status."""
        with self._lock:
            entry = self._workers.get(calc_id)
            if entry is None:
                return
            popen, stderr_path = entry
            code = popen.poll()
            if code is None:
                return
            del self._workers[calc_id]
        try:
            tail = stderr_path.read_text("utf-8", "replace")[-_STDERR_TAIL:].strip()
            stderr_path.unlink()
        except OSError:
            tail = ""
        try:
            rec = self.catalogue.get(calc_id)
        except NotFound:
            return
        if not rec.is_final:
            how = (f"was killed by signal {-code}" if code < 0 else f"exited with status {code}")
            reason = (f"the worker process (pid {popen.pid}) of calculation {calc_id} {how} "
                      "before finishing")
            try:
                self.catalogue.fail(calc_id, reason + (f"\nits output ends with:\n{tail}"
                                                       if tail else ""))
                self.catalogue.add_log(calc_id, "ERROR", reason)
            except (InputError, NotFound):
                pass

    def abort(self, calc_id: int) -> bool:
        """Abort a running calculation: status ``aborted`` at once, SIGINT to its worker's
        process group, SIGKILL after ``abort_grace`` s; False if it had finished."""
        rec = self.catalogue.get(calc_id)
        if rec.is_final:
            return False
        try:
            self.catalogue.set_status(calc_id, "aborted")
        except InputError:
            return False
        self.catalogue.add_log(calc_id, "WARNING", "aborted from a notebook")
        with self._lock:
            entry = self._workers.get(calc_id)
        pid = entry[0].pid if entry else rec.pid
        if pid and pid > 0:
            try:
                group = os.getpgid(pid) == pid
                (os.killpg if group else os.kill)(pid, signal.SIGINT)
            except (ProcessLookupError, PermissionError):
                return True

            def kill() -> None:
                try:
                    (os.killpg if group else os.kill)(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                if entry:
                    entry[0].poll()

            timer = threading.Timer(self.abort_grace, kill)
            timer.daemon = True
            timer.start()
        return True

    def wait(self, calc_id: int, timeout: float = 120.0, poll: float = 0.1) -> str:
        """Wait for a final status and return it (:class:`TimeoutError` after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.info(calc_id)
            if info.is_final:
                return info.status
            if time.monotonic() > deadline:
                raise TimeoutError(f"calculation {calc_id} is still {info.status} after "
                                   f"{timeout} s")
            time.sleep(poll)

    # -- results -----------------------------------------------------------------------------
    def outputs(self, calc_id: int) -> Any:
        """The stored outputs of a complete calculation (HazardOutputs, GmfOutputs,
        RiskOutputs), cached."""
        from toolkit.jobs.runner import load_outputs
        from toolkit.store import open_reader

        if calc_id not in self._cache:
            rec = self.catalogue.get(calc_id)
            if rec.status != "complete":
                raise NotFound(f"calculation {calc_id} is {rec.status}: it has no results")
            with open_reader(self.settings.data_dir, calc_id) as reader:
                self._cache[calc_id] = load_outputs(reader)
        return self._cache[calc_id]

    def _title(self, calc_id: int) -> str:
        rec = self.catalogue.get(calc_id)
        return f"calculation {calc_id}: {rec.description}"

    def hazard_curves(self, calc_id: int) -> HazardCurves:
        from toolkit.widgets.adapters import hazard_from_outputs

        return hazard_from_outputs(self.outputs(calc_id), title=self._title(calc_id))

    def fields(self, calc_id: int) -> dict[str, FieldSeries]:
        from toolkit.widgets.adapters import fields_from_gmf

        return fields_from_gmf(self.outputs(calc_id))

    def damage(self, calc_id: int) -> DamageTable:
        from toolkit.widgets.adapters import damage_from_risk

        return damage_from_risk(self.outputs(calc_id))


# -- scenarios ----------------------------------------------------------------------------------
@contextmanager
def _locked(path: Path) -> Any:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_demo_data(settings: Settings | None = None, *, calculations: bool = True,
                     scenarios: bool = True) -> Settings:
    """Load the demo data into the settings' data directory unless it has them; return the
    settings. Safe to call from several processes at once (a file lock).

    - the demo calculations (:func:`toolkit.jobs.runner.load_demos`: classical, scenario);
    - the demo scenarios of the scenario catalogue
      (:func:`toolkit.scenarios.publish.load_demo_scenarios`: the demo flood, the demo
      earthquake scenario);
    - a second synthetic flood scenario (:data:`DEMO_FLOOD_B`), so that the comparison app
      has two floods to compare.
    """
    from toolkit.jobs.runner import load_demos

    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(settings.data_dir / ".notebook-demos.lock"):
        if calculations:
            load_demos(settings)
        if scenarios:
            from toolkit.scenarios.publish import import_threedi, load_demo_scenarios
            from toolkit.scenarios.synthetic import write_synthetic_pair
            from toolkit.store import Catalogue
            from toolkit.store.scenarios import ScenarioStore

            load_demo_scenarios(settings)
            name, params = DEMO_FLOOD_B
            with Catalogue(settings.catalogue_path) as catalogue:
                store = ScenarioStore(catalogue, settings.data_dir)
                if not store.count([("name", "exact", name)]):
                    with tempfile.TemporaryDirectory(dir=settings.data_dir) as tmp:
                        pair = write_synthetic_pair(tmp, **params)
                        import_threedi(store, pair.gridadmin, pair.results, name=name,
                                       supplier="demo", access_modifier="Public",
                                       description="Synthetic 3Di-like result pair written "
                                       f"by the toolkit (write_synthetic_pair {params}); not "
                                       "a real place",
                                       extra_metadata={"demo": "flood-b"})
    return settings


def _file_uri(path: Path) -> str:
    return path.absolute().as_uri()


class LocalScenarios:
    """:class:`~toolkit.widgets.protocol.ScenarioService` on the scenario catalogue of a data
    directory (:class:`toolkit.store.scenarios.ScenarioStore`, the one ``toolkit serve``
    publishes at ``/api/v4``); attachments are given as ``file://`` URIs."""

    def __init__(self, settings: Settings | None = None) -> None:
        from toolkit.store import Catalogue
        from toolkit.store.scenarios import ScenarioStore

        self.settings = settings or load_settings()
        self.location = f"in-process, data directory {self.settings.data_dir}"
        self.catalogue = Catalogue(self.settings.catalogue_path)
        self.store = ScenarioStore(self.catalogue, self.settings.data_dir)
        self._fields: dict[str, dict[str, FieldSeries]] = {}
        self._open: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<LocalScenarios {self.settings.data_dir}>"

    @staticmethod
    def _record(scenario: Any) -> dict[str, Any]:
        return {**asdict(scenario), "url": None}

    def scenarios(self, *, name: str = "", offset: int = 0, limit: int = 10) -> ScenarioPage:
        """One page of the scenarios whose name contains ``name`` (case-insensitive), by
        name."""
        lookups = [("name", "icontains", name.strip())] if name.strip() else []
        items = self.store.list(lookups, ordering=("name",), limit=limit, offset=offset)
        return ScenarioPage(items=[self._record(s) for s in items],
                            total=self.store.count(lookups), offset=offset, limit=limit)

    def scenario(self, uuid: str) -> dict[str, Any]:
        return self._record(self.store.get(uuid))

    def results(self, uuid: str) -> list[dict[str, Any]]:
        """The scenario's results with Lizard's fields; ``raster`` is the raster uuid,
        ``attachment_url`` a file URI."""
        self.store.get(uuid)
        items = []
        for r in self.store.list_results(uuid):
            path = self.store.path(r.file) if r.file else None
            items.append({"id": r.id, "url": None, "name": r.name, "code": r.code,
                          "description": r.description, "family": r.family,
                          "raster": r.raster_uuid,
                          "attachment_url": _file_uri(path) if path else None,
                          "upload_url": None, "path": str(path) if path else None})
        return items

    def _result(self, uuid: str, result: dict[str, Any] | str) -> dict[str, Any]:
        code = result if isinstance(result, str) else result.get("code")
        for item in self.results(uuid):
            if item["code"] == code:
                return item
        raise NotFound(f"scenario {uuid} has no result {code!r}")

    def download(self, uuid: str, result: dict[str, Any] | str, dest_dir: Path) -> Path:
        """Copy a result's attachment into ``dest_dir``; return the copy."""
        item = self._result(uuid, result)
        if not item.get("path"):
            raise NotFound(f"result {item['code']!r} of scenario {uuid} has no attachment"
                           + (" (it is a raster: preview it)" if item.get("raster") else ""))
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        name = self.store.get_result(uuid, item["id"]).filename or Path(item["path"]).name
        return Path(shutil.copy2(item["path"], dest / name))

    def raster(self, uuid: str, result: dict[str, Any] | str) -> RasterImage:
        """The first band of a raster result (maximum depth, arrival time, mean GMF ...)."""
        from toolkit.widgets.adapters import raster_from_geotiff

        item = self._result(uuid, result)
        if not item.get("raster"):
            raise InputError(f"result {item['code']!r} of scenario {uuid} is not a raster")
        record, _ = self.store.get_raster(item["raster"])
        if not record.file:
            raise NotFound(f"raster {record.uuid} of scenario {uuid} has no file yet")
        return raster_from_geotiff(self.store.path(record.file), name=item["name"],
                                   units=record.unit or None)

    def fields(self, uuid: str) -> dict[str, FieldSeries]:
        """Water depth over time (3Di scenarios, from the raw files), or the ground-motion
        fields (engine scenarios, from the datastore)."""
        from toolkit.scenarios.publish import raw_files
        from toolkit.scenarios.threedi import open_threedi
        from toolkit.widgets.adapters import depth_series

        if uuid in self._fields:
            return self._fields[uuid]
        raw = raw_files(self.store, uuid)
        if "grid-admin" in raw and "results-3di" in raw:
            result = open_threedi(raw["grid-admin"], raw["results-3di"])
            try:
                series = depth_series(result)
            except BaseException:
                result.close()
                raise
            if callable(series.values):
                self._open[uuid] = result  # read step by step: keep the files open
            else:
                result.close()
            fields = {series.name: series}
        else:
            fields = _engine_fields(self._outputs(uuid))
        self._fields[uuid] = fields
        return fields

    def _outputs(self, uuid: str) -> Any:
        from toolkit.jobs.runner import load_outputs
        from toolkit.store import Datastore

        datastore = [r for r in self.store.list_results(uuid, family="Raw")
                     if r.code == "datastore" and r.file]
        if not datastore:
            raise NotFound(f"scenario {uuid} has neither raw 3Di results nor a calculation "
                           "datastore: there is no field to show")
        with Datastore(self.store.path(datastore[0].file), "r") as reader:
            return load_outputs(reader)

    def damage(self, uuid: str) -> DamageTable | None:
        """The damage summary with the damage map (floods), the damage or losses (engine risk
        scenarios), or None."""
        from toolkit.widgets.adapters import damage_from_csv, damage_from_risk

        codes = {r["code"]: r for r in self.results(uuid)}
        name = self.scenario(uuid).get("name", uuid)
        if codes.get("damage-summary", {}).get("path"):
            table = damage_from_csv(codes["damage-summary"]["path"], title=f"Damage: {name}")
            if codes.get("total-damage", {}).get("raster"):
                table.raster = self.raster(uuid, "total-damage")
            return table
        if "damage-by-asset" in codes or "losses-by-asset" in codes:
            return damage_from_risk(self._outputs(uuid))
        return None

    def close(self) -> None:
        """Close the 3Di results kept open for large depth series."""
        for result in self._open.values():
            result.close()
        self._open.clear()
        self._fields.clear()


def _engine_fields(outputs: Any) -> dict[str, FieldSeries]:
    from toolkit.widgets.adapters import fields_from_gmf

    return fields_from_gmf(outputs)
