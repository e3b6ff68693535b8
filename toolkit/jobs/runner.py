"""Run a job.ini end to end in the calling process.

Order of work, so that bad input never leaves traces:

1. read and validate every input (job.ini, logic trees, source models, sites): an
   :class:`~toolkit.errors.InputError` here registers nothing;
2. register the calculation in the catalogue (status ``executing``);
3. compute, writing the datastore through a temporary file;
4. commit the datastore and mark the calculation ``complete`` -- or, on any error, discard
   the temporary file and mark it ``failed`` with the traceback;
5. export CSV files when an export directory is given.
"""

from __future__ import annotations

import getpass
import os
import traceback
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.config import Settings
from toolkit.errors import CalculationError, InputError, NotFound, StoreError, ToolkitError

__all__ = ["run_job", "demo_job_ini", "load_demos", "list_calculations", "describe_calculation",
           "export_calculation", "recover_vanished"]

DEMO = Path(__file__).resolve().parents[1] / "demos" / "classical" / "job.ini"


def demo_job_ini() -> Path:
    """The bundled demo classical job (a small synthetic model)."""
    return DEMO


#: the demo jobs ``toolkit serve --demo`` (``make run``) loads into an empty catalogue
DEMO_JOBS = (DEMO, DEMO.parents[1] / "scenario" / "job.ini")


def load_demos(settings: Settings) -> list[int]:
    """Run the demo jobs that the catalogue does not hold yet (complete); return their ids."""
    from toolkit.store import Catalogue

    done: set[str] = set()
    if settings.catalogue_path.exists():
        with Catalogue(settings.catalogue_path) as catalogue:
            done = {rec.job_ini for rec in catalogue.list(limit=None, status="complete")}
    return [run_job(job, settings, progress=False, owner="demo")
            for job in DEMO_JOBS if str(job.resolve()) not in done]


def _hazard_outputs(result: Any, individual_rlzs: bool) -> Any:
    """HazardOutputs of a ClassicalResult."""
    from toolkit.store import HazardOutputs

    return HazardOutputs(
        sites=result.sites,
        imtls={str(imt): levels for imt, levels in result.imtls.items()},
        investigation_time=result.investigation_time,
        realizations=list(result.realizations),
        curves_rlzs=result.curves_rlzs,
        curves_stats=result.curves_stats,
        poes=list(result.poes),
        maps_rlzs=result.maps_rlzs,
        maps_stats=result.maps_stats,
        individual_rlzs=individual_rlzs,
    )


def _gmf_outputs(result: Any, individual_rlzs: bool) -> Any:
    """GmfOutputs of a GmfResult (scenario, event based)."""
    from toolkit.store.gmf import GmfOutputs

    gmfs = result.gmfs
    order = np.lexsort((gmfs.site, gmfs.event))
    return GmfOutputs(
        mode=result.mode,
        sites=result.sites,
        imts=[str(imt) for imt in result.imts],
        realizations=list(result.realizations),
        investigation_time=result.investigation_time,
        ses_per_logic_tree_path=result.ses_per_logic_tree_path,
        ruptures=result.ruptures,
        events=result.events,
        gmf_event_id=np.asarray(gmfs.event, np.uint32)[order],
        gmf_site_id=np.asarray(gmfs.site, np.uint32)[order],
        gmf_gmv=np.asarray(gmfs.gmv, np.float32)[order],
        sig_inter=result.sig_inter,
        eps_inter=result.eps_inter,
        curves=(_hazard_outputs(result.curves, individual_rlzs)
                if result.curves is not None else None),
    )


def _risk_outputs(result: Any, individual_rlzs: bool) -> Any:
    """RiskOutputs of a RiskResult, with its hazard part as the store's outputs."""
    from toolkit.engine.hazard.calculators.gmfs import GmfResult
    from toolkit.store.risk import RiskOutputs

    hazard = result.hazard
    if isinstance(hazard, GmfResult):
        hazard = _gmf_outputs(hazard, individual_rlzs)
    elif hazard is not None:
        hazard = _hazard_outputs(hazard, individual_rlzs)
    return RiskOutputs(
        mode=result.mode, assets=result.assets, site_id=result.site_id,
        loss_types=result.loss_types, damage_states=result.damage_states,
        realizations=result.realizations, avg=result.avg, aggregates=result.aggregates,
        events=result.events, event_totals=result.event_totals,
        return_periods=result.return_periods, loss_curves=result.loss_curves,
        investigation_time=result.investigation_time,
        risk_investigation_time=result.risk_investigation_time,
        effective_time=result.effective_time,
        ses_per_logic_tree_path=result.ses_per_logic_tree_path,
        modal_damage_state=result.modal_damage_state, quantiles=result.quantiles,
        sites_from_csv=result.sites_from_csv, hazard=hazard,
        hazard_calculation_id=result.hazard_calculation_id, individual_rlzs=individual_rlzs)


#: risk modes -> the kind of hazard they take from ``hazard_calculation_id``
_PARENT_HAZARD = {"scenario_damage": "scenario", "scenario_risk": "scenario",
                  "event_based_risk": "event_based", "classical_risk": "classical",
                  "classical_damage": "classical"}


def parent_hazard(settings: Settings, calc_id: int, mode: str) -> Any:
    """The hazard of a previous calculation, as the engine's result object.

    ``GmfResult`` (scenario / event-based GMFs) or ``ClassicalResult`` (hazard curves) from
    the datastore of ``calc_id`` (or of its own ``hazard_calculation_id``, for a risk
    calculation that took its hazard from another one).

    Raises
    ------
    InputError
        ``calc_id`` does not exist, is not complete, or has no hazard of the kind ``mode``
        needs.
    """
    from toolkit.engine.hazard.calculators.classical import ClassicalResult
    from toolkit.engine.hazard.calculators.gmfs import GmfResult, GmfRows
    from toolkit.engine.hazard.imt import from_string
    from toolkit.store import Catalogue, load_gmf, load_hazard, open_reader

    where = f"hazard_calculation_id = {calc_id}"
    want = _PARENT_HAZARD.get(mode, "")
    seen: set[int] = set()
    current = calc_id
    while True:
        if not settings.catalogue_path.exists():
            raise InputError(f"{where}: there is no calculation {current} (no catalogue in "
                             f"{settings.data_dir})")
        with Catalogue(settings.catalogue_path) as catalogue:
            try:
                rec = catalogue.get(current)
            except NotFound:
                raise InputError(f"{where}: there is no calculation {current} in the "
                                 f"catalogue of {settings.data_dir}") from None
        if rec.status != "complete":
            raise InputError(f"{where}: calculation {current} is {rec.status}, not complete; "
                             "its hazard cannot be used")
        seen.add(current)
        with open_reader(settings.data_dir, current) as reader:
            if "gmf_data" in reader:
                outputs, kind = load_gmf(reader), "gmf"
            elif "hcurves-rlzs" in reader:
                outputs, kind = load_hazard(reader), "curves"
            else:
                parent = int(reader.get_attrs("/").get("hazard_calculation_id", 0) or 0)
                if parent and parent not in seen:
                    current = parent
                    continue
                raise InputError(f"{where}: calculation {current} ({rec.calculation_mode}) "
                                 "stored no ground-motion fields and no hazard curves")
        break
    if kind == "gmf" and want in ("scenario", "event_based") and outputs.mode == want:
        return GmfResult(
            mode=outputs.mode, sites=outputs.sites,
            imts=[from_string(i) for i in outputs.imts],
            realizations=[tuple(r) for r in outputs.realizations],
            investigation_time=outputs.investigation_time,
            ses_per_logic_tree_path=outputs.ses_per_logic_tree_path,
            ruptures=outputs.ruptures, events=outputs.events,
            gmfs=GmfRows(outputs.gmf_event_id.astype(np.int64),
                         outputs.gmf_site_id.astype(np.int64),
                         outputs.gmf_gmv.astype(np.float64)),
            sig_inter=outputs.sig_inter, eps_inter=outputs.eps_inter)
    if kind == "curves" and want == "classical":
        return ClassicalResult(
            sites=outputs.sites,
            imtls={from_string(k): v for k, v in outputs.imtls.items()},
            investigation_time=outputs.investigation_time,
            realizations=[tuple(r) for r in outputs.realizations],
            curves_rlzs=outputs.curves_rlzs, curves_stats=outputs.curves_stats,
            poes=list(outputs.poes), maps_rlzs=outputs.maps_rlzs,
            maps_stats=outputs.maps_stats)
    has = (f"{outputs.mode} ground-motion fields" if kind == "gmf" else "hazard curves")
    needs = {"scenario": "scenario ground-motion fields",
             "event_based": "event-based ground-motion fields",
             "classical": "hazard curves"}.get(want, "a hazard")
    raise InputError(f"{where}: calculation {current} ({rec.calculation_mode}) has {has}, but "
                     f"{mode} needs {needs}")


class _ResultWriter:
    """Adapter given to calculators: ``save(result)`` converts the engine's result into the
    store's outputs and writes them through the datastore writer."""

    def __init__(self, writer: Any, individual_rlzs: bool) -> None:
        self.writer = writer
        self.individual_rlzs = individual_rlzs
        self.outputs: Any = None

    def save(self, result: Any) -> None:
        from toolkit.engine.hazard.calculators.gmfs import GmfResult
        from toolkit.engine.risk.calculators import RiskResult, RiskWarning
        from toolkit.store import save_hazard

        if hasattr(result, "bins") and hasattr(result, "classical"):  # DisaggResult
            from toolkit.store.disagg import disagg_outputs, save_disagg

            self.outputs = disagg_outputs(
                result, _hazard_outputs(result.classical, self.individual_rlzs))
            save_disagg(self.writer, self.outputs)
        elif isinstance(result, RiskResult):
            from toolkit.store.risk import save_risk

            self.outputs = _risk_outputs(result, self.individual_rlzs)
            save_risk(self.writer, self.outputs)
            for message in result.messages:
                warnings.warn(message, RiskWarning, stacklevel=2)
        elif isinstance(result, GmfResult):
            # ground-motion fields only: their modules import scipy.linalg (correlation)
            from toolkit.engine.hazard.gmf import GmfWarning
            from toolkit.store.gmf import save_gmf

            self.outputs = _gmf_outputs(result, self.individual_rlzs)
            save_gmf(self.writer, self.outputs)
            for message in result.messages:
                warnings.warn(message, GmfWarning, stacklevel=2)
        else:
            self.outputs = _hazard_outputs(result, self.individual_rlzs)
            save_hazard(self.writer, self.outputs)


class _ProgressBar:
    """tqdm progress bar on stderr, updated from the calculator's progress callback."""

    def __init__(self, enabled: bool, description: str) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=100, desc=description, unit="%", leave=False,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

    def __call__(self, done: float, total: float, message: str) -> None:
        if self.bar is not None and total > 0:
            self.bar.n = round(100 * done / total, 1)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_job(
    job_ini: str | Path,
    settings: Settings,
    *,
    export_dir: str | Path | None = None,
    progress: bool = True,
    owner: str | None = None,
    calc_id: int | None = None,
    overrides: dict[str, str] | None = None,
) -> int:
    """Run the calculation described by ``job_ini``; return its calculation id.

    Parameters
    ----------
    job_ini : path
        An OpenQuake-format job file.
    settings : Settings
        Data directory and executor.
    export_dir : path, optional
        Export every output as CSV there (the job.ini's own ``export_dir`` is ignored).
    progress : bool
        Show a progress bar on stderr.
    owner : str, optional
        User name recorded in the catalogue (default: the login name).
    calc_id : int, optional
        Run as this calculation, already registered in the catalogue (status ``created``, by
        a server that queued it); by default a new calculation is registered.
    overrides : dict of str -> str, optional
        job.ini values to replace, e.g. ``{"hazard_calculation_id": "3"}``.

    Raises
    ------
    InputError
        Invalid inputs; nothing is registered or written.
    CalculationError
        The calculation failed; it is registered as ``failed`` with its traceback.
    """
    from toolkit.engine.executor import get_executor
    from toolkit.engine.hazard.calculators import calculators
    from toolkit.io.inputs import build_inputs, input_files, load_job
    from toolkit.store import Catalogue, ExportMeta, input_checksum, open_writer

    job_ini = Path(job_ini)
    if job_ini.is_dir():
        raise InputError(f"{job_ini} is a directory; give the path of a job.ini file")
    if not job_ini.is_file():
        raise InputError(f"job file {job_ini} does not exist")
    params = load_job(job_ini, overrides=overrides)
    inputs = build_inputs(params)
    parent = getattr(inputs, "hazard_calculation_id", None)
    if parent is not None and getattr(inputs, "hazard", None) is None:
        inputs.hazard = parent_hazard(settings, int(parent), params.calculation_mode)
    checksum = input_checksum(input_files(params))
    _make_dir(settings.data_dir, "data directory")
    if export_dir is not None:
        _make_dir(Path(export_dir), "export directory")
    start = datetime.now(UTC).replace(microsecond=0)
    with Catalogue(settings.catalogue_path) as catalogue:
        recover_vanished(catalogue, settings)
        if calc_id is None:
            calc_id = catalogue.create(params.description, params.calculation_mode,
                                       str(job_ini.resolve()), owner or _user(),
                                       hazard_calculation_id=parent)
        datastore = settings.data_dir / f"calc_{calc_id}.hdf5"
        catalogue.set_status(calc_id, "executing", datastore=str(datastore), pid=os.getpid())
        bar = _ProgressBar(progress, f"calc {calc_id} {params.calculation_mode}")

        def on_progress(done: float, total: float, message: str) -> None:
            bar(done, total, message)
            try:  # bookkeeping only: a busy catalogue must not fail the calculation
                catalogue.set_progress(calc_id, min(done / total, 1.0) if total else 0.0)
            except StoreError:
                pass

        individual = bool(params.individual_rlzs)
        try:
            with open_writer(settings.data_dir, calc_id) as writer:
                writer.set_json("oqparam", {**params.raw, "calculation_mode":
                                            params.calculation_mode})
                writer.set_attrs("/", checksum=checksum,
                                 start_date=start.strftime("%Y-%m-%dT%H:%M:%S"),
                                 job_ini=str(job_ini.resolve()))
                sink = _ResultWriter(writer, individual)
                with get_executor(settings.executor, settings.num_workers) as executor:
                    mode = ("disaggregation" if hasattr(inputs, "disagg")
                            else params.calculation_mode)  # classical with poes_disagg
                    calculator = calculators.get(mode)(inputs, sink, executor, on_progress)
                    calculator.run()
        except BaseException as exc:
            bar.close()
            tb = traceback.format_exc()
            try:
                if isinstance(exc, KeyboardInterrupt):
                    catalogue.set_status(calc_id, "aborted", traceback=tb)
                    catalogue.add_log(calc_id, "WARNING", "aborted by the user (interrupt)")
                else:
                    catalogue.fail(calc_id, tb)
                    catalogue.add_log(calc_id, "ERROR", f"{type(exc).__name__}: {exc}")
            except ToolkitError as book:  # never hide the original error
                exc.add_note(f"(could not record the failure in the catalogue: {book})")
            if isinstance(exc, KeyboardInterrupt):
                raise
            if isinstance(exc, ToolkitError) and not isinstance(exc, InputError):
                raise
            raise CalculationError(
                f"calculation {calc_id} ({job_ini}) failed: {type(exc).__name__}: {exc}"
            ) from exc
        bar.close()
        size_mb = datastore.stat().st_size / 1e6
        # logged before the status flips, so a client that reads the log once it sees
        # "complete" always finds this line
        catalogue.add_log(calc_id, "INFO", f"complete; datastore {datastore}")
        catalogue.set_status(calc_id, "complete", size_mb=size_mb)
    if export_dir is not None:
        try:
            export_outputs(calc_id, sink.outputs, export_dir,
                           ExportMeta(checksum=checksum, start_date=start))
        except ToolkitError as exc:
            raise StoreError(f"calculation {calc_id} is complete, but its export failed: {exc}; "
                             f"retry with `toolkit export {calc_id} --export-dir DIR`") from exc
    return calc_id


def _make_dir(path: Path, what: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the {what} {path}: {exc.strerror or exc}") from None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def recover_vanished(catalogue: Any, settings: Settings) -> list[int]:
    """Mark ``failed`` the calculations left ``executing`` by a process that no longer exists
    (killed, machine restarted), and remove their temporary datastore files.

    Returns the ids that were recovered.
    """
    recovered = []
    for rec in catalogue.list(limit=10_000, status="executing"):
        if rec.pid == os.getpid() or _alive(rec.pid):
            continue
        catalogue.fail(rec.id, f"the process running calculation {rec.id} (pid {rec.pid}) "
                               "vanished before it finished")
        for suffix in (".hdf5.tmp", ".hdf5.lock"):
            (settings.data_dir / f"calc_{rec.id}{suffix}").unlink(missing_ok=True)
        recovered.append(rec.id)
    return recovered


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "local"


def list_calculations(settings: Settings, limit: int = 100) -> list[Any]:
    """The most recent calculations in the catalogue, newest first."""
    from toolkit.store import Catalogue

    if not settings.catalogue_path.exists():
        return []
    with Catalogue(settings.catalogue_path) as catalogue:
        recover_vanished(catalogue, settings)
        return catalogue.list(limit=limit)


def describe_calculation(settings: Settings, calc_id: int) -> str:
    """A short human-readable description of one calculation."""
    from toolkit.store import Catalogue

    if not settings.catalogue_path.exists():
        raise NotFound(f"calculation {calc_id} not found (no catalogue in {settings.data_dir})")
    with Catalogue(settings.catalogue_path) as catalogue:
        rec = catalogue.get(calc_id)
    lines = [f"{name}: {getattr(rec, name)}" for name in (
        "id", "description", "calculation_mode", "status", "owner", "start_time", "stop_time",
        "job_ini", "datastore", "size_mb")]
    if rec.traceback:
        lines.append("traceback:\n" + rec.traceback)
    return "\n".join(lines)


def load_outputs(reader: Any) -> Any:
    """The outputs stored in a datastore: HazardOutputs (classical) or GmfOutputs."""
    from toolkit.store import load_hazard
    from toolkit.store.gmf import load_gmf

    mode = (reader.get_json("oqparam") or {}).get("calculation_mode", "classical")
    if "disagg_meta" in reader:
        from toolkit.store.disagg import load_disagg

        return load_disagg(reader)
    if "risk_meta" in reader:
        from toolkit.store.risk import load_risk

        return load_risk(reader)
    if mode in ("scenario", "event_based"):
        return load_gmf(reader)
    return load_hazard(reader)


def export_outputs(calc_id: int, outputs: Any, export_dir: str | Path, meta: Any) -> list[Path]:
    """Export every output of a calculation as CSV in OpenQuake's formats."""
    from toolkit.store import export_all
    from toolkit.store.gmf import GmfOutputs
    from toolkit.store.gmf_exporters import export_gmf
    from toolkit.store.risk import RiskOutputs

    if isinstance(outputs, RiskOutputs):
        from toolkit.store.risk_exporters import export_risk

        return export_risk(calc_id, outputs, Path(export_dir), meta)
    if isinstance(outputs, GmfOutputs):
        return export_gmf(calc_id, outputs, Path(export_dir), meta)
    from toolkit.store.disagg import DisaggOutputs, export_disagg

    if isinstance(outputs, DisaggOutputs):
        return (export_all(calc_id, outputs.hazard, export_dir, meta)
                + export_disagg(outputs, calc_id, Path(export_dir), meta.resolved()))
    return export_all(calc_id, outputs, export_dir, meta)


def export_calculation(settings: Settings, calc_id: int, export_dir: str | Path) -> list[Path]:
    """Export every output of a completed calculation as CSV into ``export_dir``."""
    from toolkit.store import Catalogue, ExportMeta, open_reader

    with Catalogue(settings.catalogue_path) as catalogue:
        rec = catalogue.get(calc_id)
    if rec.status != "complete":
        raise InputError(f"calculation {calc_id} is {rec.status}, not complete: nothing to export")
    with open_reader(settings.data_dir, calc_id) as reader:
        attrs = reader.get_attrs("/")
        outputs = load_outputs(reader)
        meta = ExportMeta(checksum=int(attrs.get("checksum", 0)),
                          start_date=str(attrs.get("start_date", "")) or None)
        return export_outputs(calc_id, outputs, export_dir, meta)
