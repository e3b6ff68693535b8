"""Who is calling: the user of a request, and what they may see and change.

* ``auth_mode = "public"`` (default): no login; every request acts as one local administrator
  (named after the login account, as ``toolkit run`` records it), as OpenQuake's PUBLIC mode
  where everyone counts as superuser.
* ``auth_mode = "restricted"``: the session cookie ``sessionid`` set by
  ``POST /accounts/ajax_login/`` names the user. A request without a live session gets 403 with
  an empty body on ``/v1`` (as the real server). A user sees their own and the shared
  calculations; an administrator sees all. Another user's *private* calculation answers 404,
  exactly as a calculation that does not exist (OpenQuake answers 403 on some routes: that
  leaks its existence).
"""

from __future__ import annotations

import getpass

from fastapi import Request

from toolkit.server.errors import NotAuthenticated, PermissionDenied
from toolkit.store.catalogue import CalcRecord, Catalogue, User

__all__ = ["SESSION_COOKIE", "local_user", "current_user", "visible_calc", "require_owner",
           "can_change"]

#: Name of the session cookie (as OpenQuake's Django server).
SESSION_COOKIE = "sessionid"


def local_user() -> User:
    """The single administrator of public mode."""
    try:
        name = getpass.getuser() or "local"
    except (KeyError, OSError, ImportError):  # no passwd entry (containers)
        name = "local"
    return User(name=name, org="", is_admin=True)


async def current_user(request: Request) -> User:
    """The user of ``request`` (FastAPI dependency; a coroutine, so that it costs no thread
    hop: the session lookup is one short SQLite read).

    Raises
    ------
    NotAuthenticated
        Restricted mode and no live session.
    """
    state = request.app.state.toolkit
    if state.settings.auth_mode != "restricted":
        return state.public_user
    token = request.cookies.get(SESSION_COOKIE)
    user = state.catalogue.session_user(token) if token else None
    if user is None:
        raise NotAuthenticated("authentication required")
    return user


def visible_calc(catalogue: Catalogue, calc_id: int, user: User) -> CalcRecord:
    """The record of ``calc_id`` if ``user`` may see it; NotFound otherwise (same message)."""
    return catalogue.get(calc_id, visible_to=user)


def can_change(record: CalcRecord, user: User) -> bool:
    """Owners and administrators may change a calculation (abort, remove, share, tag)."""
    return user.is_admin or record.owner == user.name


def require_owner(record: CalcRecord, user: User, action: str) -> None:
    """PermissionDenied unless ``user`` may change ``record``."""
    if not can_change(record, user):
        raise PermissionDenied(
            f"Cannot {action} calculation {record.id}: it belongs to {record.owner} and you "
            f"are {user.name}")
