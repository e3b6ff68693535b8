"""What a Voila app needs before composing widgets: its parameters and its services.

:func:`app_context` reads the page's query string (Voila gives it to the kernel as the
``QUERY_STRING`` environment variable; the notebook passes it in), decides where calculations and
scenarios come from and returns an :class:`AppContext`:

- ``?server=http://127.0.0.1:8800`` (or the ``server_url`` argument, or a ``server_url``
  setting when the settings have one): the OpenQuake WebAPI at that URL and the Lizard API at
  ``<url>/api/v4`` (:mod:`toolkit.widgets.remote`);
- otherwise in-process (:mod:`toolkit.widgets.local`) on the settings' data directory, with
  the demo calculations and scenarios loaded once (``?demo=0`` skips that).

Other parameters (``?scenario=<uuid>``, ``?calc=3``, ``?job=...``) are in ``context.params`` for
the notebook to use. A bad server URL does not raise: the services then raise the error on
use, and the widgets show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import ipywidgets as w

from toolkit.config import Settings, load_settings
from toolkit.errors import ToolkitError
from toolkit.widgets._base import error_html, esc

__all__ = ["AppContext", "app_context", "query_params"]


def query_params(query_string: str) -> dict[str, str]:
    """``"?a=1&b=x"`` -> ``{"a": "1", "b": "x"}`` (the last value of a repeated key wins)."""
    return dict(parse_qsl(query_string.lstrip("?"), keep_blank_values=True))


class _Unavailable:
    """A service whose every method raises the error that prevented its creation."""

    def __init__(self, location: str, error: Exception) -> None:
        self.location = location
        self._error = error

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise self._error

        return fail


@dataclass
class AppContext:
    """Services and parameters of one app page.

    Attributes
    ----------
    calcs : CalcService
    scenarios : ScenarioService
    params : dict
        The query-string parameters.
    server_url : str
        ``""`` in-process.
    settings : Settings
    error : str
        Why the services are unavailable (bad server URL), else ``""``.
    """

    calcs: Any
    scenarios: Any
    params: dict[str, str] = field(default_factory=dict)
    server_url: str = ""
    settings: Settings | None = None
    error: str = ""

    @property
    def location(self) -> str:
        return self.server_url or str(getattr(self.calcs, "location", ""))

    def int_param(self, name: str) -> int | None:
        """An integer parameter, None when absent or not an integer."""
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            return None

    def header(self, title: str = "", subtitle: str = "") -> w.HTML:
        """Where the app's data come from (an error box if unavailable), under an optional
        title."""
        where = (f"server {self.server_url}" if self.server_url else
                 f"in-process, data directory {self.settings.data_dir}" if self.settings else "")
        html = ((f"<h2 style='margin:4px 0'>{esc(title)}</h2>" if title else "")
                + (f"<div>{esc(subtitle)}</div>" if subtitle else "")
                + f"<div style='color:#555;font-size:12px'>data: {esc(where)}</div>")
        if self.error:
            html += error_html(self.error)
        widget = w.HTML(html)
        widget.add_class("tk-header")
        return widget


def app_context(query_string: str = "", *, settings: Settings | None = None,
                server_url: str | None = None, load_demos: bool = True) -> AppContext:
    """Build the services of an app page (see the module docstring)."""
    params = query_params(query_string)
    settings = settings or load_settings()
    url = (params.get("server") or server_url or str(getattr(settings, "server_url", "") or "")
           ).strip().rstrip("/")
    if url:
        try:
            from toolkit.client import Client, ScenarioClient
            from toolkit.widgets.remote import RemoteCalcs, RemoteScenarios

            calcs: Any = RemoteCalcs(Client(url, timeout=10.0))
            scenarios: Any = RemoteScenarios(ScenarioClient(f"{url}/api/v4", timeout=10.0),
                                             cache_dir=settings.data_dir / "scenario_cache")
            error = ""
        except (ToolkitError, ImportError) as exc:
            error = f"cannot use the server {url}: {exc}"
            calcs = _Unavailable(url, exc)
            scenarios = _Unavailable(url, exc)
        return AppContext(calcs=calcs, scenarios=scenarios, params=params, server_url=url,
                          settings=settings, error=error)
    from toolkit.widgets.local import LocalCalcs, LocalScenarios, ensure_demo_data

    if load_demos and params.get("demo", "1") not in ("0", "false", "no"):
        ensure_demo_data(settings)
    return AppContext(calcs=LocalCalcs(settings), scenarios=LocalScenarios(settings),
                      params=params, server_url="", settings=settings)
