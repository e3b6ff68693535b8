"""``/api/v4``: the Lizard API v4 scenario results API over the toolkit's scenario catalogue.

Existing Lizard clients (threedi-scenario-downloader 1.4, the Lizard management client's
calls, scripts using ``requests``) work against the local server unchanged. The behaviour of
Lizard, field by field, is in ``../shared/reference/lizard/NOTES.md``; the differences are
listed in ``docs/lizard.md``.

Routes (each with and without the trailing slash; ``Allow`` headers as Lizard's):

=================================================== ====================================
path                                                methods
=================================================== ====================================
``/api/v4/``                                        GET (the API root)
``/api/v4/scenarios/``                              GET (list), POST
``/api/v4/scenarios/{uuid}/``                       GET, PUT, PATCH, DELETE
``/api/v4/scenarios/{uuid}/process/``               POST (derive results from raw 3Di files)
``/api/v4/scenarios/{uuid}/results/``               GET, POST
``/api/v4/scenarios/{uuid}/results/{family}/``      GET, DELETE (raw, basic, arrival, damage,
                                                    tiles; DELETE schedules deletion: 204)
``/api/v4/scenarios/{uuid}/results/{id}/``          GET, PUT, PATCH, DELETE
``/api/v4/rasters/{uuid}/``                         GET
``/api/v4/rasters/{uuid}/data/``                    GET (GeoTIFF; ``async=true``: a task)
``/api/v4/rasters/{uuid}/timesteps/``               GET
``/api/v4/tasks/{uuid}/``                           GET
``/api/v4/organisations/``, ``.../{uuid}/``         GET
``/api/v4/scenario-results/{id}/{file}``            GET (signed ``attachment_url``)
``/api/v4/scenario-uploads/{id}/{code}-upload``     PUT (signed ``upload_url``)
``/api/v4/exports/{task}/{file}``                   GET (signed task result)
=================================================== ====================================

Lists are paginated as Django REST framework does (``count, next, previous, results``):
``page``/``page_size`` (default 10, at most 1000; a page beyond the end is a 404 ``Invalid
page.``) or ``limit``/``offset``. Errors are DRF bodies ``{"detail": ...}`` (or, for invalid
fields, ``{"field": ["message"]}``). ``?format=api`` renders any GET as an HTML page in the
style of DRF's browsable API.

Authentication: HTTP Basic with user ``__key__`` and a personal API key
(``toolkit apikey create USER``), or the session cookie of ``/accounts/ajax_login/``. In
``public`` mode credentials are optional (everyone acts as the local administrator; a valid
key names the supplier of what the client creates, an unknown one is ignored); in
``restricted`` mode they are required (401). Signed URLs need no credentials: the signature is
the authorisation (the downloader sends its Basic header anyway; it is ignored).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import logging
import math
import re
import shutil
import threading
import uuid as uuidlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from toolkit.errors import InputError, NotFound, ToolkitError
from toolkit.server.signing import Signer, load_secret
from toolkit.store.catalogue import API_KEY_USER, User
from toolkit.store.scenarios import (
    ACCESS_MODIFIERS,
    FAMILIES,
    ORDERING_FIELDS,
    Scenario,
    ScenarioResult,
    ScenarioStore,
    Task,
    parse_timestamp,
)

__all__ = ["router", "install", "shutdown", "LizardState", "PREFIX", "PAGE_SIZE",
           "MAX_PAGE_SIZE", "MAX_PIXELS"]

log = logging.getLogger("toolkit.server.lizard")

PREFIX = "/api/v4"
#: default and largest page size of the lists (DRF ``page_size``, ``max_page_size``)
PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
#: largest raster export (pixels times bands), as the Lizard QGIS plugin's tiling limit
MAX_PIXELS = 100_000_000

router = APIRouter(prefix=PREFIX, tags=["lizard"])

_SUB_ENDPOINTS = {f.lower(): f for f in FAMILIES}
_ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_UPLOAD_NAMES = {
    "grid-admin": "gridadmin.h5", "results-3di": "results_3di.nc",
    "aggregate-results-3di": "aggregate_results_3di.nc", "logfiles": "log_files.zip",
    "damage-summary": "damage-summary.csv",
}
_RAW_PAIR = ("grid-admin", "results-3di", "aggregate-results-3di")
_ORG_NAMESPACE = uuidlib.UUID("6f1d3c1e-2c52-4a8e-9f57-7b0c2d5b8a41")
_TRUE = ("true", "1", "yes", "on")


# --------------------------------------------------------------------------- errors
class Unauthenticated(HTTPException):
    """401 with ``WWW-Authenticate: Basic`` (as DRF's BasicAuthentication)."""

    def __init__(self, detail: str = "Authentication credentials were not provided.") -> None:
        super().__init__(401, detail, headers={"WWW-Authenticate": 'Basic realm="api"'})


class Forbidden(ToolkitError):
    """403: the caller may see the object but not change it."""

    status = 403

    def __init__(self, detail: str = "You do not have permission to perform this action."):
        super().__init__(detail)


class MethodNotAllowed(HTTPException):
    """405 with the route's ``Allow`` header."""

    def __init__(self, method: str, allow: tuple[str, ...]) -> None:
        super().__init__(405, f'Method "{method}" not allowed.',
                         headers={"Allow": ", ".join(allow)})


class FieldErrors(InputError):
    """400 with DRF's body for invalid fields: ``{"field": ["message", ...]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _drf_body(exc: BaseException, status: int) -> Response:
    if isinstance(exc, FieldErrors):
        return JSONResponse(exc.errors, status_code=status)
    if isinstance(exc, HTTPException):
        detail = str(exc.detail)
        if status == 404 and detail in ("Not Found", ""):
            detail = "Not found."
    elif isinstance(exc, NotFound):
        detail = "Not found."
    else:
        detail = str(exc)
    return JSONResponse({"detail": detail}, status_code=status)


# --------------------------------------------------------------------------- state
@dataclass
class LizardState:
    """What the Lizard routes share: the store, the URL signer and background workers."""

    store: ScenarioStore
    signer: Signer
    settings: Any
    public_user: User
    workers: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        max_workers=2, thread_name_prefix="lizard-work"))
    purger: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="lizard-purge"))
    process_lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        """Stop taking work; wait for the running background work to finish."""
        self.purger.shutdown(wait=True, cancel_futures=False)
        self.workers.shutdown(wait=True, cancel_futures=True)


def install(app: FastAPI, server_state: Any) -> LizardState:
    """Mount the router on ``app``, register the DRF error bodies for ``/api/v4`` and
    recover what a previous server left (unfinished tasks fail, scheduled deletions run)."""
    from toolkit.server import errors

    settings = server_state.settings
    store = ScenarioStore(server_state.catalogue, settings.data_dir)
    state = LizardState(store=store, signer=Signer(load_secret(settings.data_dir)),
                        settings=settings, public_user=server_state.public_user)
    store.recover()
    errors.add_renderer(f"{PREFIX}/", _drf_body)
    app.state.lizard = state
    app.include_router(router)
    return state


def shutdown(app: FastAPI) -> None:
    """Stop the background workers of :func:`install` (the application's lifespan calls it)."""
    state = getattr(app.state, "lizard", None)
    if state is not None:
        state.close()


def _state(request: Request) -> LizardState:
    return request.app.state.lizard


# --------------------------------------------------------------------------- auth
@dataclass(frozen=True)
class Caller:
    """Who calls: ``user`` acts (supplier of what they create); ``restricted`` says whether
    visibility rules apply (False in public mode)."""

    user: User
    restricted: bool

    @property
    def visible_to(self) -> User | None:
        return self.user if self.restricted else None


def _key_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise Unauthenticated("Invalid authorization header: expected Basic "
                                  "authentication with user __key__ and an API key.")
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode(
                "utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("Invalid basic header. Credentials not correctly base64 "
                                  "encoded.") from None
        if not sep or user != API_KEY_USER:
            raise Unauthenticated("Invalid username/password.")
        return password
    if request.headers.get("username") == API_KEY_USER:  # deprecated Lizard headers (2021)
        return request.headers.get("password", "")
    return None


def _caller_sync(request: Request) -> Caller:
    server = request.app.state.toolkit
    restricted = server.settings.auth_mode == "restricted"
    try:
        key = _key_from(request)
    except Unauthenticated:
        if restricted:
            raise
        key = None  # public mode: credentials are optional, bad ones are ignored
    user = None
    if key is not None:
        user = server.catalogue.user_for_api_key(key)
        if user is None and restricted:
            raise Unauthenticated("Invalid username/password.")
    elif restricted:
        from toolkit.server.auth import SESSION_COOKIE

        token = request.cookies.get(SESSION_COOKIE)
        user = server.catalogue.session_user(token) if token else None
        if user is None:
            raise Unauthenticated()
    return Caller(user=user or _state(request).public_user, restricted=restricted)


async def _caller(request: Request) -> Caller:
    return await run_in_threadpool(_caller_sync, request)


# --------------------------------------------------------------------------- helpers
def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _iso(ts: str | None) -> str | None:
    """Catalogue timestamps without a zero fraction: ``2000-01-01T00:00:00Z``."""
    if ts is None:
        return None
    return ts.replace(".000000Z", "Z")


def org_uuid(name: str) -> str:
    """The (stable) uuid of an organisation name."""
    return str(uuidlib.uuid5(_ORG_NAMESPACE, name))


def _org_json(base: str, name: str) -> dict[str, str] | None:
    if not name:
        return None
    key = org_uuid(name)
    return {"url": f"{base}{PREFIX}/organisations/{key}/", "uuid": key, "name": name}


def _scenario_json(base: str, s: Scenario) -> dict[str, Any]:
    return {
        "url": f"{base}{PREFIX}/scenarios/{s.uuid}/",
        "uuid": s.uuid,
        "name": s.name,
        "source": s.source,
        "description": s.description,
        "organisation": _org_json(base, s.organisation),
        "access_modifier": s.access_modifier,
        "created": _iso(s.created),
        "last_modified": _iso(s.last_modified),
        "simulation_identifier": s.simulation_identifier,
        "simulation_start": _iso(s.simulation_start),
        "simulation_end": _iso(s.simulation_end),
        "supplier": s.supplier or None,
        "model_identifier": s.model_identifier,
        "model_revision": s.model_revision,
        "model_name": s.model_name,
        "has_raw_results": s.has_raw_results,
        "total_size": s.total_size,
        "extra_metadata": s.extra_metadata,
        "project": s.project,
        "projection": s.projection,
        "origin_x": s.origin_x,
        "origin_y": s.origin_y,
        "upper_bound_x": s.upper_bound_x,
        "upper_bound_y": s.upper_bound_y,
        "pixelsize_x": s.pixelsize_x,
        "pixelsize_y": s.pixelsize_y,
    }


def _result_json(base: str, signer: Signer, r: ScenarioResult) -> dict[str, Any]:
    attachment = upload = None
    if r.file:
        attachment = signer.sign("GET", base, f"{PREFIX}/scenario-results/{r.id}/{r.filename}")
    else:
        upload = signer.sign("PUT", base, f"{PREFIX}/scenario-uploads/{r.id}/{r.code}-upload")
    return {
        "url": f"{base}{PREFIX}/scenarios/{r.scenario_uuid}/results/{r.id}/",
        "id": r.id,
        "name": r.name,
        "code": r.code,
        "description": r.description,
        "family": r.family,
        "raster": f"{base}{PREFIX}/rasters/{r.raster_uuid}/" if r.raster_uuid else None,
        "attachment_url": attachment,
        "upload_url": upload,
    }


def _task_json(base: str, signer: Signer, t: Task) -> dict[str, Any]:
    result = None
    if t.status == "SUCCESS":
        if t.kind == "raster-export" and t.file:
            result = signer.sign("GET", base, f"{PREFIX}/exports/{t.uuid}/{Path(t.file).name}")
        elif t.scenario_uuid:
            result = f"{base}{PREFIX}/scenarios/{t.scenario_uuid}/results/"
    detail = t.detail
    if t.status == "PENDING" and not detail:
        detail = f"Task sent at {_iso(t.created)}"
    return {"uuid": t.uuid, "url": f"{base}{PREFIX}/tasks/{t.uuid}/", "status": t.status,
            "result": result, "detail": detail}


_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}
_URL_RE = re.compile(r"&quot;(https?://.*?)&quot;")


def _browsable(request: Request, data: Any, status: int, allow: tuple[str, ...],
               title: str) -> HTMLResponse:
    """DRF's browsable API page in miniature: the request, the response headers and the body
    as indented JSON with clickable links."""
    body = html.escape(json.dumps(data, indent=4, ensure_ascii=False), quote=True)

    def link(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        if "signature=" not in url and "format=" not in url:  # browse API links as pages
            url += ("&" if "?" in url else "?") + "format=api"
        return (f'&quot;<a href="{html.escape(url, quote=True)}" rel="nofollow">'
                f'{match.group(1)}</a>&quot;')

    body = _URL_RE.sub(link, body)
    path = html.escape(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    crumbs = []
    parts = [p for p in request.url.path.split("/") if p]
    for i in range(2, len(parts) + 1):
        href = "/" + "/".join(parts[:i]) + "/?format=api"
        crumbs.append(f'<li><a href="{html.escape(href)}">{html.escape(parts[i - 1])}</a></li>')
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)} &ndash; Lizard API (toolkit)</title>
<style>body{{font-family:sans-serif;margin:2em}} pre{{background:#f5f5f5;padding:1em;
overflow:auto}} ul.breadcrumb li{{display:inline;margin-right:.5em}}
.allow{{color:#555}}</style></head>
<body><div class="navbar"><b>Lizard API</b> (toolkit local server)</div>
<ul class="breadcrumb">{''.join(crumbs)}</ul>
<div class="content-main"><div class="page-header"><h1>{html.escape(title)}</h1></div>
<div class="request-info"><pre class="prettyprint"><b>{request.method}</b> {path}</pre></div>
<div class="response-info"><pre class="prettyprint"><span class="meta nocode"><b>HTTP {status} \
{_STATUS_TEXT.get(status, "")}</b>
<b>Allow:</b> <span class="allow">{", ".join(allow)}</span>
<b>Content-Type:</b> application/json
<b>Vary:</b> Accept
</span>
{body}</pre></div></div></body></html>"""
    return HTMLResponse(page, status_code=status, headers={"Allow": ", ".join(allow),
                                                           "Vary": "Accept"})


def _respond(request: Request, data: Any, allow: tuple[str, ...], title: str,
             status: int = 200) -> Response:
    if request.query_params.get("format") == "api":
        return _browsable(request, data, status, allow, title)
    return JSONResponse(data, status_code=status,
                        headers={"Allow": ", ".join(allow), "Vary": "Accept"})


def _no_content(allow: tuple[str, ...]) -> Response:
    return Response(status_code=204, headers={"Allow": ", ".join(allow)})


def _int_param(value: str | None) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number


def _paginate(request: Request, count: int,
              fetch: Callable[[int, int], list[Any]]) -> tuple[dict[str, Any], list[Any]]:
    """DRF pagination: limit/offset when either is given, else page/page_size."""
    params = request.query_params
    url = request.url
    if "limit" in params or "offset" in params:
        limit = _int_param(params.get("limit"))
        limit = PAGE_SIZE if limit is None or limit <= 0 else min(limit, MAX_PAGE_SIZE)
        offset = max(_int_param(params.get("offset")) or 0, 0)
        items = fetch(limit, offset)
        nxt = prev = None
        if offset + limit < count:
            nxt = str(url.include_query_params(limit=limit, offset=offset + limit))
        if offset > 0:
            prev = (str(url.include_query_params(limit=limit).remove_query_params("offset"))
                    if offset - limit <= 0 else
                    str(url.include_query_params(limit=limit, offset=offset - limit)))
        return {"count": count, "next": nxt, "previous": prev}, items
    size = _int_param(params.get("page_size"))
    size = PAGE_SIZE if size is None or size <= 0 else min(size, MAX_PAGE_SIZE)
    pages = max(1, math.ceil(count / size))
    raw = params.get("page", "1")
    page = pages if raw == "last" else _int_param(raw)
    if page is None or page < 1 or page > pages:
        raise NotFoundDetail("Invalid page.")
    items = fetch(size, (page - 1) * size)
    nxt = str(url.include_query_params(page=page + 1)) if page < pages else None
    prev = None
    if page > 1:
        prev = (str(url.remove_query_params("page")) if page == 2
                else str(url.include_query_params(page=page - 1)))
    return {"count": count, "next": nxt, "previous": prev}, items


class NotFoundDetail(HTTPException):
    """404 with a specific DRF detail (``Invalid page.``)."""

    def __init__(self, detail: str) -> None:
        super().__init__(404, detail)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"JSON parse error - {exc}") from None
    if not isinstance(data, dict):
        raise FieldErrors({"non_field_errors": [
            f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]})
    return data


def _uuid_of(value: Any, kind: str) -> str | None:
    """A uuid from ``<uuid>``, ``.../<kind>/<uuid>/`` or ``{"uuid": ...}``."""
    if isinstance(value, dict):
        value = value.get("uuid")
    if not isinstance(value, str):
        return None
    match = re.search(rf"/{kind}/([0-9a-fA-F-]{{36}})/?$", value)
    text = match.group(1) if match else value.strip()
    try:
        return str(uuidlib.UUID(text))
    except ValueError:
        return None


# --------------------------------------------------------------------------- route helper
def _endpoint(path: str, allow: tuple[str, ...], name: str) -> Callable[[Callable], Callable]:
    """Register ``fn`` for ``path`` with and without the trailing slash; methods not in
    ``allow`` answer 405 with the ``Allow`` header."""
    allowed = allow + ("HEAD", "OPTIONS") if "GET" in allow else allow + ("OPTIONS",)
    methods = [m for m in _ALL_METHODS if m in allow]
    rest = [m for m in _ALL_METHODS if m not in allowed]

    def deco(fn: Callable) -> Callable:
        async def not_allowed(request: Request) -> Response:
            raise MethodNotAllowed(request.method, allowed)

        for i, p in enumerate(dict.fromkeys((path, path.rstrip("/")))):
            for method in methods:  # one route per method: unique OpenAPI operation ids
                router.add_api_route(p, fn, methods=[method], name=f"{name}_{method.lower()}",
                                     operation_id=f"{name}_{method.lower()}{'_' * i}",
                                     include_in_schema=i == 0)
            if "GET" in allow:
                router.add_api_route(p, fn, methods=["HEAD"], include_in_schema=False,
                                     name=f"{name}_head{i}")
            if rest:
                router.add_api_route(p, not_allowed, methods=rest, include_in_schema=False,
                                     name=f"{name}_405_{i}")
        return fn

    return deco


_ALLOW_LIST = ("GET", "POST", "HEAD", "OPTIONS")
_ALLOW_DETAIL = ("GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_ALLOW_SUB = ("GET", "DELETE", "HEAD", "OPTIONS")
_ALLOW_GET = ("GET", "HEAD", "OPTIONS")
_ALLOW_POST = ("POST", "OPTIONS")


# --------------------------------------------------------------------------- root
@_endpoint("/", ("GET",), "lizard_root")
async def api_root(request: Request) -> Response:
    """The API root: links to the collections."""
    await _caller(request)
    base = f"{_base(request)}{PREFIX}"
    data = {"organisations": f"{base}/organisations/", "scenarios": f"{base}/scenarios/"}
    return _respond(request, data, _ALLOW_GET, "Api Root")


# --------------------------------------------------------------------------- scenarios
_SCENARIO_WRITABLE = ("name", "description", "access_modifier", "organisation",
                      "simulation_identifier", "simulation_start", "simulation_end",
                      "model_identifier", "model_revision", "model_name", "extra_metadata",
                      "project", "source")
_DATE_FILTERS = ("created", "last_modified", "simulation_start", "simulation_end")
_TEXT_FILTERS = ("name", "model_name", "supplier", "username", "project", "model_revision",
                 "model_identifier", "simulation_identifier", "source")


def _lookups(request: Request, store: ScenarioStore) -> list[tuple[str, str, Any]]:
    """Filters of the scenario list from the query (unknown parameters are ignored, as
    django-filter does)."""
    out: list[tuple[str, str, Any]] = []
    errors: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        field_, _, op = key.partition("__")
        op = op or "exact"
        if field_ == "uuid" and op == "exact":
            try:
                out.append(("uuid", "exact", str(uuidlib.UUID(value))))
            except ValueError:
                errors[key] = ["Enter a valid UUID."]
        elif field_ in _TEXT_FILTERS and op in ("exact", "iexact", "startswith", "istartswith",
                                                "contains", "icontains", "isnull"):
            if op == "isnull":
                out.append((field_, op, value.lower() in _TRUE))
            else:
                out.append((field_, op, value))
        elif field_ in _DATE_FILTERS and op in ("exact", "lt", "lte", "gt", "gte"):
            try:
                out.append((field_, op, parse_timestamp(value)))
            except InputError:
                errors[key] = ["Enter a valid date/time."]
        elif field_ == "access_modifier" and op == "exact":
            match = [a for a in ACCESS_MODIFIERS if a.lower() == value.lower()]
            if not match:
                errors[key] = [f"Select a valid choice. {value} is not one of the available "
                               "choices."]
            else:
                out.append(("access_modifier", "exact", match[0]))
        elif field_ == "organisation" and op in ("exact", "icontains", "name"):
            if op == "icontains":
                out.append(("organisation", "icontains", value))
                continue
            key_uuid = _uuid_of(value, "organisations")
            names = [n for n in store.organisations() if key_uuid and org_uuid(n) == key_uuid]
            out.append(("organisation", "exact", names[0] if names else value))
    if errors:
        raise FieldErrors(errors)
    return out


def _ordering(request: Request) -> list[str]:
    raw = request.query_params.get("ordering", "")
    fields_ = [f.strip() for f in raw.split(",") if f.strip()]
    valid = [f for f in fields_ if f.lstrip("-") in ORDERING_FIELDS]
    return valid or ["-created"]


def _scenario_values(data: dict[str, Any], caller: Caller, store: ScenarioStore,
                     *, partial: bool) -> dict[str, Any]:
    """Validated writable fields of a scenario body (read-only fields are ignored)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if not partial and not data.get("name"):
        errors["name"] = ["This field is required."]
    for key in _SCENARIO_WRITABLE:
        if key not in data:
            continue
        value = data[key]
        if key == "name":
            if not isinstance(value, str) or not value.strip():
                errors[key] = ["This field may not be blank."]
                continue
            if len(value) > 255:
                errors[key] = ["Ensure this field has no more than 255 characters."]
                continue
        elif key == "access_modifier":
            match = [a for a in ACCESS_MODIFIERS if isinstance(value, str)
                     and a.lower() == value.lower()]
            if not match:
                errors[key] = [f'"{value}" is not a valid choice.']
                continue
            value = match[0]
        elif key == "organisation":
            name = _organisation_name(value, store)
            if name is None:
                errors[key] = ["Invalid organisation: give its uuid, url or name."]
                continue
            if caller.restricted and not caller.user.is_admin and name != caller.user.org:
                errors[key] = ["You may only add scenarios to your own organisation."]
                continue
            value = name
        elif key in ("simulation_start", "simulation_end"):
            if value not in (None, ""):
                try:
                    value = parse_timestamp(value)
                except InputError:
                    errors[key] = ["Datetime has wrong format. Use one of these formats "
                                   "instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]
                    continue
            else:
                value = None
        elif key == "extra_metadata":
            if value is None:
                value = {}
            if not isinstance(value, dict):
                errors[key] = [f'Expected a dictionary of items but got type '
                               f'"{type(value).__name__}".']
                continue
        elif value is not None and not isinstance(value, str | int | float):
            errors[key] = ["Not a valid string."]
            continue
        values[key] = value
    if errors:
        raise FieldErrors(errors)
    return values


def _organisation_name(value: Any, store: ScenarioStore) -> str | None:
    if isinstance(value, dict):
        value = value.get("uuid") or value.get("name")
    if not isinstance(value, str) or not value.strip():
        return None
    key = _uuid_of(value, "organisations")
    known = store.organisations()
    if key is not None:
        names = [n for n in known if org_uuid(n) == key]
        return names[0] if names else None
    return value.strip()


@_endpoint("/scenarios/", ("GET", "POST"), "lizard_scenarios")
async def scenarios(request: Request) -> Response:
    """List scenarios (filters, ordering, pagination) or create one."""
    caller = await _caller(request)
    state = _state(request)
    store = state.store
    base = _base(request)
    if request.method == "POST":
        data = await _json_body(request)

        def create() -> Scenario:
            values = _scenario_values(data, caller, store, partial=False)
            values.setdefault("organisation", caller.user.org)
            return store.create(values.pop("name"), supplier=caller.user.name, **values)

        scenario = await run_in_threadpool(create)
        return _respond(request, _scenario_json(base, scenario), _ALLOW_LIST,
                        "Scenario List", status=201)

    def listing() -> dict[str, Any]:
        lookups = _lookups(request, store)
        count = store.count(lookups, visible_to=caller.visible_to)
        page, items = _paginate(request, count, lambda limit, offset: store.list(
            lookups, visible_to=caller.visible_to, ordering=_ordering(request), limit=limit,
            offset=offset))
        return {**page, "results": [_scenario_json(base, s) for s in items]}

    return _respond(request, await run_in_threadpool(listing), _ALLOW_LIST, "Scenario List")


def _visible_scenario(store: ScenarioStore, key: str, caller: Caller) -> Scenario:
    return store.get(key, visible_to=caller.visible_to)


def _changeable_scenario(store: ScenarioStore, key: str, caller: Caller) -> Scenario:
    scenario = _visible_scenario(store, key, caller)
    if caller.restricted and not store.can_change(scenario, caller.user):
        raise Forbidden()
    return scenario


@_endpoint("/scenarios/{uuid}/", ("GET", "PUT", "PATCH", "DELETE"), "lizard_scenario")
async def scenario_detail(request: Request, uuid: str) -> Response:
    """One scenario: read, change (PUT, PATCH) or delete (204)."""
    caller = await _caller(request)
    store = _state(request).store
    base = _base(request)
    if request.method in ("GET", "HEAD"):
        scenario = await run_in_threadpool(_visible_scenario, store, uuid, caller)
        return _respond(request, _scenario_json(base, scenario), _ALLOW_DETAIL,
                        "Scenario Instance")
    if request.method == "DELETE":
        def delete() -> None:
            scenario = _changeable_scenario(store, uuid, caller)
            store.delete(scenario.uuid)

        await run_in_threadpool(delete)
        return _no_content(_ALLOW_DETAIL)
    data = await _json_body(request)

    def change() -> Scenario:
        scenario = _changeable_scenario(store, uuid, caller)
        values = _scenario_values(data, caller, store, partial=request.method == "PATCH")
        return store.update(scenario.uuid, **values)

    scenario = await run_in_threadpool(change)
    return _respond(request, _scenario_json(base, scenario), _ALLOW_DETAIL, "Scenario Instance")


# --------------------------------------------------------------------------- processing
def _start_processing(state: LizardState, scenario: Scenario, owner: str) -> Task:
    """The processing task of a scenario: the running one, or a new one submitted."""
    with state.process_lock:
        running = state.store.running_task(scenario.uuid, "process")
        if running is not None:
            return running
        task = state.store.create_task("process", owner, scenario.uuid)
        state.workers.submit(_run_processing, state, task.uuid, scenario.uuid)
        return task


def _run_processing(state: LizardState, task_uuid: str, scenario_uuid: str) -> None:
    from toolkit.scenarios.publish import process_scenario

    store = state.store
    try:
        store.set_task(task_uuid, "STARTED")
        results = process_scenario(store, scenario_uuid)
        store.set_task(task_uuid, "SUCCESS", detail=f"{len(results)} results derived")
    except NotFound:
        store.set_task(task_uuid, "FAILURE",
                       detail="the scenario was deleted before its processing finished; "
                              "nothing was recorded")
    except InputError as exc:
        store.set_task(task_uuid, "FAILURE", detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug: record it, log the traceback
        log.exception("processing scenario %s failed", scenario_uuid)
        store.set_task(task_uuid, "FAILURE", detail=f"{type(exc).__name__}: {exc}")


def _check_pair(store: ScenarioStore, scenario: Scenario,
                replace: dict[str, Path] | None = None) -> bool:
    """Check the scenario's raw pair (with files in ``replace`` instead of the stored ones);
    True when both files of the pair are there. InputError when they do not match."""
    from toolkit.scenarios.publish import check_raw_pair, raw_files

    files = {**raw_files(store, scenario.uuid), **(replace or {})}
    if "grid-admin" not in files or "results-3di" not in files:
        return False
    check_raw_pair(files["grid-admin"], files["results-3di"],
                   files.get("aggregate-results-3di"))
    return True


@_endpoint("/scenarios/{uuid}/process/", ("POST",), "lizard_process")
async def scenario_process(request: Request, uuid: str) -> Response:
    """Start the derivation of the Basic, Arrival and Damage results from the raw 3Di files
    (202 with ``{task_id, url}``; the running task when one is running already)."""
    caller = await _caller(request)
    state = _state(request)

    def start() -> Task:
        scenario = _changeable_scenario(state.store, uuid, caller)
        if not _check_pair(state.store, scenario):
            raise InputError("This scenario has no raw 3Di results to process: upload "
                             "gridadmin.h5 (code grid-admin) and results_3di.nc (code "
                             "results-3di) first.")
        return _start_processing(state, scenario, caller.user.name)

    task = await run_in_threadpool(start)
    base = _base(request)
    return _respond(request, {"task_id": task.uuid, "url": f"{base}{PREFIX}/tasks/{task.uuid}/"},
                    _ALLOW_POST, "Scenario Process", status=202)


# --------------------------------------------------------------------------- results
def _result_values(data: dict[str, Any], store: ScenarioStore, scenario: Scenario,
                   *, partial: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if not partial:
        for key in ("name", "code", "family"):
            if not data.get(key):
                errors[key] = ["This field is required."]
    for key in ("name", "code", "description"):
        if key in data and data[key] is not None:
            if not isinstance(data[key], str):
                errors[key] = ["Not a valid string."]
            else:
                values[key] = data[key]
        elif key == "description" and key in data:
            values[key] = None
    if data.get("family") is not None:
        match = [f for f in FAMILIES if isinstance(data["family"], str)
                 and f.lower() == data["family"].lower()]
        if match:
            values["family"] = match[0]
        else:
            errors["family"] = [f'"{data["family"]}" is not a valid choice.']
    if "raster" in data:
        if data["raster"] in (None, ""):
            values["raster_uuid"] = None
        else:
            key = _uuid_of(data["raster"], "rasters")
            try:
                if key is None:
                    raise NotFound("raster")
                raster, owner = store.get_raster(key)
                if owner.uuid != scenario.uuid:
                    raise NotFound("raster")
                values["raster_uuid"] = raster.uuid
            except NotFound:
                errors["raster"] = ["Invalid raster: give the uuid or url of a raster of this "
                                    "scenario."]
    if "code" in values and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._()+-]{0,99}",
                                             values["code"]):
        errors["code"] = ["Enter a valid code: letters, digits and ._()+- (at most 100)."]
    if errors:
        raise FieldErrors(errors)
    return values


def _schedule(state: LizardState, scenario_uuid: str, *, family: str | None = None,
              result_id: int | None = None) -> None:
    ids = state.store.schedule_deletion(scenario_uuid, family=family, result_id=result_id)
    if ids:
        state.purger.submit(_purge, state, ids)


def _purge(state: LizardState, ids: list[int]) -> None:
    try:
        state.store.purge(ids)
    except Exception:  # noqa: BLE001 - retried at the next start (ScenarioStore.recover)
        log.exception("purging results %s failed", ids)


@_endpoint("/scenarios/{uuid}/results/", ("GET", "POST"), "lizard_results")
async def results(request: Request, uuid: str) -> Response:
    """The results of a scenario (Raw, Basic, Arrival, Damage, Tiles), or POST a new one."""
    caller = await _caller(request)
    state = _state(request)
    store = state.store
    base = _base(request)
    if request.method == "POST":
        data = await _json_body(request)

        def create() -> ScenarioResult:
            scenario = _changeable_scenario(store, uuid, caller)
            values = _result_values(data, store, scenario, partial=False)
            return store.add_result(scenario.uuid, **values)

        result = await run_in_threadpool(create)
        return _respond(request, _result_json(base, state.signer, result), _ALLOW_LIST,
                        "Scenario Result List", status=201)

    def listing() -> dict[str, Any]:
        scenario = _visible_scenario(store, uuid, caller)
        count = store.count_results(scenario.uuid)
        page, items = _paginate(request, count, lambda limit, offset: store.list_results(
            scenario.uuid, limit=limit, offset=offset))
        return {**page, "results": [_result_json(base, state.signer, r) for r in items]}

    return _respond(request, await run_in_threadpool(listing), _ALLOW_LIST,
                    "Scenario Result List")


async def result_or_family(request: Request, uuid: str, key: str) -> Response:
    """``raw``, ``basic``, ``arrival``, ``damage``, ``tiles``: the results of one family (GET)
    or schedule their deletion (DELETE, 204). An integer: one result (GET, PUT, PATCH,
    DELETE)."""
    family = _SUB_ENDPOINTS.get(key)
    if family is not None:
        return await _family(request, uuid, family)
    if key.isdigit():
        return await _result(request, uuid, int(key))
    await _caller(request)
    raise NotFound("Not found.")


for _path in ("/scenarios/{uuid}/results/{key}/", "/scenarios/{uuid}/results/{key}"):
    for _method in _ALL_METHODS:
        router.add_api_route(
            _path, result_or_family, methods=[_method], name=f"lizard_result_{_method.lower()}",
            operation_id=f"lizard_result_{_method.lower()}", include_in_schema=_path.endswith(
                "/") and _method != "HEAD", summary="A family sub-endpoint or one result")


async def _family(request: Request, uuid: str, family: str) -> Response:
    if request.method not in ("GET", "HEAD", "DELETE"):
        raise MethodNotAllowed(request.method, _ALLOW_SUB)
    caller = await _caller(request)
    state = _state(request)
    store = state.store
    base = _base(request)
    title = f"Scenario {family} Result List"
    if request.method == "DELETE":
        def delete() -> None:
            scenario = _changeable_scenario(store, uuid, caller)
            _schedule(state, scenario.uuid, family=family)

        await run_in_threadpool(delete)
        return _no_content(_ALLOW_SUB)

    def listing() -> dict[str, Any]:
        scenario = _visible_scenario(store, uuid, caller)
        count = store.count_results(scenario.uuid, family=family)
        page, items = _paginate(request, count, lambda limit, offset: store.list_results(
            scenario.uuid, family=family, limit=limit, offset=offset))
        return {**page, "results": [_result_json(base, state.signer, r) for r in items]}

    return _respond(request, await run_in_threadpool(listing), _ALLOW_SUB, title)


async def _result(request: Request, uuid: str, result_id: int) -> Response:
    if request.method == "POST":
        raise MethodNotAllowed(request.method, _ALLOW_DETAIL)
    caller = await _caller(request)
    state = _state(request)
    store = state.store
    base = _base(request)
    title = "Scenario Result Instance"
    if request.method in ("GET", "HEAD"):
        def read() -> ScenarioResult:
            scenario = _visible_scenario(store, uuid, caller)
            return store.get_result(scenario.uuid, result_id)

        result = await run_in_threadpool(read)
        return _respond(request, _result_json(base, state.signer, result), _ALLOW_DETAIL, title)
    if request.method == "DELETE":
        def delete() -> None:
            scenario = _changeable_scenario(store, uuid, caller)
            _schedule(state, scenario.uuid, result_id=result_id)

        await run_in_threadpool(delete)
        return _no_content(_ALLOW_DETAIL)
    data = await _json_body(request)

    def change() -> ScenarioResult:
        scenario = _changeable_scenario(store, uuid, caller)
        store.get_result(scenario.uuid, result_id)
        values = _result_values(data, store, scenario, partial=request.method == "PATCH")
        return store.update_result(scenario.uuid, result_id, **values)

    result = await run_in_threadpool(change)
    return _respond(request, _result_json(base, state.signer, result), _ALLOW_DETAIL, title)


# --------------------------------------------------------------------------- signed files
@_endpoint("/scenario-results/{result_id}/{filename}", ("GET",), "lizard_attachment")
async def attachment(request: Request, result_id: int, filename: str) -> Response:
    """Download a result's file through its signed ``attachment_url``."""
    state = _state(request)
    state.signer.verify(request.method, request.url.path, request.query_params.get("expires"),
                        request.query_params.get("signature"))
    result = await run_in_threadpool(state.store.find_result, result_id)
    if not result.file or result.filename != filename:
        raise NotFound("Not found.")
    path = state.store.path(result.file)
    if not path.is_file():
        raise NotFound("Not found.")
    return FileResponse(path, filename=filename, media_type=_media_type(filename))


def _media_type(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    return {".csv": "text/csv", ".tif": "image/tiff", ".tiff": "image/tiff",
            ".zip": "application/zip", ".nc": "application/x-netcdf",
            ".h5": "application/x-hdf5", ".hdf5": "application/x-hdf5",
            ".json": "application/json"}.get(suffix, "application/octet-stream")


_DISPOSITION = re.compile(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', re.IGNORECASE)


def _upload_filename(request: Request, code: str, path: Path) -> str:
    from toolkit.store.scenarios import check_filename

    match = _DISPOSITION.search(request.headers.get("content-disposition", ""))
    if match:
        try:
            return check_filename(Path(match.group(1)).name)
        except InputError:
            pass
    if code in _UPLOAD_NAMES:
        return _UPLOAD_NAMES[code]
    safe = re.sub(r"[^A-Za-z0-9._()+-]", "-", code) or "upload"
    return f"{safe}.tif" if _is_tiff(path) else safe


def _is_tiff(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


@router.put("/scenario-uploads/{result_id}/{name}", name="lizard_upload",
            summary="Upload a result's file to its signed upload_url")
async def upload(request: Request, result_id: int, name: str) -> Response:
    """Store the request body as the result's attachment (signed ``upload_url``, PUT).

    Raw 3Di files are checked (not truncated; gridadmin and results of the same model: 400);
    a GeoTIFF also becomes the result's raster. Uploading the second file of the raw pair
    starts the derivation of the other results (a ``process`` task). Answers 200 with an
    empty body and an ``ETag`` (MD5), as S3 does.
    """
    from toolkit.scenarios.publish import check_raw_file, raster_info

    state = _state(request)
    state.signer.verify("PUT", request.url.path, request.query_params.get("expires"),
                        request.query_params.get("signature"))
    store = state.store
    result = await run_in_threadpool(store.find_result, result_id)
    if name != f"{result.code}-upload":
        raise NotFound("Not found.")
    work = await run_in_threadpool(store.work_dir)
    try:
        part = work / "upload.part"
        digest = hashlib.md5(usedforsecurity=False)
        with open(part, "wb") as fh:
            async for chunk in request.stream():
                digest.update(chunk)
                await run_in_threadpool(fh.write, chunk)
        filename = _upload_filename(request, result.code, part)

        def commit() -> ScenarioResult:
            scenario = store.get(result.scenario_uuid)
            raster = dict(raster=False)
            if result.code in _RAW_PAIR:
                check_raw_file(part, result.code, filename)
                _check_pair(store, scenario, {result.code: part})
            elif _is_tiff(part):
                info = raster_info(part)
                raster = dict(raster=True, temporal=len(info.times) > 1, unit=info.unit)
            return store.attach(scenario.uuid, result.id, part, filename, **raster)

        done = await run_in_threadpool(commit)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if done.code in _RAW_PAIR:
        def maybe_process() -> None:
            scenario = store.get(done.scenario_uuid)
            from toolkit.scenarios.publish import raw_files

            if {"grid-admin", "results-3di"} <= set(raw_files(store, scenario.uuid)):
                _start_processing(state, scenario, scenario.supplier)

        await run_in_threadpool(maybe_process)
    return Response(status_code=200, headers={"ETag": f'"{digest.hexdigest()}"'})


@_endpoint("/exports/{task_uuid}/{filename}", ("GET",), "lizard_export")
async def export_file(request: Request, task_uuid: str, filename: str) -> Response:
    """Download the GeoTIFF of a finished raster export task (signed URL)."""
    state = _state(request)
    state.signer.verify(request.method, request.url.path, request.query_params.get("expires"),
                        request.query_params.get("signature"))
    task = await run_in_threadpool(state.store.get_task, task_uuid)
    if task.status != "SUCCESS" or not task.file or Path(task.file).name != filename:
        raise NotFound("Not found.")
    path = state.store.path(task.file)
    if not path.is_file():
        raise NotFound("Not found.")
    return FileResponse(path, filename=filename, media_type="image/tiff")


# --------------------------------------------------------------------------- rasters
def _raster_json(base: str, raster: Any, scenario: Scenario, info: Any,
                 writable: bool) -> dict[str, Any]:
    no_time = "2000-01-01T00:00:00Z"
    first = info.times[0] if info and info.times else no_time
    last = info.times[-1] if info and info.times else no_time
    bounds = info.bounds if info else (None,) * 4
    spatial = None
    if info and all(math.isfinite(v) for v in info.wgs84):
        west, south, east, north = info.wgs84
        spatial = {"west": west, "east": east, "north": north, "south": south}
    unit = raster.unit or (info.unit if info else "")
    observation = None
    if raster.parameter or unit:
        observation = {"code": f"{raster.parameter or raster.code} ({unit})".strip(),
                       "parameter": raster.parameter or raster.code, "unit": unit}
    return {
        "uuid": raster.uuid,
        "url": f"{base}{PREFIX}/rasters/{raster.uuid}/",
        "name": f"{scenario.name} {raster.name}",
        "description": "",
        "organisation": _org_json(base, scenario.organisation),
        "access_modifier": scenario.access_modifier,
        "supplier": scenario.supplier or None,
        "created": _iso(raster.created),
        "last_modified": _iso(raster.last_modified),
        "temporal": bool(raster.temporal and info and len(info.times) > 1),
        "interval": None,
        "first_value_timestamp": first,
        "last_value_timestamp": last,
        "spatial_bounds": spatial,
        "projection": info.projection if info else None,
        "origin_x": bounds[0],
        "origin_y": bounds[1],
        "upper_bound_x": bounds[2],
        "upper_bound_y": bounds[3],
        "pixelsize_x": info.pixelsize[0] if info else None,
        "pixelsize_y": info.pixelsize[1] if info else None,
        "observation_type": observation,
        "scenario": f"{base}{PREFIX}/scenarios/{scenario.uuid}/",
        "code": raster.code,
        "writable": writable,
        "is_geoblock": False,
        "source": None,
        "raster_sources": [],
        "datasets": [],
        "shared_with": [],
        "wms_info": None,
        "options": {},
        "colormap": {},
        "rescalable": False,
        "supplier_code": None,
        "aggregation_type": "none",
    }


def _raster_and_info(state: LizardState, key: str, caller: Caller) -> tuple[Any, Any, Any]:
    from toolkit.scenarios.publish import raster_info

    raster, scenario = state.store.get_raster(key, visible_to=caller.visible_to)
    info = None
    if raster.file and state.store.path(raster.file).is_file():
        info = raster_info(state.store.path(raster.file))
    return raster, scenario, info


@_endpoint("/rasters/{uuid}/", ("GET",), "lizard_raster")
async def raster_detail(request: Request, uuid: str) -> Response:
    """Metadata of a scenario raster."""
    caller = await _caller(request)
    state = _state(request)
    raster, scenario, info = await run_in_threadpool(_raster_and_info, state, uuid, caller)
    writable = not caller.restricted or state.store.can_change(scenario, caller.user)
    return _respond(request, _raster_json(_base(request), raster, scenario, info, writable),
                    _ALLOW_GET, "Raster Instance")


@_endpoint("/rasters/{uuid}/timesteps/", ("GET",), "lizard_timesteps")
async def raster_timesteps(request: Request, uuid: str) -> Response:
    """``{"steps": [ISO ...]}``: the band times of a temporal raster (empty otherwise)."""
    caller = await _caller(request)
    _, _, info = await run_in_threadpool(_raster_and_info, _state(request), uuid, caller)
    steps = list(info.times) if info and len(info.times) > 1 else []
    return _respond(request, {"steps": steps}, _ALLOW_GET, "Raster Timesteps")


def _pixels(value: str | None, what: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{what} must be a number of pixels, got {value!r}") from None
    if not math.isfinite(number) or number < 1 or number != int(number):
        raise InputError(f"{what} must be a whole number of pixels >= 1, got {value!r}")
    return int(number)


def _export_request(request: Request, info: Any, raster: Any) -> dict[str, Any]:
    """Validated parameters of ``/rasters/{uuid}/data/`` (InputError -> 400)."""
    from toolkit.scenarios.publish import select_bands

    params = request.query_params
    fmt = (params.get("format") or "geotiff").lower()
    if fmt not in ("geotiff", "tiff", "tif"):
        raise InputError(f"format {fmt!r} is not supported: only format=geotiff")
    projection = params.get("projection") or params.get("srs") or None
    bbox_text = params.get("bbox")
    if bbox_text:
        parts = bbox_text.split(",")
        try:
            bbox = [float(p) for p in parts]
        except ValueError:
            bbox = []
        if len(bbox) != 4:
            raise InputError(f"bbox {bbox_text!r} must be four numbers x1,y1,x2,y2")
    elif projection is None or projection.upper() == info.projection.upper():
        bbox = list(info.bounds)
    else:
        raise InputError("bbox is required when the projection differs from the raster's")
    width = _pixels(params.get("width"), "width")
    height = _pixels(params.get("height"), "height")
    if width is None or height is None:
        same = projection is None or projection.upper() == info.projection.upper()
        if not same:
            raise InputError("width and height are required when the projection differs "
                             "from the raster's")
        px, py = abs(info.pixelsize[0]), abs(info.pixelsize[1])
        width = width or max(1, math.ceil(abs(bbox[2] - bbox[0]) / px - 1e-9))
        height = height or max(1, math.ceil(abs(bbox[3] - bbox[1]) / py - 1e-9))
    bands = select_bands(info, params.get("start") or params.get("time"), params.get("stop"))
    if width * height * len(bands) > MAX_PIXELS:
        raise InputError(f"{width} x {height} pixels x {len(bands)} bands is more than the "
                         f"{MAX_PIXELS:,} pixels of one export: split the box")
    nodata = -9999.0
    if params.get("nodata") not in (None, ""):
        try:
            nodata = float(params["nodata"])
        except ValueError:
            raise InputError(f"nodata must be a number, got {params['nodata']!r}") from None
    stamp = ""
    if len(bands) == 1 and info.times:
        stamp = "_" + info.times[bands[0] - 1].replace("-", "").replace(":", "")
    return {"bbox": bbox, "width": width, "height": height, "projection": projection,
            "bands": bands, "nodata": nodata, "filename": f"{raster.code}{stamp}.tif",
            "async": params.get("async", "").lower() in _TRUE}


def _run_export(state: LizardState, task_uuid: str, source: Path, options: dict[str, Any]
                ) -> None:
    from toolkit.scenarios.publish import render_raster

    store = state.store
    folder = store.exports / task_uuid
    try:
        store.set_task(task_uuid, "STARTED")
        folder.mkdir(parents=True, exist_ok=True)
        target = render_raster(source, folder / options["filename"], bbox=options["bbox"],
                               width=options["width"], height=options["height"],
                               projection=options["projection"], bands=options["bands"],
                               nodata=options["nodata"])
        store.set_task(task_uuid, "SUCCESS",
                       file=str(target.relative_to(store.data_dir)), detail=None)
    except Exception as exc:  # noqa: BLE001 - the task records what went wrong
        if not isinstance(exc, ToolkitError):
            log.exception("raster export %s failed", task_uuid)
        shutil.rmtree(folder, ignore_errors=True)
        store.set_task(task_uuid, "FAILURE", detail=f"{exc}")


@_endpoint("/rasters/{uuid}/data/", ("GET",), "lizard_raster_data")
async def raster_data(request: Request, uuid: str) -> Response:
    """The raster cut to ``bbox`` (``x1,y1,x2,y2`` in ``projection``), resampled to
    ``width`` x ``height`` pixels, as GeoTIFF; temporal rasters take ``start`` (nearest step)
    and optionally ``stop`` (every step between). With ``async=true`` the answer is a task
    ``{task_id, url}`` whose ``result`` is the download URL once it succeeded."""
    from toolkit.scenarios.publish import check_bbox

    caller = await _caller(request)
    state = _state(request)

    def prepare() -> tuple[Path, dict[str, Any]]:
        raster, _, info = _raster_and_info(state, uuid, caller)
        if info is None:
            raise NotFound("This raster has no data (nothing was uploaded yet).")
        options = _export_request(request, info, raster)
        source = state.store.path(raster.file)
        options["bbox"] = list(check_bbox(source, options["bbox"], options["projection"]))
        return source, options

    source, options = await run_in_threadpool(prepare)
    base = _base(request)
    if options["async"]:
        task = await run_in_threadpool(state.store.create_task, "raster-export",
                                       caller.user.name)
        state.workers.submit(_run_export, state, task.uuid, source, options)
        return _respond(request, {"task_id": task.uuid,
                                  "url": f"{base}{PREFIX}/tasks/{task.uuid}/"},
                        _ALLOW_GET, "Raster Data")
    from toolkit.scenarios.publish import render_raster

    work = await run_in_threadpool(state.store.work_dir)
    try:
        target = await run_in_threadpool(
            lambda: render_raster(source, work / options["filename"], bbox=options["bbox"],
                                  width=options["width"], height=options["height"],
                                  projection=options["projection"], bands=options["bands"],
                                  nodata=options["nodata"]))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return FileResponse(target, filename=target.name, media_type="image/tiff",
                        background=BackgroundTask(shutil.rmtree, work, True))


# --------------------------------------------------------------------------- tasks, orgs
@_endpoint("/tasks/{uuid}/", ("GET",), "lizard_task")
async def task_detail(request: Request, uuid: str) -> Response:
    """A background task: ``status`` PENDING, STARTED, SUCCESS or FAILURE, and on SUCCESS
    ``result``, the download URL (raster export) or the scenario's results (processing)."""
    caller = await _caller(request)
    state = _state(request)
    task = await run_in_threadpool(
        lambda: state.store.get_task(uuid, visible_to=caller.visible_to))
    return _respond(request, _task_json(_base(request), state.signer, task), _ALLOW_GET,
                    "Task Instance")


@_endpoint("/organisations/", ("GET",), "lizard_organisations")
async def organisations(request: Request) -> Response:
    """Organisations of the users and scenarios (name and a stable uuid)."""
    await _caller(request)
    store = _state(request).store
    base = _base(request)
    names = await run_in_threadpool(store.organisations)
    page, items = _paginate(request, len(names), lambda limit, offset:
                            names[offset:offset + limit])
    return _respond(request, {**page, "results": [_org_json(base, n) for n in items]},
                    _ALLOW_GET, "Organisation List")


@_endpoint("/organisations/{uuid}/", ("GET",), "lizard_organisation")
async def organisation_detail(request: Request, uuid: str) -> Response:
    """One organisation."""
    await _caller(request)
    names = await run_in_threadpool(_state(request).store.organisations)
    match = [n for n in names if org_uuid(n) == uuid]
    if not match:
        raise NotFound("Not found.")
    return _respond(request, _org_json(_base(request), match[0]), _ALLOW_GET,
                    "Organisation Instance")
