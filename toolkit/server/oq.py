"""``/v1``: the OpenQuake engine WebAPI (3.26.2), route by route.

Paths, methods, parameters, status codes and JSON shapes are those measured on the real server
(``shared/reference/openquake/NOTES.md`` section 4 and ``api/``), except where that server is
buggy; ``docs/server.md`` lists every deliberate difference. Routes raise
:mod:`toolkit.errors` exceptions; :mod:`toolkit.server.errors` turns them into OpenQuake's
error shapes (``{"error": ...}``; ``{"traceback": [...], "job_id": null}`` for a refused run).

Calculation ids in paths are parsed by the routes, so that a non-numeric or absurd id is a
404 with a JSON body (not a validation error).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import warnings
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from toolkit.errors import InputError, NotFound, ToolkitError, UnknownName
from toolkit.server import schemas
from toolkit.server.auth import current_user, require_owner
from toolkit.server.errors import (
    PayloadTooLarge,
    PermissionDenied,
    RunRefused,
    UnsupportedExportType,
    ValidationFailed,
    error_line,
)
from toolkit.server.outputs import available_outputs, export_output, output_id, split_output_id
from toolkit.server.uploads import (
    INPUTS_DIRNAME,
    UploadedFile,
    adler32_head,
    set_job_parameter,
    store_upload,
)
from toolkit.store.catalogue import CalcRecord, User
from toolkit.store.datastore import datastore_path, open_reader

__all__ = ["router", "calc_public", "display_status"]

router = APIRouter(prefix="/v1", tags=["openquake"])

#: The user of a request (a FastAPI dependency).
CurrentUser = Annotated[User, Depends(current_user)]

_ID = re.compile(r"[0-9]{1,15}")
_SPEC = re.compile(r"[-/_.\w]{1,200}", re.ASCII)
_LOG_RANGE = re.compile(r"([0-9]{0,15}):([0-9]{0,15})")


# -- helpers ----------------------------------------------------------------------------------
def _route(path: str, *also: str, **kwargs: Any) -> Any:
    """``@router.get(path)``, also answering the methods ``also`` (HEAD, POST) under the same
    path without a second entry in the OpenAPI schema."""

    def decorator(fn: Any) -> Any:
        router.add_api_route(path, fn, methods=["GET"], **kwargs)
        for method in also:
            router.add_api_route(path, fn, methods=[method], include_in_schema=False,
                                 **{k: v for k, v in kwargs.items() if k != "responses"})
        return fn

    return decorator


def _state(request: Request) -> Any:
    return request.app.state.toolkit


def _calc_id(text: str) -> int:
    """A calculation id from a path; NotFound (404) if it is not a plain number."""
    if not _ID.fullmatch(text):
        raise NotFound(f"calculation {text!r} not found")
    return int(text)


def _calc(request: Request, text: str, user: User) -> CalcRecord:
    """The record of the calculation ``text`` if ``user`` may see it, else NotFound."""
    return _state(request).catalogue.get(_calc_id(text), visible_to=user)


def _dt(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _list_time(rec: CalcRecord) -> str:
    when = _dt(rec.start_time) or _dt(rec.created)
    return when.strftime("%Y-%m-%d, %H:%M:%S UTC") if when else ""


def _info_time(text: str | None) -> str | None:
    return text.replace("T", " ", 1) if text else None


def display_status(rec: CalcRecord) -> str:
    """The status OpenQuake shows: ``shared`` for a shared complete calculation."""
    return "shared" if rec.shared and rec.status == "complete" else rec.status


def _tags(rec: CalcRecord) -> str | None:
    if not rec.tags:
        return None
    return ", ".join(f"{t}★" if t in rec.preferred_tags else t for t in rec.tags)


def calc_public(rec: CalcRecord, base: str) -> dict[str, Any]:
    """One item of ``/v1/calc/list`` (and the body of ``/v1/calc/:id/status``)."""
    return {
        "id": rec.id,
        "owner": rec.owner,
        "calculation_mode": rec.calculation_mode,
        "status": display_status(rec),
        "is_running": rec.is_running,
        "description": rec.description,
        "url": f"{base}/v1/calc/{rec.id}",
        "parent_id": rec.hazard_calculation_id,
        "abortable": rec.is_running,
        "size_mb": rec.size_mb,
        "start_time": _list_time(rec),
        "relevant": rec.relevant,
        "tags": _tags(rec),
    }


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _created_body(state: Any, rec: CalcRecord) -> dict[str, Any]:
    created = _dt(rec.created)
    return {
        "description": rec.description,
        "user_name": rec.owner,
        "calculation_mode": rec.calculation_mode,
        "hazard_calculation_id": rec.hazard_calculation_id,
        "status": display_status(rec),
        "is_running": rec.is_running,
        "start_time": created.strftime("%Y-%m-%dT%H:%M:%S") if created else "",
        "stop_time": _info_time(rec.stop_time),
        "relevant": rec.relevant,
        "ds_calc_dir": str(state.settings.data_dir / f"calc_{rec.id}"),
        "pid": rec.pid or 0,
        "size_mb": rec.size_mb,
        "host": state.host,
        "workflow_id": None,
        "job_id": rec.id,
    }


def _quietly(state: Any, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Call ``fn`` collecting the warnings it emits (job.ini readers warn about unknown keys);
    serialised, because :func:`warnings.catch_warnings` changes process-wide state."""
    with state.submit_lock, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, [str(w.message) for w in caught]


def _check_job(job_ini: Path) -> Any:
    """Read and validate a job and all its inputs (what ``validate_*`` report on)."""
    from toolkit.io.inputs import build_inputs, load_job

    params = load_job(job_ini)
    build_inputs(params)
    return params


# -- version, GSIMs, defaults -----------------------------------------------------------------
@router.get("/engine_version", response_class=HTMLResponse,
            dependencies=[Depends(current_user)])
async def engine_version() -> HTMLResponse:
    """The OpenQuake API version implemented (``3.26.2``); the toolkit's own version is in the
    ``X-Toolkit-Version`` header of every response."""
    return HTMLResponse(schemas.OQ_API_VERSION)


@router.get("/engine_latest_version", response_class=HTMLResponse,
            dependencies=[Depends(current_user)])
async def engine_latest_version() -> HTMLResponse:
    """``None``: the server never calls out to the internet (OpenQuake answers ``None`` when
    offline)."""
    return HTMLResponse("None")


@router.get("/available_gsims", response_model=list[str], dependencies=[Depends(current_user)])
def available_gsims() -> JSONResponse:
    """Names of the ground-motion models the engine implements."""
    from toolkit.api import available_gsims as names

    return JSONResponse(names())


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return [_json_default(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_default(v) for k, v in value.items()}
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@router.get("/ini_defaults", response_model=dict[str, Any],
            dependencies=[Depends(current_user)])
def ini_defaults() -> JSONResponse:
    """Default values of the job.ini parameters the toolkit implements."""
    from toolkit.io.jobini import KNOWN_KEYS, JobParams

    out: dict[str, Any] = {}
    for f in dataclasses.fields(JobParams):
        if f.name not in KNOWN_KEYS:
            continue
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            continue
        out[f.name] = _json_default(value)
    return JSONResponse(dict(sorted(out.items())))


# -- NRML validation, shared filesystem -------------------------------------------------------
def _validate_nrml(path: Path) -> None:
    """Read an NRML file with the toolkit reader of its root element (InputError if invalid)."""
    from toolkit.io.nrml import read_nrml

    content, _ = read_nrml(path)
    tag = content.tag
    if tag == "sourceModel":
        from types import SimpleNamespace

        from toolkit.io.nrml import read_source_model

        # the job parameters a source model needs, at values that accept any valid model
        params = SimpleNamespace(rupture_mesh_spacing=5.0, area_source_discretization=10.0,
                                 width_of_mfd_bin=0.1)
        read_source_model(path, params=params)
    elif tag == "logicTree":
        from toolkit.io.logictree import read_gsim_logic_tree, read_source_model_logic_tree

        kinds = {c.attrib.get("uncertaintyType", "") for c in _walk(content)}
        if "gmpeModel" in kinds:
            read_gsim_logic_tree(path)
        else:
            try:
                read_source_model_logic_tree(path)
            except InputError as exc:  # the referenced source models cannot be uploaded here
                if "refers to a missing source-model file" not in str(exc):
                    raise
    elif tag == "exposureModel":
        from toolkit.io.exposure import read_exposure

        read_exposure(path)
    elif tag in ("fragilityModel", "vulnerabilityModel"):
        from toolkit.io.riskmodels import LOSS_TYPES, read_fragility_model, read_vulnerability_model

        category = content.attrib.get("lossCategory", "").strip()
        loss_type = category if category in LOSS_TYPES else "structural"
        if tag == "fragilityModel":
            read_fragility_model(path, loss_type)
        else:
            read_vulnerability_model(path, loss_type)
    elif tag in ("singlePlaneRupture", "multiPlanesRupture", "simpleFaultRupture",
                 "complexFaultRupture"):
        from toolkit.io.ruptures import read_rupture_model

        read_rupture_model(path, 5.0)
    else:
        raise InputError(f"{content.where}: the toolkit cannot validate <{tag}> documents "
                         "(sourceModel, logicTree, exposureModel, fragilityModel, "
                         "vulnerabilityModel and ruptures are supported)")


def _walk(node: Any) -> list[Any]:
    out = [node]
    for child in node.children:
        out.extend(_walk(child))
    return out


def _valid_response(state: Any, run: Any, *args: Any, label: tuple[str, str] | None = None
                    ) -> JSONResponse:
    try:
        _quietly(state, run, *args)
    except ToolkitError as exc:
        message = str(exc)
        if label is not None:
            message = message.replace(*label)
        return JSONResponse({"error_msg": message, "error_line": error_line(message),
                             "valid": False})
    except (RecursionError, MemoryError, UnicodeError, ValueError) as exc:
        return JSONResponse({"error_msg": f"{type(exc).__name__}: {exc}", "error_line": None,
                             "valid": False})
    return JSONResponse({"error_msg": None, "error_line": None, "valid": True})


def _valid_nrml(request: Request, xml_text: str | None) -> JSONResponse:
    if xml_text is None:
        raise ValidationFailed('Please provide the "xml_text" parameter')
    state = _state(request)
    with tempfile.TemporaryDirectory(prefix="toolkit-valid-") as tmp:
        path = Path(tmp) / "xml_text.xml"
        path.write_text(xml_text, encoding="utf-8", errors="surrogateescape")
        return _valid_response(state, _validate_nrml, path, label=(str(path), "xml_text"))


@router.post("/valid/", response_model=schemas.ValidationResult)
def valid_nrml(request: Request, user: CurrentUser,
               xml_text: Annotated[str | None, Form()] = None) -> JSONResponse:
    """Validate an NRML document given as the form field ``xml_text``: 200 with
    ``{"error_msg", "error_line", "valid"}`` (invalid NRML is still a 200)."""
    return _valid_nrml(request, xml_text)


@router.post("/valid/{suffix:path}", response_model=schemas.ValidationResult,
             include_in_schema=False)
def valid_nrml_suffix(request: Request, suffix: str, user: CurrentUser,
                      xml_text: Annotated[str | None, Form()] = None) -> JSONResponse:
    """As ``/v1/valid/`` (OpenQuake's route accepts any suffix)."""
    return _valid_nrml(request, xml_text)


@router.post("/on_same_fs", response_model=schemas.SameFs)
def on_same_fs(user: CurrentUser, filename: Annotated[str | None, Form()] = None,
               checksum: Annotated[str | None, Form()] = None) -> JSONResponse:
    """Whether the server sees the file ``filename`` with the Adler-32 ``checksum`` of its
    first 32 bytes (so client and server share a filesystem)."""
    if filename is None or checksum is None:
        raise InputError("on_same_fs needs the form fields 'filename' and 'checksum'")
    try:
        expected = int(checksum)
    except ValueError:
        raise InputError(f"checksum={checksum!r}: expected an integer") from None
    try:
        same = "\x00" not in filename and adler32_head(Path(filename)) == expected
    except (OSError, ValueError):
        same = False
    return JSONResponse({"success": same})


# -- listing ----------------------------------------------------------------------------------
@router.get("/calc/list", response_model=list[schemas.CalcPublic])
def calc_list(
    request: Request,
    user: CurrentUser,
    calculation_mode: str | None = None,
    is_running: bool | None = None,
    limit: Annotated[int, Query(ge=0, le=1_000_000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**12)] = 0,
    order_by: str = "id",
    order_dir: str = "DESC",
    user_name_like: str | None = None,
    start_time: str | None = None,
    include_shared: bool = True,
    preferred_only: bool = False,
    filter_by_tag: str | None = None,
    relevant: bool | None = None,
) -> JSONResponse:
    """The calculations the user may see, newest first (OpenQuake's filters)."""
    catalogue = _state(request).catalogue
    since = None
    if start_time:
        since = _dt(start_time)
        if since is None:
            raise InputError(f"start_time={start_time!r}: expected an ISO date or time")
        if since.tzinfo is None:
            since = since.replace(tzinfo=datetime.now().astimezone().tzinfo)
    post = since is not None or (not include_shared and not user.is_admin)
    records = catalogue.list(
        None if post else limit, 0 if post else offset, mode=calculation_mode,
        visible_to=user, tag=filter_by_tag, preferred_only=preferred_only,
        is_running=is_running, relevant=relevant, user_name_like=user_name_like,
        order_by=order_by, order_dir=order_dir)
    if post:
        if not include_shared and not user.is_admin:
            records = [r for r in records if r.owner == user.name]
        if since is not None:
            records = [r for r in records
                       if (t := _dt(r.start_time) or _dt(r.created)) is not None and t >= since]
        records = records[offset:offset + limit]
    base = _base(request)
    return JSONResponse([calc_public(r, base) for r in records])


@router.get("/calc/list_tags", response_model=schemas.TagList)
def list_tags(request: Request, user: CurrentUser) -> JSONResponse:
    """Every tag name."""
    return JSONResponse({"success": "ok", "tags": _state(request).catalogue.list_tags()})


@_route("/calc/create_tag/{tag}", "POST", response_model=schemas.Success)
def create_tag(request: Request, tag: str, user: CurrentUser) -> JSONResponse:
    """Create a tag (OpenQuake: GET)."""
    created = _state(request).catalogue.create_tag(tag)
    word = "was created" if created else "already exists"
    return JSONResponse({"success": f"Tag {tag} {word}"})


@_route("/calc/delete_tag/{tag}", "POST", response_model=schemas.Success)
def delete_tag(request: Request, tag: str, user: CurrentUser) -> JSONResponse:
    """Delete a tag (administrators only in restricted mode)."""
    if not user.is_admin:
        raise PermissionDenied(f"only administrators may delete tags; you are {user.name}")
    _state(request).catalogue.delete_tag(tag)
    return JSONResponse({"success": f"Tag {tag} was deleted"})


@_route("/calc/unset_preferred_job_for_tag/{tag}", "POST", response_model=schemas.Success)
def unset_preferred(request: Request, tag: str, user: CurrentUser
                    ) -> JSONResponse:
    """The tag has no preferred calculation any more."""
    catalogue = _state(request).catalogue
    current = catalogue.get_preferred(tag)
    if current is not None:
        require_owner(catalogue.get(current, visible_to=user), user, "change the tags of")
    catalogue.unset_preferred(tag)
    return JSONResponse({"success": f"Tag {tag} has no preferred job now"})


@router.get("/calc/get_preferred_job_for_tag/{tag}", response_model=schemas.PreferredJob)
def get_preferred(request: Request, tag: str, user: CurrentUser
                  ) -> JSONResponse:
    """The preferred calculation of a tag (``job_id`` null when none is visible)."""
    catalogue = _state(request).catalogue
    job = catalogue.get_preferred(tag)
    if job is not None:
        try:
            catalogue.get(job, visible_to=user)
        except NotFound:
            job = None
    return JSONResponse({"success": "ok", "job_id": job})


@router.get("/calc/jobs_from_inis", response_model=dict[str, Any])
def jobs_from_inis(request: Request, user: CurrentUser,
                   ini: Annotated[list[str] | None, Query()] = None) -> JSONResponse:
    """For each job.ini path on the server, the id of a complete calculation with the same
    input checksum (0 if none)."""
    from toolkit.io.inputs import input_files, load_job
    from toolkit.store import input_checksum

    _admin_only(request, user, "read job files on the server")
    state = _state(request)
    known = _checksums(state, user)
    ids, errors = [], []
    for path in ini or []:
        try:
            params, _ = _quietly(state, load_job, Path(path))
            checksum = input_checksum(input_files(params))
        except (ToolkitError, OSError, ValueError) as exc:
            ids.append(0)
            errors.append(str(exc))
            continue
        ids.append(known.get(checksum, 0))
    return JSONResponse({"success": ids, "error": "; ".join(errors)})


def _checksums(state: Any, user: User) -> dict[int, int]:
    """Input checksum -> latest complete calculation visible to ``user``."""
    cache: dict[int, int] = state.__dict__.setdefault("checksum_cache", {})
    out: dict[int, int] = {}
    for rec in state.catalogue.list(None, status="complete", visible_to=user,
                                    order_dir="ASC"):
        if rec.id not in cache:
            try:
                with open_reader(state.settings.data_dir, rec.id) as reader:
                    cache[rec.id] = int(reader.get_attrs("/").get("checksum", -1))
            except (ToolkitError, OSError):
                continue
        out[cache[rec.id]] = rec.id
    return out


def _admin_only(request: Request, user: User, action: str) -> None:
    if _state(request).settings.auth_mode == "restricted" and not user.is_admin:
        raise PermissionDenied(f"only administrators may {action}; you are {user.name}")


# -- running jobs -----------------------------------------------------------------------------
def _uploads(archive: list[UploadFile] | None) -> list[UploadedFile]:
    return [UploadedFile(f.filename or "", f.file) for f in (archive or [])]


def _hazard_id(request: Request, text: str | None, user: User) -> int | None:
    if text is None or text.strip() == "":
        return None
    if not _ID.fullmatch(text.strip()):
        raise InputError(f"hazard_job_id={text!r}: expected a calculation id")
    return _state(request).catalogue.get(int(text), visible_to=user).id


def _submit(request: Request, job_ini: Path, user: User, hazard_id: int | None,
            input_dir: Path | None) -> dict[str, Any]:
    state = _state(request)
    calc_id, messages = _quietly(state, state.manager.submit, job_ini, owner=user.name,
                                 hazard_calculation_id=hazard_id, input_dir=input_dir)
    for message in messages:
        try:
            state.catalogue.add_log(calc_id, "WARNING", message, process="server")
        except ToolkitError:
            break
    return _created_body(state, state.catalogue.get(calc_id))


def _run_upload(request: Request, files: list[UploadedFile], suffix: str, user: User,
                hazard: str | None) -> dict[str, Any]:
    state = _state(request)
    try:
        hazard_id = _hazard_id(request, hazard, user)
        upload = store_upload(files, state.settings, suffix=suffix)
    except (ToolkitError, OSError, PayloadTooLarge) as exc:
        raise RunRefused(exc) from exc
    try:
        if hazard_id is not None:  # OpenQuake passes hazard_job_id to the job
            set_job_parameter(upload.job_ini, "hazard_calculation_id", hazard_id)
        return _submit(request, upload.job_ini, user, hazard_id, upload.directory)
    except BaseException as exc:
        shutil.rmtree(upload.directory, ignore_errors=True)
        if isinstance(exc, (ToolkitError, OSError)):
            raise RunRefused(exc) from exc
        raise


@router.post("/calc/run", response_model=schemas.CalcCreated,
             responses={400: {"model": schemas.RunErrorBody},
                        413: {"model": schemas.RunErrorBody}})
async def calc_run(
    request: Request,
    user: CurrentUser,
    archive: Annotated[list[UploadFile] | None, File()] = None,
    job_ini: Annotated[str | None, Form()] = None,
    hazard_job_id: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Run a job uploaded in the field ``archive`` (one zip, or the job files themselves).

    ``job_ini`` picks the job file by the end of its name (default ``.ini``, or ``risk.ini``
    with ``hazard_job_id``). The job is validated before it is registered: bad input is a 400
    ``{"traceback": [lines], "job_id": null}`` and registers nothing.
    """
    files = _uploads(archive)
    if not files:
        raise RunRefused(InputError(
            "no input files: upload a zip archive or the job files in the form field "
            "'archive'"))
    suffix = job_ini or ("risk.ini" if hazard_job_id else ".ini")
    body = await run_in_threadpool(_run_upload, request, files, suffix, user, hazard_job_id)
    return JSONResponse(body)


@router.post("/calc/run_ini", response_model=schemas.CalcCreated,
             responses={400: {"model": schemas.RunErrorBody}})
def calc_run_ini(request: Request, user: CurrentUser,
                 job_ini: Annotated[str | None, Form()] = None,
                 hazard_job_id: Annotated[str | None, Form()] = None) -> JSONResponse:
    """Run a job.ini that is already on the server (``job_ini`` = its absolute path;
    administrators only in restricted mode)."""
    _admin_only(request, user, "run job files on the server")
    if not job_ini:
        raise RunRefused(InputError("run_ini needs the form field 'job_ini' (a path on the "
                                    "server)"))
    path = Path(job_ini)
    try:
        if "\x00" in job_ini or not path.is_absolute() or not path.is_file():
            raise InputError(f"File not found: {job_ini} (give an absolute path on the server)")
        # the parent overrides the file's hazard_calculation_id (the file is not modified)
        hazard_id = _hazard_id(request, hazard_job_id, user)
        return JSONResponse(_submit(request, path, user, hazard_id, None))
    except (ToolkitError, OSError) as exc:
        raise RunRefused(exc) from exc


def _validate_upload(request: Request, files: list[UploadedFile], suffix: str) -> JSONResponse:
    state = _state(request)
    directory = Path(tempfile.mkdtemp(prefix="validate-",
                                      dir=_tmp_root(state.settings.data_dir)))
    try:
        try:
            upload = store_upload(files, state.settings, suffix=suffix, directory=directory)
        except InputError as exc:
            return JSONResponse({"error_msg": str(exc), "error_line": None, "valid": False})
        return _valid_response(state, _check_job, upload.job_ini,
                               label=(str(directory) + "/", ""))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _tmp_root(data_dir: Path) -> Path:
    path = data_dir / INPUTS_DIRNAME
    path.mkdir(parents=True, exist_ok=True)
    return path


@router.post("/calc/validate_zip", response_model=schemas.ValidationResult)
async def validate_zip(request: Request, user: CurrentUser,
                       archive: Annotated[list[UploadFile] | None, File()] = None,
                       job_ini: Annotated[str | None, Form()] = None) -> JSONResponse:
    """Validate an uploaded job (``archive``: a zip, or the job files) without running it."""
    files = _uploads(archive)
    if not files:
        raise ValidationFailed("Missing archive file")
    return await run_in_threadpool(_validate_upload, request, files, job_ini or ".ini")


@router.post("/calc/validate_ini", response_model=schemas.ValidationResult)
async def validate_ini(request: Request, user: CurrentUser,
                       job_ini: Annotated[UploadFile | None, File()] = None,
                       archive: Annotated[list[UploadFile] | None, File()] = None
                       ) -> JSONResponse:
    """Validate an uploaded job.ini (field ``job_ini``); the files it refers to may come along
    in ``archive``, otherwise they are reported missing."""
    if job_ini is None:
        raise ValidationFailed("Missing job_ini file")
    main = UploadedFile(job_ini.filename or "job.ini", job_ini.file)
    name = Path((job_ini.filename or "job.ini").replace("\\", "/")).name or "job.ini"
    files = [main, *_uploads(archive)]
    return await run_in_threadpool(_validate_upload, request, files, name)


# -- one calculation --------------------------------------------------------------------------
@_route("/calc/result/{output}", "HEAD",
        responses={200: {"content": {"text/plain": {}, "application/x-zip": {}}}})
def calc_result(request: Request, output: str, user: CurrentUser,
                export_type: str | None = None, dload: str | None = None) -> Response:
    """Download an output (ids from ``/v1/calc/:id/results``) as ``export_type`` (default:
    its first type, ``csv``): one file as ``text/plain``, several zipped
    (``application/x-zip``); ``Content-Disposition`` names ``output-<id>-<file>``."""
    if not _ID.fullmatch(output):
        raise NotFound(f"output {output!r} not found")
    oid = int(output)
    calc_id, k = split_output_id(oid)
    state = _state(request)
    try:
        state.catalogue.get(calc_id, visible_to=user)
        reader = open_reader(state.settings.data_dir, calc_id)
    except NotFound:
        raise NotFound(f"output {oid} not found") from None
    tmp = Path(tempfile.mkdtemp(prefix="toolkit-export-"))
    try:
        with reader:
            kinds = {kind.k: kind for kind in available_outputs(reader)}
            if k not in kinds:
                raise NotFound(f"output {oid} not found")
            kind = kinds[k]
            etype = export_type or kind.outtypes[0]
            if etype not in kind.outtypes:
                raise UnsupportedExportType(kind.name, etype, list(kind.outtypes))
            paths = export_output(reader, calc_id, kind.name, tmp)
        if not paths:
            raise NotFound(f"output {oid} ({kind.name}) has nothing to export")
        cleanup = BackgroundTask(shutil.rmtree, tmp, ignore_errors=True)
        if len(paths) == 1:
            return FileResponse(paths[0], media_type="text/plain",
                                filename=f"output-{oid}-{paths[0].name}",
                                background=cleanup)
        from toolkit.server.outputs import zip_files

        target = zip_files(paths, tmp / f"output-{oid}-{kind.name}-{etype}.zip")
        return FileResponse(target, media_type="application/x-zip", filename=target.name,
                            background=cleanup)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@router.get("/calc/{calc_id}", response_model=schemas.CalcInfo)
def calc_info(request: Request, calc_id: str, user: CurrentUser
              ) -> JSONResponse:
    """Details of one calculation."""
    rec = _calc(request, calc_id, user)
    return JSONResponse({
        "id": rec.id,
        "description": rec.description,
        "user_name": rec.owner,
        "calculation_mode": rec.calculation_mode,
        "hazard_calculation_id": rec.hazard_calculation_id,
        "status": display_status(rec),
        "is_running": rec.is_running,
        "start_time": _info_time(rec.start_time or rec.created),
        "stop_time": _info_time(rec.stop_time),
        "relevant": rec.relevant,
        "size_mb": rec.size_mb,
        "host": _state(request).host,
        "workflow_id": None,
    })


@router.get("/calc/{calc_id}/status", response_model=schemas.CalcPublic)
def calc_status(request: Request, calc_id: str, user: CurrentUser
                ) -> JSONResponse:
    """The list item of one calculation."""
    return JSONResponse(calc_public(_calc(request, calc_id, user), _base(request)))


@router.get("/calc/{calc_id}/traceback", response_model=list[str])
def calc_traceback(request: Request, calc_id: str, user: CurrentUser
                   ) -> JSONResponse:
    """The traceback of a failed calculation as a list of lines; ``[]`` otherwise (also for an
    unknown calculation, as OpenQuake)."""
    try:
        rec = _calc(request, calc_id, user)
    except NotFound:
        if not _ID.fullmatch(calc_id):
            raise
        return JSONResponse([])
    return JSONResponse((rec.traceback or "").splitlines())


@router.get("/calc/{calc_id}/log/{span}", response_model=list[list[str]] | int)
def calc_log(request: Request, calc_id: str, span: str, user: CurrentUser
             ) -> JSONResponse:
    """Log lines ``start:stop`` (``0:5``, ``:``, ``40:``) as ``[timestamp, level, process,
    message]``; ``log/size`` is the number of lines. Out-of-range bounds are clipped; an
    unknown calculation has no lines (``[]``, ``0``), as OpenQuake."""
    cid = _calc_id(calc_id)
    catalogue = _state(request).catalogue
    try:
        catalogue.get(cid, visible_to=user)
        visible = True
    except NotFound:
        visible = False
    if span == "size":
        return JSONResponse(catalogue.log_size(cid) if visible else 0)
    match = _LOG_RANGE.fullmatch(span)
    if match is None:
        raise NotFound(f"log range {span!r}: expected <start>:<stop>, e.g. 0:5, 40: or :")
    if not visible:
        return JSONResponse([])
    start = int(match.group(1) or 0)
    stop = int(match.group(2)) if match.group(2) else None
    if stop is not None and stop <= start:
        return JSONResponse([])
    lines = catalogue.get_logs(cid, start, stop)
    return JSONResponse([[r.timestamp[:22], r.level, r.process, r.message] for r in lines])


@router.get("/calc/{calc_id}/results", response_model=list[schemas.OutputPublic])
def calc_results(request: Request, calc_id: str, user: CurrentUser
                 ) -> JSONResponse:
    """The outputs of a complete calculation (404 when it has none: running or failed)."""
    rec = _calc(request, calc_id, user)
    state = _state(request)
    with open_reader(state.settings.data_dir, rec.id) as reader:
        kinds = available_outputs(reader)
    base = _base(request)
    body = []
    for kind in kinds:
        oid = output_id(rec.id, kind.name)
        body.append({
            "id": oid,
            "name": kind.display,
            "type": kind.name,
            "outtypes": list(kind.outtypes),
            "url": f"{base}/v1/calc/result/{oid}?export_type={kind.outtypes[0]}",
            "size_mb": -1.0,
        })
    return JSONResponse(body)


@router.get("/calc/{calc_id}/result/list", response_model=list[schemas.OutputPublic])
def calc_results_alias(request: Request, calc_id: str, user: CurrentUser
                       ) -> JSONResponse:
    """Alias of ``/v1/calc/:id/results``."""
    return calc_results(request, calc_id, user)


def _oqparam_from_job_ini(rec: CalcRecord) -> dict[str, np.ndarray]:
    """``oqparam`` of a calculation without a committed datastore (running, failed)."""
    import json

    from toolkit.io.jobini import parse_ini
    from toolkit.store.extractors import oqparam_json

    if not rec.job_ini or not Path(rec.job_ini).is_file():
        raise NotFound(f"calculation {rec.id} has no datastore and its job file is gone")
    raw, _ = parse_ini(rec.job_ini)
    raw = {**raw, "calculation_mode": rec.calculation_mode}
    obj = oqparam_json(raw, job_ini=rec.job_ini)
    return {"json": np.bytes_(json.dumps(obj).encode("utf-8")), "extra": np.array(["value"])}


@_route("/calc/{calc_id}/extract/{spec:path}", "HEAD",
        responses={200: {"content": {"application/x-zip": {}}}})
def calc_extract(request: Request, calc_id: str, spec: str,
                 user: CurrentUser) -> Response:
    """An npz of arrays (``numpy.load(allow_pickle=False)``), as OpenQuake's ``extract``: the
    specs of :mod:`toolkit.store.extractors`, the query string passed through."""
    from toolkit.store.extractors import extract, to_npz

    rec = _calc(request, calc_id, user)
    if not _SPEC.fullmatch(spec):
        raise NotFound(f"extract spec {spec!r}: not a valid name")
    state = _state(request)
    try:
        with open_reader(state.settings.data_dir, rec.id) as reader:
            arrays = extract(reader, spec, request.url.query)
    except UnknownName:
        from toolkit.store.extractors import extractors

        raise NotFound(f"unknown extract spec {spec.partition('/')[0]!r}; known specs: "
                       f"{', '.join(extractors.names())}") from None
    except NotFound:
        if spec != "oqparam":
            raise
        arrays = _oqparam_from_job_ini(rec)
    data = to_npz(arrays)
    name = spec.replace("/", "-")
    return Response(data, media_type="application/x-zip",
                    headers={"Content-Disposition": f"attachment; filename={name}.npz"})


@router.get("/calc/{calc_id}/datastore",
            responses={200: {"content": {"application/x-hdf": {}}}})
def calc_datastore(request: Request, calc_id: str, user: CurrentUser
                   ) -> FileResponse:
    """The whole HDF5 datastore of a calculation (``WebExtractor.dump``)."""
    rec = _calc(request, calc_id, user)
    path = datastore_path(_state(request).settings.data_dir, rec.id)
    if not path.is_file():
        raise NotFound(f"calculation {rec.id} has no datastore (yet)")
    return FileResponse(path, media_type="application/x-hdf", filename=f"calc_{rec.id}.hdf5")


@router.get("/calc/{calc_id}/job_zip", responses={200: {"content": {"application/zip": {}}}})
def calc_job_zip(request: Request, calc_id: str, user: CurrentUser
                 ) -> Response:
    """A zip of the job's input files (job.ini and every file it refers to)."""
    import io
    import zipfile

    from toolkit.io.inputs import input_files, load_job

    rec = _calc(request, calc_id, user)
    if not rec.job_ini or not Path(rec.job_ini).is_file():
        raise NotFound(f"calculation {rec.id}: its job file is gone")
    state = _state(request)
    params, _ = _quietly(state, load_job, Path(rec.job_ini))
    base = Path(rec.job_ini).parent
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        names: set[str] = set()
        for path in input_files(params):
            path = Path(path)
            try:
                arcname = path.relative_to(base).as_posix()
            except ValueError:
                arcname = path.name
            if arcname not in names:
                names.add(arcname)
                archive.write(path, arcname=arcname)
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename=job_{rec.id}.zip"})


@router.get("/calc/{calc_id}/download_png/{name}")
def calc_download_png(request: Request, calc_id: str, name: str,
                      user: CurrentUser) -> Response:
    """PNG images of a calculation: the toolkit stores none (404)."""
    rec = _calc(request, calc_id, user)
    raise NotFound(f"calculation {rec.id} has no image {name!r} (the toolkit stores no PNGs)")


@router.post("/calc/{calc_id}/abort", response_model=schemas.Success | schemas.ErrorBody)
def calc_abort(request: Request, calc_id: str, user: CurrentUser
               ) -> JSONResponse:
    """Abort a running (or queued) calculation: 200 ``{"success": "Killing job N"}``, or 200
    ``{"error": ...}`` when it is unknown or not running, as OpenQuake."""
    cid = _calc_id(calc_id)
    state = _state(request)
    try:
        rec = state.catalogue.get(cid, visible_to=user)
    except NotFound:
        return JSONResponse({"error": f"Unknown job {cid}"})
    if not rec.is_running:
        return JSONResponse({"error": f"Job {cid} is not running"})
    require_owner(rec, user, "abort")
    if state.manager.abort(cid):
        return JSONResponse({"success": f"Killing job {cid}"})
    return JSONResponse({"error": f"Job {cid} is not running"})


@router.post("/calc/{calc_id}/remove", response_model=schemas.RemoveResult)
def calc_remove(request: Request, calc_id: str, user: CurrentUser
                ) -> JSONResponse:
    """Delete a calculation: its catalogue entry, datastore and uploaded inputs (aborting it
    first if it runs; :meth:`toolkit.jobs.manager.JobManager.remove`). 404 for an unknown id
    (OpenQuake: 403); of two concurrent removes one succeeds, the other gets 404."""
    cid = _calc_id(calc_id)
    state = _state(request)
    try:
        rec = state.catalogue.get(cid, visible_to=user)
    except NotFound:
        raise NotFound(f"Cannot delete calculation {cid}: ID does not exist") from None
    require_owner(rec, user, "delete")
    try:
        removed = state.manager.remove(cid)
    except NotFound:  # removed meanwhile by another request
        raise NotFound(f"Cannot delete calculation {cid}: ID does not exist") from None
    return JSONResponse({"success": str(cid), "hdf5paths": [str(p) for p in removed]})


def _share(request: Request, calc_id: str, user: User, shared: bool) -> JSONResponse:
    rec = _calc(request, calc_id, user)
    require_owner(rec, user, "share" if shared else "unshare")
    before = display_status(rec)
    after = display_status(_state(request).catalogue.share(rec.id, shared))
    return JSONResponse({"success": f'The status of calculation {rec.id} was changed from '
                                    f'"{before}" to "{after}"'})


@router.post("/calc/{calc_id}/share", response_model=schemas.Success)
def calc_share(request: Request, calc_id: str, user: CurrentUser
               ) -> JSONResponse:
    """Share a calculation: every user may then see it (status ``shared``)."""
    return _share(request, calc_id, user, True)


@router.post("/calc/{calc_id}/unshare", response_model=schemas.Success)
def calc_unshare(request: Request, calc_id: str, user: CurrentUser
                 ) -> JSONResponse:
    """Stop sharing a calculation."""
    return _share(request, calc_id, user, False)


def _owned(request: Request, calc_id: str, user: User) -> CalcRecord:
    rec = _calc(request, calc_id, user)
    require_owner(rec, user, "change the tags of")
    return rec


@_route("/calc/{calc_id}/add_tag/{tag}", "POST", response_model=schemas.Success)
def add_tag(request: Request, calc_id: str, tag: str, user: CurrentUser
            ) -> JSONResponse:
    """Tag a calculation (the tag is created if needed)."""
    rec = _owned(request, calc_id, user)
    _state(request).catalogue.add_tag(rec.id, tag)
    return JSONResponse({"success": f"The tag {tag} was added to job {rec.id}"})


@_route("/calc/{calc_id}/remove_tag/{tag}", "POST", response_model=schemas.Success)
def remove_tag(request: Request, calc_id: str, tag: str, user: CurrentUser
               ) -> JSONResponse:
    """Remove a tag from a calculation."""
    rec = _owned(request, calc_id, user)
    _state(request).catalogue.remove_tag(rec.id, tag)
    return JSONResponse({"success": f"Tag {tag} was removed from job {rec.id}"})


@_route("/calc/{calc_id}/set_preferred_job_for_tag/{tag}", "POST", response_model=schemas.Success)
def set_preferred(request: Request, calc_id: str, tag: str,
                  user: CurrentUser) -> JSONResponse:
    """Make a calculation the preferred one of a tag."""
    rec = _owned(request, calc_id, user)
    _state(request).catalogue.set_preferred(rec.id, tag)
    return JSONResponse({"success": f"Job {rec.id} was set as preferred for tag {tag}"})

