"""HTTP errors as toolkit.errors classes: messages with method, URL and what the server said."""

from __future__ import annotations

import io

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from toolkit.client.errors import (
    HTTPError,
    PermissionDenied,
    ServerError,
    ServerUnreachable,
    describe_body,
    error_from_response,
    filename_from_headers,
    save_response,
    send,
)
from toolkit.errors import InputError, NotFound, ToolkitError


class Canned(BaseAdapter):
    """Answers every request with one status, headers and body (a short body can lie about
    its Content-Length)."""

    def __init__(self, status=200, body=b"", headers=None, length=None):
        super().__init__()
        self.status, self.body, self.headers, self.length = status, body, headers or {}, length

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = self.status
        length = self.length if self.length is not None else len(self.body)
        response.headers = CaseInsensitiveDict({**self.headers, "Content-Length": str(length)})
        response.raw = io.BytesIO(self.body)
        response.url, response.request, response.reason = request.url, request, "Reason"
        return response

    def close(self):
        pass


def session(adapter):
    s = requests.Session()
    s.mount("http://x", adapter)
    return s


@pytest.mark.parametrize(("text", "ctype", "said"), [
    ('{"error": "calculation 9 not found"}', "application/json", "calculation 9 not found"),
    ('{"detail": "Not found."}', "application/json", "Not found."),
    ('{"traceback": ["Traceback", "  File x", "ValueError: bad", ""], "job_id": 3}',
     "application/json", "ValueError: bad"),
    ('{"name": ["This field is required."]}', "application/json",
     '{"name": ["This field is required."]}'),
    ("KeyError: 'x' in /v1/calc/3/extract/x\n  File ...", "text/plain",
     "KeyError: 'x' in /v1/calc/3/extract/x"),
    ("<html><head><title>Page not found at /v1/x</title></head></html>", "text/html",
     "Page not found at /v1/x"),
    ("", "text/html", ""),
])
def test_describe_body(text, ctype, said):
    assert describe_body(text, ctype) == said


@pytest.mark.parametrize(("status", "cls", "builtin"), [
    (400, InputError, ValueError), (404, NotFound, KeyError), (401, PermissionDenied,
                                                               PermissionError),
    (403, PermissionDenied, PermissionError), (413, InputError, ValueError),
    (500, ServerError, Exception), (502, ServerError, Exception), (418, HTTPError, Exception),
])
def test_status_to_class(status, cls, builtin):
    with pytest.raises(cls) as info:
        send(session(Canned(status, b'{"error": "nope"}', {"Content-Type": "application/json"})),
             "get", "http://x/v1/thing", timeout=1, params={"a": "1"})
    error = info.value
    assert isinstance(error, ToolkitError) and isinstance(error, builtin)
    assert str(error) == f"GET http://x/v1/thing?a=1: {status} Reason: nope"
    assert (error.method, error.url, error.status_code) == ("GET", "http://x/v1/thing?a=1",
                                                            status)
    assert error.body == '{"error": "nope"}'


def test_error_from_response_without_a_body():
    response = Canned(403).send(requests.Request("POST", "http://x/v1/calc/list").prepare())
    error = error_from_response(response)
    assert str(error) == ("POST http://x/v1/calc/list: 403 Reason (not logged in, a wrong API "
                          "key, or not yours)")


def test_unreachable_names_the_server():
    with pytest.raises(ServerUnreachable) as info:
        send(requests.Session(), "GET", "http://127.0.0.1:9/v1/calc/list", timeout=2)
    assert str(info.value).startswith("server unreachable at http://127.0.0.1:9 (GET "
                                      "http://127.0.0.1:9/v1/calc/list: connection failed")
    assert isinstance(info.value, ConnectionError) and info.value.status_code is None


def test_save_response_detects_a_short_download(tmp_path):
    adapter = Canned(200, b"12345", length=10)
    response = send(session(adapter), "GET", "http://x/file", timeout=1, stream=True)
    with pytest.raises(ServerUnreachable, match="stopped after 5 of 10 bytes"):
        save_response(response, tmp_path / "f.bin")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    response = send(session(Canned(200, b"12345")), "GET", "http://x/file", timeout=1,
                    stream=True)
    assert save_response(response, tmp_path / "sub" / "f.bin", progress=True).read_bytes() == (
        b"12345")


@pytest.mark.parametrize(("header", "name"), [
    ("attachment; filename=output-6-hcurves-csv.zip", "output-6-hcurves-csv.zip"),
    ('attachment; filename="output-14-hazard_uhs-mean_4.csv"', "output-14-hazard_uhs-mean_4.csv"),
    ("attachment; filename*=UTF-8''d%C3%A9g%C3%A2ts.csv", "dégâts.csv"),
    ("attachment; filename=../../etc/passwd", "passwd"),
    ("attachment; filename=..", "fallback"),
    ("", "fallback"),
])
def test_filename_from_headers(header, name):
    assert filename_from_headers({"Content-Disposition": header}, "fallback") == name
