"""CalcBrowser: list calculations with their status, show one, open its results, abort it.

Events: ``on_select(callback(calc_id))`` and ``on_open(callback(calc_id, info))`` (the Open
button; the app decides which viewer shows the results, see :func:`viewer_kind`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets as t

from toolkit.widgets._base import ErrorBoxMixin, HookMixin, empty_html, esc, guarded
from toolkit.widgets.protocol import CalcInfo, CalcService
from toolkit.widgets.services import calc_service

__all__ = ["CalcBrowser", "viewer_kind", "STATUS_FILTERS"]

#: status filter label -> statuses shown
STATUS_FILTERS = {
    "all": None,
    "running": ("created", "executing"),
    "complete": ("complete",),
    "failed or aborted": ("failed", "aborted"),
}
_ICONS = {"complete": "✔", "failed": "✖", "aborted": "■", "executing": "▶", "created": "…"}


def viewer_kind(mode: str) -> str:
    """Which viewer shows the results of a calculation mode: ``"hazard"`` (curves),
    ``"fields"`` (ground-motion fields) or ``"damage"``."""
    if mode in ("scenario_damage", "scenario_risk", "event_based_risk", "classical_risk",
                "classical_damage"):
        return "damage"
    if mode in ("scenario", "event_based"):
        return "fields"
    return "hazard"


def _label(info: CalcInfo) -> str:
    icon = _ICONS.get(info.status, "?")
    desc = info.description if len(info.description) <= 60 else info.description[:57] + "…"
    return f"#{info.id} {icon} {info.status:<9} {info.mode:<16} {desc}"


class CalcBrowser(HookMixin, ErrorBoxMixin, w.VBox):
    """Calculations of a :class:`~toolkit.widgets.protocol.CalcService`.

    Parameters
    ----------
    service : CalcService, toolkit.client.Client, Settings or None
        Where the calculations are (a client is wrapped in ``RemoteCalcs``; Settings or None
        mean in-process, :mod:`toolkit.widgets.services`).
    limit : int
        Most calculations listed.
    autoload : bool
        List at once (else call :meth:`refresh`).

    Attributes
    ----------
    selected : int or None
        Id of the selected calculation.
    calcs : list of CalcInfo
        What is listed (after the status filter).
    """

    selected = t.Int(None, allow_none=True)
    count = t.Int(0, read_only=True)

    def __init__(self, service: CalcService | Any = None, *, limit: int = 100,
                 autoload: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = calc_service(service)
        self.limit = int(limit)
        self.calcs: list[CalcInfo] = []
        self._all: list[CalcInfo] = []
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-calc-browser")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.add_class("tk-refresh")
        self.status_filter = w.Dropdown(options=list(STATUS_FILTERS), value="all",
                                        description="Status", layout=w.Layout(width="240px"))
        self.status_filter.add_class("tk-filter")
        self.listing = w.Select(options=[], rows=8, layout=w.Layout(width="720px"))
        self.listing.add_class("tk-calcs")
        self.empty = w.HTML("")
        self.empty.add_class("tk-empty")
        self.details = w.HTML("")
        self.details.add_class("tk-details")
        self.open_button = w.Button(description="Open results", icon="folder-open",
                                    button_style="primary", disabled=True)
        self.open_button.add_class("tk-open")
        self.abort_button = w.Button(description="Abort", icon="stop", button_style="danger",
                                     disabled=True)
        self.abort_button.add_class("tk-abort")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.status_filter.observe(lambda _c: self._fill(), "value")
        self.listing.observe(self._on_listing, "value")
        self.open_button.on_click(lambda _b: self.open_results())
        self.abort_button.on_click(lambda _b: self.abort())
        self.children = [
            w.HBox([self.refresh_button, self.status_filter]),
            self.status_line,
            self.error,
            self.empty,
            self.listing,
            w.HBox([self.open_button, self.abort_button]),
            self.details,
        ]
        if autoload:
            self.refresh()

    def on_select(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id)`` when a calculation is selected."""
        self._register("select", callback, remove)

    def on_open(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id, info)`` when Open results is pressed on a complete one."""
        self._register("open", callback, remove)

    @guarded("cannot list the calculations")
    def refresh(self) -> None:
        """Read the list again (keeps the selection when it is still listed)."""
        self.clear_error()
        try:
            self._all = list(self.service.list(self.limit))
        except Exception:
            self._all = []
            self._fill()
            self.set_status(f"No answer from {self.service.location}.")
            raise
        self._fill()

    def _fill(self) -> None:
        keep = STATUS_FILTERS[self.status_filter.value]
        self.calcs = [c for c in self._all if keep is None or c.status in keep]
        self.set_trait("count", len(self.calcs))
        selected = self.selected
        self.listing.options = [(_label(c), c.id) for c in self.calcs]
        if not self._all:
            self.empty.value = empty_html(f"No calculations yet in {self.service.location}. "
                                          "Run one with the JobRunner, or `toolkit run job.ini`.")
        elif not self.calcs:
            self.empty.value = empty_html(f"No {self.status_filter.value} calculations.")
        else:
            self.empty.value = ""
        n = len(self.calcs)
        self.set_status(f"{n} calculation{'s' if n != 1 else ''} "
                        f"({self.status_filter.value}) in {self.service.location}")
        ids = [c.id for c in self.calcs]
        if selected in ids:
            self.listing.value = selected
        elif ids:
            self.listing.value = ids[0]
        else:
            self.selected = None
            self._show(None)

    def _on_listing(self, change: Any) -> None:
        self.selected = change["new"]

    @t.observe("selected")
    def _selected_changed(self, change: Any) -> None:
        calc_id = change["new"]
        if calc_id is not None and self.listing.value != calc_id:
            if calc_id not in [c.id for c in self.calcs]:
                self.refresh()
            if calc_id in [c.id for c in self.calcs]:
                self.listing.value = calc_id
        self._show(self.info(calc_id) if calc_id is not None else None)
        if calc_id is not None:
            self._fire("select", calc_id)

    def info(self, calc_id: int) -> CalcInfo | None:
        """The listed :class:`CalcInfo` of ``calc_id`` (None when not listed)."""
        return next((c for c in self._all if c.id == calc_id), None)

    def _show(self, info: CalcInfo | None) -> None:
        self.open_button.disabled = info is None or info.status != "complete"
        self.abort_button.disabled = info is None or info.is_final
        if info is None:
            self.details.value = ""
            return
        rows = [("id", info.id), ("description", info.description), ("mode", info.mode),
                ("status", info.status), ("owner", info.owner), ("started", info.start_time)]
        if info.progress is not None and info.is_running:
            rows.append(("progress", f"{100 * info.progress:.0f} %"))
        table = "".join(f"<tr><th style='text-align:left;padding-right:12px'>{esc(k)}</th>"
                        f"<td>{esc(v)}</td></tr>" for k, v in rows if v not in (None, ""))
        extra = ""
        if info.status in ("failed", "aborted"):
            try:
                trace = self.service.traceback(info.id)
            except Exception as exc:
                trace = f"(the traceback could not be read: {exc})"
            if trace:
                extra = ("<details><summary>traceback</summary><pre style='font-size:11px;"
                         f"white-space:pre-wrap;max-height:300px;overflow:auto'>{esc(trace)}"
                         "</pre></details>")
        self.details.value = f"<table style='font-size:13px'>{table}</table>{extra}"

    def select(self, calc_id: int) -> None:
        """Select ``calc_id`` (refreshing the list when it is not listed yet)."""
        self.selected = int(calc_id)

    @guarded("cannot open the results")
    def open_results(self) -> None:
        """Fire ``on_open`` for the selected calculation if it is complete."""
        info = self.info(self.selected) if self.selected is not None else None
        if info is None:
            raise ValueError("select a calculation first")
        if info.status != "complete":
            raise ValueError(f"calculation {info.id} is {info.status}: only complete "
                             "calculations have results")
        self.clear_error()
        self._fire("open", info.id, info)

    @guarded("cannot abort")
    def abort(self) -> None:
        if self.selected is None:
            return
        done = self.service.abort(self.selected)
        self.set_status(f"Calculation {self.selected} "
                        f"{'aborted' if done else 'had already finished'}.")
        self.refresh()
