"""HTTP clients: :class:`Client` (OpenQuake engine WebAPI) and :class:`ScenarioClient`
(Lizard API v4 scenario results).

Both work against ``toolkit serve`` and against the real peers (an OpenQuake server, Lizard);
they return numpy arrays, :mod:`pandas` frames and :mod:`xarray` objects, and raise the
classes of :mod:`toolkit.client.errors` (subclasses of :mod:`toolkit.errors`) naming the method
and the URL. They never import the server; names are loaded lazily, so importing this package
does not load ``requests``, numpy or xarray.
"""

from __future__ import annotations

__all__ = [
    "Client",
    "ScenarioClient",
    "HTTPError",
    "ServerError",
    "PermissionDenied",
    "ServerUnreachable",
]

_LAZY = {
    "Client": "oq",
    "ScenarioClient": "lizard",
    "HTTPError": "errors",
    "ServerError": "errors",
    "PermissionDenied": "errors",
    "ServerUnreachable": "errors",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
