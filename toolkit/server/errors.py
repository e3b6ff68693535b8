"""Error handling of the server: one handler per router maps exceptions to a status and a body.

Routes raise :mod:`toolkit.errors` exceptions (or the few server-only ones below); they never
build error bodies themselves. The body depends on the router the request went to, so that
each API keeps the shapes its clients parse (``ARCHITECTURE.md``, "Error bodies"):

============== ==================================================================================
router         body
============== ==================================================================================
``/v1``        OpenQuake's ``{"error": "..."}`` (``application/json``); a refused
               ``/v1/calc/run`` answers ``{"traceback": [lines], "job_id": null}``; the validators
               answer ``{"error_msg", "error_line", "valid": false}``; an unauthenticated
               request in restricted mode gets 403 with an empty body, as the real server
``/accounts``  ``text/plain`` message, as OpenQuake's ``ajax_login`` (``Invalid login``)
other          the toolkit's own ``{"ok": false, "error": "...", "status": N}``
============== ==================================================================================

The status is the exception's ``status`` (``InputError`` 400, ``NotFound`` 404, ...). A request
that FastAPI cannot validate (a missing or mistyped parameter) is a 400, never a 422 or a 500.
An unexpected exception is a 500 with a short body; its traceback goes to the server log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from toolkit.errors import NotFound, ToolkitError

__all__ = [
    "NotAuthenticated",
    "PermissionDenied",
    "PayloadTooLarge",
    "RunRefused",
    "UnsupportedExportType",
    "ValidationFailed",
    "install_error_handlers",
    "error_response",
]

log = logging.getLogger("toolkit.server")


class NotAuthenticated(ToolkitError):
    """No valid session in restricted mode: 403 with an empty body on ``/v1`` (as OpenQuake)."""

    status = 403


class PermissionDenied(ToolkitError):
    """The user may see the calculation but not change it (another user's shared calculation)."""

    status = 403


class PayloadTooLarge(HTTPException):
    """The request body, or an uploaded archive once unpacked, exceeds a size limit (413).

    An :class:`~starlette.exceptions.HTTPException`, so that FastAPI lets it through when it
    is raised while the form is parsed.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)

    def __str__(self) -> str:
        return str(self.detail)


class RunRefused(ToolkitError):
    """``/v1/calc/run`` or ``run_ini`` refused the job; wraps the cause (its status is kept)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.status = _status(cause)


class UnsupportedExportType(NotFound):
    """An output cannot be exported in the requested type: 404 whose body lists the types
    that are supported (``{"error": ..., "export_types": [...]}``)."""

    def __init__(self, output: str, export_type: str, supported: list[str]) -> None:
        super().__init__(f"cannot export {output} as {export_type!r}; supported export types: "
                         f"{', '.join(supported)}")
        self.supported = list(supported)


class ValidationFailed(ToolkitError):
    """A validator could not even start (no archive given): 400 with the validator's shape."""

    status = 400


def _status(exc: BaseException) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, ToolkitError):
        return exc.status
    return 500


def _message(exc: BaseException) -> str:
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return _validation_message(exc)
    return str(exc)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path")]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts) if parts else "invalid request"


_LINE = re.compile(r"\bline (\d+)\b")


def error_line(message: str) -> int | None:
    """The line number named in a toolkit error message (``"... line 27: ..."``), if any."""
    match = _LINE.search(message)
    return int(match.group(1)) if match else None


# -- one renderer per router -----------------------------------------------------------------
def _oq_body(exc: BaseException, status: int) -> Response:
    if isinstance(exc, NotAuthenticated):
        return Response(status_code=403)
    message = _message(exc)
    if isinstance(exc, RunRefused):
        return JSONResponse({"traceback": message.splitlines() or [message], "job_id": None},
                            status_code=status)
    if isinstance(exc, ValidationFailed):
        return JSONResponse({"error_msg": message, "error_line": None, "valid": False},
                            status_code=status)
    if isinstance(exc, UnsupportedExportType):
        return JSONResponse({"error": message, "export_types": exc.supported},
                            status_code=status)
    return JSONResponse({"error": message}, status_code=status)


def _accounts_body(exc: BaseException, status: int) -> Response:
    return PlainTextResponse(_message(exc), status_code=status)


def _toolkit_body(exc: BaseException, status: int) -> Response:
    return JSONResponse({"ok": False, "error": _message(exc), "status": status},
                        status_code=status)


_RENDERERS: list[tuple[str, Callable[[BaseException, int], Response]]] = [
    ("/v1/", _oq_body),
    ("/accounts/", _accounts_body),
]


def add_renderer(prefix: str, render: Callable[[BaseException, int], Response]) -> None:
    """Render the errors of the routes under ``prefix`` (e.g. ``"/api/v4/"``) with
    ``render(exc, status)``; a prefix registered again keeps its first renderer."""
    if not any(known == prefix for known, _ in _RENDERERS):
        _RENDERERS.insert(0, (prefix, render))


def error_response(path: str, exc: BaseException, status: int | None = None) -> Response:
    """The error response for a request to ``path`` (the body of the router it belongs to)."""
    code = _status(exc) if status is None else status
    for prefix, render in _RENDERERS:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            response = render(exc, code)
            break
    else:
        response = _toolkit_body(exc, code)
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers of this module on ``app``."""

    async def on_toolkit_error(request: Request, exc: Exception) -> Response:
        return error_response(request.url.path, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        return error_response(request.url.path, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        return error_response(request.url.path, exc, status=400)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        wrapped = RuntimeError(f"internal server error: {type(exc).__name__}: {exc}")
        return error_response(request.url.path, wrapped, status=500)

    app.add_exception_handler(ToolkitError, on_toolkit_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
