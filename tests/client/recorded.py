"""A requests transport that answers from the responses recorded on a real OpenQuake 3.26.2
server (``shared/reference/openquake/api/<sample>.json``), read in place.

Each sample holds the request (method, path, params), the status, the headers and the body:
JSON as is (lists trimmed by the recorder to ``{"_trimmed_list_len", "head"}`` are served as
their head), text as is, npz bodies described key by key (dtype, shape, the first values) and
zip bodies by their members (name, size). npz and zip bodies are rebuilt here:

- an npz key whose recorded sample holds every value is rebuilt exactly; a key whose sample is
  partial must be given by the test (``arrays={...}``, e.g. from the CLI exports of the same
  calculation) and is checked against the recorded first values;
- object arrays (``loads_with_numpy_defaults: false``) are rebuilt as object arrays (pickled),
  so the client meets what the real server sends;
- zip members must be given (``members={...}``) and are checked against the recorded sizes.

Requests without a recorded answer get a 501 naming the request, so a test fails visibly.
"""

from __future__ import annotations

import ast
import http.client
import io
import json
import re
import types
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

BASE = "http://127.0.0.1:8800"


class Incomplete(AssertionError):
    """A recorded npz key or zip body that the test must complete."""


def _dtype(text: str) -> np.dtype:
    if text.startswith("["):
        return np.dtype(ast.literal_eval(text))
    return np.dtype(text)


def _record(value: Any) -> Any:
    """Nested lists of a recorded structured sample -> nested tuples."""
    if isinstance(value, list):
        return tuple(_record(v) for v in value)
    return value


def _bytes_field(dtype: np.dtype, value: Any) -> Any:
    if isinstance(value, str) and dtype.kind == "S":
        return value.encode("utf-8")
    return value


def build_array(key: str, spec: Mapping[str, Any], given: Any = None) -> np.ndarray:
    """The array of one recorded npz key (``given`` completes a partial sample)."""
    if spec["dtype"] == "object":
        return np.array(spec["sample"], dtype=object)
    dtype = _dtype(spec["dtype"])
    shape = tuple(spec["shape"])
    sample = spec["sample"]
    if given is not None:
        arr = np.asarray(given).astype(dtype) if dtype.names is None else np.asarray(given)
        if arr.shape != shape:
            raise Incomplete(f"{key}: given shape {arr.shape}, recorded {shape}")
        if dtype.names is None and dtype.kind in "fiub":
            first = np.asarray(sample, dtype=float).ravel()
            np.testing.assert_allclose(arr.ravel()[: first.size].astype(float), first,
                                       rtol=2e-6, atol=0, err_msg=f"{key}: not the recorded data")
        elif dtype.names is not None:
            for got, want in zip(arr.tolist(), sample, strict=False):
                assert list(np.ravel(got)) == list(np.ravel(_record(want))), key
        return arr
    size = int(np.prod(shape)) if shape else 1
    if dtype.names is not None:
        if len(sample) != size:
            raise Incomplete(f"{key}: the recorded sample has {len(sample)} of {size} records")
        records = [tuple(_bytes_field(dtype[i], v) for i, v in enumerate(_record(r)))
                   for r in sample]
        return np.array(records, dtype=dtype).reshape(shape)
    if not shape:
        if dtype.kind == "S" and isinstance(sample, str):
            if len(sample.encode("utf-8")) != dtype.itemsize:
                raise Incomplete(f"{key}: the recorded text is cut ({len(sample)} of "
                                 f"{dtype.itemsize} bytes)")
            return np.array(sample.encode("utf-8"), dtype=dtype)
        return np.array(sample, dtype=dtype)
    flat = list(sample)
    if len(flat) != size:
        raise Incomplete(f"{key}: the recorded sample has {len(flat)} of {size} values")
    if dtype.kind == "S":
        flat = [v.encode("utf-8") for v in flat]
    return np.array(flat, dtype=dtype).reshape(shape)


def npz_bytes(body: Mapping[str, Any], arrays: Mapping[str, Any]) -> bytes:
    out = {key: build_array(key, spec, arrays.get(key)) for key, spec in body["npz"].items()}
    buf = io.BytesIO()
    np.savez_compressed(buf, **out)
    return buf.getvalue()


def zip_bytes(body: Mapping[str, Any], members: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in body["zip_members"]:
            name = member["name"]
            if name not in members:
                raise Incomplete(f"zip member {name} not given")
            data = members[name]
            if len(data) != member["size"]:
                raise Incomplete(f"zip member {name}: {len(data)} bytes, recorded "
                                 f"{member['size']}")
            archive.writestr(name, data)
    return buf.getvalue()


def _key(method: str, path: str, params: Mapping[str, Any] | Sequence | None) -> tuple:
    split = urlsplit(path)
    query = parse_qsl(split.query, keep_blank_values=True)
    if params:
        query += list(params.items()) if isinstance(params, Mapping) else list(params)
    return method.upper(), split.path, tuple(sorted((str(k), str(v)) for k, v in query))


class _Raw(io.BytesIO):
    """A body whose ``Set-Cookie`` headers requests' cookie jar can read (as from urllib3)."""

    def __init__(self, content: bytes, headers: Mapping[str, str]) -> None:
        super().__init__(content)
        msg = http.client.HTTPMessage()
        for name, value in headers.items():
            if name.lower() == "set-cookie":  # the recorder joined several with ", "
                for cookie in re.split(r", (?=[A-Za-z_][\w-]*=)", value):
                    msg["Set-Cookie"] = cookie
        self._original_response = types.SimpleNamespace(msg=msg)


class Recorded(BaseAdapter):
    """Answers requests to ``base`` from recorded samples.

    Parameters
    ----------
    api_dir : Path
        ``shared/reference/openquake/api``.
    samples : sequence of str
        Sample names to serve; a later sample with the same request replaces an earlier
        one, unless ``sequence=True`` (then they are served in turn, the last repeating).
    arrays : mapping
        ``{sample: {npz key: array}}`` completing partial npz samples.
    members : mapping
        ``{sample: {member: bytes}}`` for zip bodies.
    texts : mapping
        ``{(method, path_with_query): (status, content_type, headers, bytes)}`` answers that
        were not recorded over HTTP (the test says where they come from).
    """

    def __init__(self, api_dir: Path, samples: Sequence[str], *, sequence: bool = False,
                 arrays: Mapping[str, Mapping[str, Any]] | None = None,
                 members: Mapping[str, Mapping[str, bytes]] | None = None,
                 texts: Mapping[tuple[str, str], tuple] | None = None) -> None:
        super().__init__()
        self.api_dir = Path(api_dir)
        self.arrays = arrays or {}
        self.members = members or {}
        self.routes: dict[tuple, list[str]] = {}
        self.texts = {_key(m, p, None): v for (m, p), v in (texts or {}).items()}
        self.calls: list[tuple[str, str, dict]] = []
        for name in samples:
            sample = self.load(name)
            req = sample["request"]
            key = _key(req["method"], req["path"], req.get("params"))
            if sequence:
                self.routes.setdefault(key, []).append(name)
            else:
                self.routes[key] = [name]

    def load(self, name: str) -> dict:
        return json.loads((self.api_dir / f"{name}.json").read_text())

    def body(self, name: str, sample: Mapping[str, Any]) -> bytes:
        body = sample["body"]
        if isinstance(body, dict) and "npz" in body:
            return npz_bytes(body, self.arrays.get(name, {}))
        if isinstance(body, dict) and "zip_members" in body:
            return zip_bytes(body, self.members.get(name, {}))
        if isinstance(body, dict) and "_trimmed_list_len" in body:
            return json.dumps(body["head"]).encode()
        if isinstance(body, str) and "json" not in sample["content_type"]:
            return body.encode("utf-8")
        return json.dumps(body).encode()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.calls.append((request.method, request.url, dict(request.headers)))
        split = urlsplit(request.url)
        key = _key(request.method, split.path + (f"?{split.query}" if split.query else ""),
                   None)
        if key in self.texts:
            status, ctype, headers, content = self.texts[key]
            return self._response(request, status, {"Content-Type": ctype, **headers}, content)
        names = self.routes.get(key)
        if not names:
            text = f"no recorded answer for {request.method} {request.url}".encode()
            return self._response(request, 501, {"Content-Type": "text/plain"}, text)
        name = names.pop(0) if len(names) > 1 else names[0]
        sample = self.load(name)
        headers = {k: v for k, v in sample["headers"].items()
                   if k.lower() not in ("content-length", "transfer-encoding")}
        return self._response(request, sample["status"], headers, self.body(name, sample))

    @staticmethod
    def _response(request: requests.PreparedRequest, status: int, headers: Mapping[str, str],
                  content: bytes) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({**headers, "Content-Length": str(len(content))})
        response.raw = _Raw(content, headers)
        response.url = request.url
        response.request = request
        response.reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                           500: "Internal Server Error", 501: "Not Implemented"}.get(status, "")
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def session_for(adapter: Recorded, base: str = BASE) -> requests.Session:
    session = requests.Session()
    session.mount(base, adapter)
    return session


def encode_query(spec: str, **params: str) -> str:
    return f"{spec}?{urlencode(params)}" if params else spec
