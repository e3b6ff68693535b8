"""HTTP errors of the clients as :mod:`toolkit.errors` classes naming the method and the URL.

Both clients (:class:`~toolkit.client.oq.Client`, :class:`~toolkit.client.lizard.ScenarioClient`)
send every request through :func:`send`, which turns what can go wrong into the toolkit's
exception tree, so notebooks and widgets catch what they know::

    ToolkitError
    ├── ServerUnreachable(ConnectionError)   no connection, DNS failure, timeout
    ├── HTTPError                            any other status >= 400
    │   └── ServerError                      5xx
    ├── PermissionDenied(PermissionError)    401, 403
    ├── InputError(ValueError)
    │   └── HTTPInputError                   400, 405, 409, 413, 415, 422
    └── NotFound(KeyError)
        └── HTTPNotFound                     404, 410

Every one of them has the attributes ``method``, ``url``, ``status_code`` (None when no
response arrived) and ``body`` (the response text, cut to 4000 characters), and its message
starts with ``"<METHOD> <url>: "``. The message carries what the server said: the ``error`` /
``detail`` field of a JSON body (OpenQuake, Lizard/DRF, toolkit shapes), the last line of a
``traceback`` list, or the first line of a text body (OpenQuake's 500 ``text/plain``
tracebacks). An HTML page (Django's debug or 404 pages) is reduced to its title.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.errors import InputError, NotFound, ToolkitError

__all__ = [
    "HTTPError",
    "ServerError",
    "PermissionDenied",
    "ServerUnreachable",
    "HTTPInputError",
    "HTTPNotFound",
    "error_from_response",
    "describe_body",
    "send",
    "save_response",
    "filename_from_headers",
]

_BODY_LIMIT = 4000


class _HTTPInfo:
    """Mixin: where an HTTP error happened."""

    method: str = ""
    url: str = ""
    status_code: int | None = None
    body: str = ""


class HTTPError(_HTTPInfo, ToolkitError):
    """A response with an error status that no more specific class describes."""


class ServerError(HTTPError):
    """A 5xx response: the server failed (OpenQuake's tracebacks, the toolkit's 500s)."""


class PermissionDenied(_HTTPInfo, ToolkitError, PermissionError):
    """401 or 403: not logged in, wrong API key, or not the owner."""

    status = 403


class ServerUnreachable(_HTTPInfo, ToolkitError, ConnectionError):
    """No response: connection refused, unknown host, timeout, connection dropped."""

    status = 503


class HTTPInputError(_HTTPInfo, InputError):
    """400, 405, 409, 413, 415, 422: the server refused the request's input."""


class HTTPNotFound(_HTTPInfo, NotFound):
    """404, 410: no such calculation, output, scenario, result or URL."""


def _with_info(exc: Any, method: str, url: str, status: int | None, body: str) -> Any:
    exc.method, exc.url, exc.status_code, exc.body = method, url, status, body
    return exc


_TITLE = re.compile(r"<title>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)


def describe_body(text: str, content_type: str = "") -> str:
    """What the server said, in one line (empty when the body is empty).

    JSON bodies: the ``error`` / ``detail`` / ``message`` field, or the last non-empty line of
    a ``traceback`` list (OpenQuake's refused runs); HTML: the page title; text: the first line
    (OpenQuake's ``KeyError: ...`` tracebacks begin with the exception).
    """
    text = (text or "").strip()
    if not text:
        return ""
    if "json" in content_type or text[:1] in "[{":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("error", "detail", "message", "error_msg"):
                value = data.get(key)
                if isinstance(value, str) and value:
                    return value
                if isinstance(value, list) and value:
                    return "; ".join(str(v) for v in value)
            tb = data.get("traceback")
            if isinstance(tb, list):
                lines = [str(x).strip() for x in tb if str(x).strip()]
                if lines:
                    return lines[-1]
            errors = data.get("errors")
            if errors:
                return str(errors)
            return json.dumps(data)[:300]
        if isinstance(data, list) and data:
            return "; ".join(str(v) for v in data)[:300]
    if "html" in content_type or text[:1] == "<":
        match = _TITLE.search(text)
        return match.group(1) if match else "an HTML page"
    return text.splitlines()[0][:500]


def error_from_response(response: Any, method: str | None = None,
                        url: str | None = None) -> ToolkitError:
    """The toolkit exception describing an error response (``requests.Response``)."""
    method = (method or getattr(response.request, "method", None) or "GET").upper()
    url = url or response.url
    status = int(response.status_code)
    try:
        text = response.text
    except Exception:  # noqa: BLE001  (undecodable or already consumed body)
        text = ""
    body = text[:_BODY_LIMIT]
    said = describe_body(text, response.headers.get("Content-Type", ""))
    reason = response.reason or ""
    message = f"{method} {url}: {status} {reason}".rstrip()
    if said:
        message += f": {said}"
    cls: type[ToolkitError]
    if status in (404, 410):
        cls = HTTPNotFound
    elif status in (401, 403):
        cls = PermissionDenied
        if not said:
            message += " (not logged in, a wrong API key, or not yours)"
    elif status in (400, 405, 409, 413, 415, 422):
        cls = HTTPInputError
    elif status >= 500:
        cls = ServerError
    else:
        cls = HTTPError
    return _with_info(cls(message), method, url, status, body)


_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")\]]*")


def _root(url: str) -> str:
    """``scheme://host:port`` of a URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def unreachable(method: str, url: str, exc: BaseException) -> ServerUnreachable:
    """ServerUnreachable for a request that got no response: ``"server unreachable at
    <scheme://host:port> (<METHOD> <url>: <reason>)"``."""
    import requests

    if isinstance(exc, requests.Timeout):
        what = "no answer in time"
    elif isinstance(exc, requests.ConnectionError):
        what = "connection failed"
    else:
        what = type(exc).__name__
    text = str(exc)
    match = _ERRNO.search(text)
    detail = match.group(0).strip() if match else text.splitlines()[0][:200] if text else ""
    message = f"server unreachable at {_root(url)} ({method} {url}: {what}"
    message += f": {detail})" if detail else ")"
    return _with_info(ServerUnreachable(message), method, url, None, "")


def send(session: Any, method: str, url: str, *, timeout: float | None,
         ok: Callable[[int], bool] | None = None, **kwargs: Any) -> Any:
    """``session.request(method, url, ...)`` with the errors mapped.

    Parameters
    ----------
    session : requests.Session
    method, url : str
    timeout : float or None
        Seconds to wait for the connection and for each read.
    ok : callable, optional
        ``ok(status) -> bool``: statuses returned instead of raised (default: < 400).
    **kwargs
        Passed to ``requests.Session.request`` (params, data, files, stream ...).

    Raises
    ------
    ServerUnreachable
        No response (the message is ``"server unreachable at <url> ..."``).
    NotFound, PermissionDenied, InputError, ServerError, HTTPError
        An error status (see :func:`error_from_response`).
    """
    import requests

    method = method.upper()
    if kwargs.get("params"):
        try:
            url_shown = requests.Request(method, url, params=kwargs["params"]).prepare().url
        except requests.RequestException:
            url_shown = url
    else:
        url_shown = url
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise unreachable(method, url_shown, exc) from None
    except requests.RequestException as exc:  # invalid URL, too many redirects ...
        raise _with_info(HTTPError(f"{method} {url_shown}: {exc}"), method, url_shown, None,
                         "") from None
    accept = ok or (lambda status: status < 400)
    if not accept(response.status_code):
        error = error_from_response(response, method, response.url or url_shown)
        response.close()
        raise error
    return response


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*[^']*'[^']*'([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*"?([^";]+)"?', re.IGNORECASE)


def filename_from_headers(headers: Any, default: str) -> str:
    """The file name of ``Content-Disposition`` (plain or RFC 5987), reduced to a base name."""
    from urllib.parse import unquote

    value = headers.get("Content-Disposition", "") if headers else ""
    match = _FILENAME_STAR.search(value)
    name = unquote(match.group(1).strip()) if match else ""
    if not name:
        match = _FILENAME.search(value)
        name = match.group(1).strip() if match else ""
    name = Path(name.replace("\\", "/")).name
    if name in ("", ".", ".."):
        name = default
    return name


def save_response(response: Any, target: Path, *, progress: bool | Any = False,
                  description: str = "", chunk_size: int = 1 << 20) -> Path:
    """Stream a response body into ``target`` (written to a temporary file, then renamed).

    Parameters
    ----------
    response : requests.Response
        Opened with ``stream=True``.
    target : Path
        Final file; its folder is created.
    progress : bool
        Show a tqdm bar (bytes; total from ``Content-Length``).
    description : str
        Label of the bar.

    Raises
    ------
    ServerUnreachable
        The connection dropped, or fewer bytes arrived than ``Content-Length`` announced.
    """
    import requests

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    method = getattr(response.request, "method", "GET") or "GET"
    url = response.url
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    # a compressed transfer reports the compressed length: count raw bytes then
    encoded = response.headers.get("Content-Encoding", "identity") not in ("", "identity")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=description or target.name, leave=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    received = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                for chunk in response.iter_content(chunk_size=chunk_size):
                    if not chunk:
                        continue
                    out.write(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                raise unreachable(method, url, exc) from None
        if total is not None and not encoded and received != total:
            raise _with_info(ServerUnreachable(
                f"server unreachable at {_root(url)} ({method} {url}: the download stopped after "
                f"{received} of {total} bytes)"), method, url, response.status_code, "")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        response.close()
        if bar is not None:
            bar.close()
    return target
