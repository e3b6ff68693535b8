"""The toolkit's local REST server: the OpenQuake engine WebAPI over the embedded engine.

::

    from toolkit.server import create_app
    app = create_app(load_settings())          # then: uvicorn.run(app, port=8800)

or ``toolkit serve [--host 127.0.0.1] [--port 8800]``, or
``python -m uvicorn --factory toolkit.server:create_app_from_env``. OpenAPI docs are at
``/docs``. Routers: :mod:`~toolkit.server.oq` (``/v1``), :mod:`~toolkit.server.accounts`
(``/accounts``), :mod:`~toolkit.server.lizard` (``/api/v4``, Lizard's scenarios, see
``docs/lizard.md``); errors: :mod:`~toolkit.server.errors`; the differences from OpenQuake's own
server are listed in ``docs/server.md``.

Every response carries ``X-Toolkit-Version`` and OpenQuake's CORS headers
(``Access-Control-Allow-Origin: *``, ``-Methods: GET, POST, OPTIONS``, ``-Max-Age: 1000``,
``-Headers: *``); ``OPTIONS`` on any path answers 200 with an empty body (a CORS preflight).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from toolkit import __version__
from toolkit.config import Settings
from toolkit.server.errors import PayloadTooLarge, error_response, install_error_handlers

__all__ = ["create_app", "create_app_from_env", "ServerState", "CORS_HEADERS"]

log = logging.getLogger("toolkit.server")

#: The headers OpenQuake's ``cross_domain_ajax`` adds, sent on every response.
CORS_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-max-age": "1000",
    "access-control-allow-headers": "*",
}


@dataclass
class ServerState:
    """What the routes share: settings, the catalogue, the job manager, the public user."""

    settings: Settings
    catalogue: Any
    manager: Any
    public_user: Any
    host: str
    owns_manager: bool
    submit_lock: threading.Lock


class _EdgeMiddleware:
    """Headers on every response, CORS preflight, the request body size limit, and a 500 in
    the router's error shape (with the headers) for an unexpected exception."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body
        self.headers = [(b"x-toolkit-version", __version__.encode())] + [
            (k.encode(), v.encode()) for k, v in CORS_HEADERS.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if scope["method"] == "OPTIONS":
            await send_with_headers({"type": "http.response.start", "status": 200,
                                     "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            response = error_response(scope["path"], self._too_large())
            await response(scope, receive, send_with_headers)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise self._too_large()
            return message

        try:
            await self.app(scope, receive_limited, send_with_headers)
        except Exception as exc:  # a bug: answer 500 with the headers, log the traceback
            if started:
                raise
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            wrapped = RuntimeError(f"internal server error: {type(exc).__name__}: {exc}")
            response = error_response(scope["path"], wrapped, status=500)
            await response(scope, receive, send_with_headers)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"request body larger than {self.max_body / 1e6:g} MB "
                               "(setting max_upload_mb)")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def create_app(settings: Settings, *, manager: Any = None) -> FastAPI:
    """The FastAPI application of the toolkit server.

    Parameters
    ----------
    settings : Settings
        Data directory, ``auth_mode``, job and upload limits.
    manager : JobManager, optional
        The job manager to submit to (default: a new :class:`toolkit.jobs.manager.JobManager`
        of ``settings``). The application's lifespan starts the manager (``start`` is
        idempotent) and, on shutdown, stops the one it created; a manager passed in is stopped
        by its owner.
    """
    from toolkit.server import accounts, lizard, oq
    from toolkit.server.auth import local_user
    from toolkit.store.catalogue import Catalogue

    owns = manager is None
    if manager is None:
        from toolkit.jobs.manager import JobManager

        manager = JobManager(settings)
    state = ServerState(
        settings=settings,
        catalogue=Catalogue(settings.catalogue_path),
        manager=manager,
        public_user=local_user(),
        host=socket.gethostname(),
        owns_manager=owns,
        submit_lock=threading.Lock(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.manager.start()  # idempotent: a manager passed in may be running already
        try:
            yield
        finally:
            lizard.shutdown(app)
            if state.owns_manager:
                state.manager.stop()
            state.catalogue.close()

    app = FastAPI(
        title="toolkit server",
        version=__version__,
        summary="The OpenQuake engine WebAPI (3.26.2) over the toolkit's embedded engine",
        lifespan=lifespan,
        form_limits={"max_files": 1000, "max_fields": 100, "max_part_size": 50_000_000},
    )
    app.state.toolkit = state
    install_error_handlers(app)
    app.include_router(oq.router)
    app.include_router(accounts.router)
    lizard.install(app, state)  # /api/v4: Lizard API v4 scenarios (DRF error bodies)
    app.add_middleware(_EdgeMiddleware, max_body=int(settings.max_upload_mb * 1_000_000))
    return app


def create_app_from_env() -> FastAPI:
    """:func:`create_app` with the settings of the environment (``uvicorn --factory``)."""
    from toolkit.config import load_settings

    return create_app(load_settings())
