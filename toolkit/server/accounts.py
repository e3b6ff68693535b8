"""``/accounts``: log in and out (restricted mode), as OpenQuake's ``ajax_login``/``ajax_logout``.

* ``POST /accounts/ajax_login/`` with form fields ``username`` and ``password``: 200
  ``text/plain`` ``Successful login`` and the session cookie ``sessionid`` (HttpOnly,
  SameSite=Lax); 403 ``Invalid login``; 400 when a field is missing (OpenQuake: 500).
* ``POST /accounts/ajax_logout/``: 200 ``Successful logout``; the session ends and the cookie is
  cleared.

In public mode both answer 404, as in OpenQuake's PUBLIC mode (``WebExtractor`` only logs in
when it is given a user name).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse

from toolkit.errors import InputError, NotFound
from toolkit.server.auth import SESSION_COOKIE
from toolkit.server.errors import PermissionDenied

__all__ = ["router", "SESSION_TTL_S"]

router = APIRouter(prefix="/accounts", tags=["accounts"])

#: Lifetime of a session (and of its cookie), seconds.
SESSION_TTL_S = 14 * 86400


def _restricted(request: Request) -> None:
    if request.app.state.toolkit.settings.auth_mode != "restricted":
        raise NotFound("Not Found (no login in public mode)")


@router.post("/ajax_login/", response_class=PlainTextResponse,
             responses={403: {"description": "Invalid login"}})
async def ajax_login(request: Request, username: Annotated[str | None, Form()] = None,
                     password: Annotated[str | None, Form()] = None) -> PlainTextResponse:
    """Log in; sets the ``sessionid`` cookie."""
    _restricted(request)
    if not username or password is None:
        raise InputError("Missing username or password")
    catalogue = request.app.state.toolkit.catalogue
    user = await run_in_threadpool(catalogue.authenticate, username, password)
    if user is None:
        raise PermissionDenied("Invalid login")
    token = await run_in_threadpool(catalogue.create_session, user.name, SESSION_TTL_S)
    response = PlainTextResponse("Successful login")
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_TTL_S, httponly=True,
                        samesite="lax", path="/")
    return response


@router.post("/ajax_logout/", response_class=PlainTextResponse)
def ajax_logout(request: Request) -> PlainTextResponse:
    """Log out: the session ends and its cookie is cleared."""
    _restricted(request)
    token = request.cookies.get(SESSION_COOKIE)
    request.app.state.toolkit.catalogue.delete_session(token)
    response = PlainTextResponse("Successful logout")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
