"""ScenarioBrowser: scenarios with a name filter and pagination, their results grouped by
family, download, raster preview, and Open (the app shows the scenario's fields).

An empty list shows an empty state (``tk-empty``), an unreachable server an error naming its
URL (``tk-error``).

Events: ``on_select(callback(uuid))``, ``on_open(callback(uuid, scenario))``,
``on_download(callback(path))``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets as t

from toolkit.widgets._base import (
    ErrorBoxMixin,
    HookMixin,
    empty_html,
    esc,
    guarded,
    hide,
    image_widget,
    show,
)
from toolkit.widgets._render import draw_raster, new_figure, to_png
from toolkit.widgets.protocol import ScenarioService, group_by_family
from toolkit.widgets.services import scenario_service

__all__ = ["ScenarioBrowser"]

#: largest download also offered as a link to save in the browser
MAX_LINK_BYTES = 5_000_000

_DETAIL_FIELDS = ("name", "uuid", "model_name", "simulation_start", "simulation_end",
                  "supplier", "created", "projection", "total_size")


def _size(n: Any) -> str:
    try:
        value = float(n)
    except (TypeError, ValueError):
        return str(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(n)


def _save_link(path: Path, size: int) -> str:
    """A link that saves a small downloaded file on the user's computer (the download itself
    lands where the kernel runs, which in Voila is the server)."""
    if size > MAX_LINK_BYTES:
        return (f"<span style='font-size:12px'>{esc(path.name)} is too large to pass to the "
                f"browser ({_size(size)}); it is at {esc(path)}</span>")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f"<a download='{esc(path.name)}' href='data:application/octet-stream;base64,"
            f"{data}' style='font-size:12px'>Save {esc(path.name)} on this computer</a>")


class ScenarioBrowser(HookMixin, ErrorBoxMixin, w.VBox):
    """Browse the scenarios of a :class:`~toolkit.widgets.protocol.ScenarioService`.

    Parameters
    ----------
    service : ScenarioService, toolkit.client.ScenarioClient, Settings or None
        Where the scenarios are (a client is wrapped in ``RemoteScenarios``; Settings or None
        mean the in-process catalogue, :mod:`toolkit.widgets.services`).
    page_size : int
    name : str
        Initial name filter.
    download_dir : Path, optional
        Where Download puts files, in a folder per scenario (default ``downloads`` in the
        service's data directory or cache, else ``./downloads``).
    autoload : bool
        List at once.

    Attributes
    ----------
    scenario : str
        Uuid of the selected scenario (``""``: none).
    page : int
        0-based page index.
    count : int
        Scenarios on the page shown.
    """

    scenario = t.Unicode("")
    page = t.Int(0)
    count = t.Int(0, read_only=True)

    def __init__(self, service: ScenarioService | Any = None, *, page_size: int = 10,
                 name: str = "", download_dir: str | Path | None = None,
                 autoload: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = scenario_service(service)
        service = self.service
        self.page_size = int(page_size)
        if download_dir is None:
            data_dir = getattr(getattr(service, "settings", None), "data_dir", None)
            cache = getattr(service, "cache_dir", None)
            download_dir = (Path(data_dir) / "downloads" if data_dir is not None else
                            Path(cache) / "downloads" if cache is not None else "downloads")
        self.download_dir = Path(download_dir)
        self.items: list[dict[str, Any]] = []
        self.total: int | None = None
        self.result_items: list[dict[str, Any]] = []
        self.downloaded: list[Path] = []
        self.preview: Any = None
        self._busy = False
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-scenario-browser")
        self.filter_text = w.Text(value=name, description="Name", placeholder="contains …",
                                  continuous_update=False, layout=w.Layout(width="320px"))
        self.filter_text.add_class("tk-filter")
        self.search_button = w.Button(description="Search", icon="search")
        self.search_button.add_class("tk-search")
        self.listing = w.Select(options=[], rows=6, layout=w.Layout(width="720px"))
        self.listing.add_class("tk-scenarios")
        self.empty = w.HTML("")
        self.empty.add_class("tk-empty")
        self.prev_button = w.Button(description="Previous", icon="chevron-left", disabled=True)
        self.prev_button.add_class("tk-prev")
        self.next_button = w.Button(description="Next", icon="chevron-right", disabled=True)
        self.next_button.add_class("tk-next")
        self.page_label = w.HTML("")
        self.page_label.add_class("tk-page")
        self.details = w.HTML("")
        self.details.add_class("tk-details")
        self.results_view = w.HTML("")
        self.results_view.add_class("tk-results")
        self.result_picker = w.Dropdown(description="Result", layout=w.Layout(width="420px"))
        self.result_picker.add_class("tk-result")
        self.open_button = w.Button(description="Open scenario", icon="folder-open",
                                    button_style="primary", disabled=True)
        self.open_button.add_class("tk-open")
        self.download_button = w.Button(description="Download", icon="download",
                                        disabled=True)
        self.download_button.add_class("tk-download")
        self.preview_button = w.Button(description="Preview", icon="image", disabled=True)
        self.preview_button.add_class("tk-preview")
        self.download_link = w.HTML("")
        self.download_link.add_class("tk-download-link")
        self.preview_image = image_widget("560px", cls="tk-preview-img")
        hide(self.preview_image)
        self.search_button.on_click(lambda _b: self.search())
        self.filter_text.observe(lambda _c: self.search(), "value")
        self.prev_button.on_click(lambda _b: self._turn(-1))
        self.next_button.on_click(lambda _b: self._turn(+1))
        self.listing.observe(self._on_listing, "value")
        self.result_picker.observe(self._on_result, "value")
        self.open_button.on_click(lambda _b: self.open_scenario())
        self.download_button.on_click(lambda _b: self.download())
        self.preview_button.on_click(lambda _b: self.show_preview())
        self.children = [
            w.HBox([self.filter_text, self.search_button]),
            self.status_line,
            self.error,
            self.empty,
            self.listing,
            w.HBox([self.prev_button, self.page_label, self.next_button]),
            self.details,
            self.open_button,
            self.results_view,
            w.HBox([self.result_picker, self.download_button, self.preview_button]),
            self.download_link,
            self.preview_image,
        ]
        if autoload:
            self.refresh()

    # -- hooks -------------------------------------------------------------------------------
    def on_select(self, callback: Any, remove: bool = False) -> None:
        """``callback(uuid)`` when a scenario is selected."""
        self._register("select", callback, remove)

    def on_open(self, callback: Any, remove: bool = False) -> None:
        """``callback(uuid, scenario)`` when Open scenario is pressed."""
        self._register("open", callback, remove)

    def on_download(self, callback: Any, remove: bool = False) -> None:
        """``callback(path)`` after a download."""
        self._register("download", callback, remove)

    # -- listing -------------------------------------------------------------------------------
    def search(self) -> None:
        """Apply the name filter from the first page."""
        if self.page != 0:
            self.page = 0  # refreshes
        else:
            self.refresh()

    def _turn(self, delta: int) -> None:
        self.page = max(0, self.page + delta)

    @t.observe("page")
    def _page_changed(self, _change: Any) -> None:
        self.refresh()

    @guarded("cannot list the scenarios")
    def refresh(self) -> None:
        """Read the current page again."""
        self.clear_error()
        name = self.filter_text.value
        try:
            page = self.service.scenarios(name=name, offset=self.page * self.page_size,
                                          limit=self.page_size)
        except Exception:
            self.items = []
            self._fill_listing()
            self.set_status(f"No answer from {self.service.location}.")
            raise
        self.items = list(page.items)
        self.total = page.total
        self._fill_listing()

    def _fill_listing(self) -> None:
        self.set_trait("count", len(self.items))
        self._busy = True
        try:
            self.listing.options = [
                (f"{s.get('name', '?')}  ·  {s.get('model_name') or ''}  ·  "
                 f"{str(s.get('created') or '')[:10]}", str(s.get("uuid")))
                for s in self.items]
            self.listing.value = None
        finally:
            self._busy = False
        first = self.page * self.page_size
        name = self.filter_text.value.strip()
        if not self.items:
            what = f"matching “{name}”" if name else ""
            where = self.service.location
            self.empty.value = empty_html(
                f"No scenarios {what} on this page." if self.page else
                f"No scenarios {what} in {where}." if what else f"No scenarios in {where}.")
            self.set_status("0 scenarios")
            hide(self.listing)
        else:
            self.empty.value = ""
            show(self.listing)
            last = first + len(self.items)
            of = f" of {self.total}" if self.total is not None else ""
            self.set_status(f"Scenarios {first + 1}–{last}{of} ({self.service.location})")
        pages = (None if self.total is None else
                 max(1, -(-self.total // self.page_size)))
        self.page_label.value = (f"page {self.page + 1}" + (f" of {pages}" if pages else ""))
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = (len(self.items) < self.page_size if self.total is None
                                     else first + len(self.items) >= self.total)
        uuids = [str(s.get("uuid")) for s in self.items]
        if self.scenario in uuids:
            self.listing.value = self.scenario
        elif uuids:
            self.listing.value = uuids[0]
        else:
            self._clear_selection()

    def _on_listing(self, change: Any) -> None:
        if not self._busy and change["new"]:
            self.scenario = change["new"]

    def _clear_selection(self) -> None:
        self.details.value = ""
        self.results_view.value = ""
        self.result_items = []
        self.result_picker.options = []
        self.open_button.disabled = True
        self.download_button.disabled = True
        self.preview_button.disabled = True
        hide(self.preview_image)

    @t.observe("scenario")
    def _scenario_changed(self, change: Any) -> None:
        uuid = change["new"]
        if not uuid:
            self._clear_selection()
            return
        if self.listing.value != uuid and uuid in [o[1] for o in self.listing.options]:
            self._busy = True
            try:
                self.listing.value = uuid
            finally:
                self._busy = False
        self._show_scenario(uuid)

    @guarded("cannot show the scenario")
    def _show_scenario(self, uuid: str) -> None:
        self.clear_error()
        hide(self.preview_image)
        record = next((s for s in self.items if str(s.get("uuid")) == uuid), None)
        if record is None:
            record = self.service.scenario(uuid)
        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:12px'>{esc(k)}</th><td>"
            f"{esc(_size(record[k]) if k == 'total_size' else record[k])}</td></tr>"
            for k in _DETAIL_FIELDS if record.get(k) not in (None, ""))
        self.details.value = f"<table style='font-size:13px'>{rows}</table>"
        self.result_items = list(self.service.results(uuid))
        groups = group_by_family(self.result_items)
        blocks = []
        for family, items in groups.items():
            lis = "".join(f"<li><code>{esc(r.get('code'))}</code> {esc(r.get('name') or '')}"
                          f"{' (raster)' if r.get('raster') else ''}</li>" for r in items)
            blocks.append(f"<div class='tk-family' data-family='{esc(family)}'>"
                          f"<b>{esc(family)}</b> ({len(items)})<ul style='margin:2px 0'>{lis}"
                          "</ul></div>")
        self.results_view.value = ("".join(blocks) if blocks else
                                   empty_html("This scenario has no results."))
        self.result_picker.options = [
            (f"{r.get('family')}: {r.get('name') or r.get('code')}", i)
            for i, r in enumerate(self.result_items)]
        first_raster = next((i for i, r in enumerate(self.result_items)
                             if r.get("code") == "depth-max-dtri"), None)
        if first_raster is not None:
            self.result_picker.value = first_raster
        self.open_button.disabled = False
        self._on_result(None)
        n = len(self.result_items)
        self.set_status(f"{record.get('name', uuid)}: {n} result{'s' if n != 1 else ''} in "
                        f"{len(groups)} famil{'ies' if len(groups) != 1 else 'y'}")
        self._fire("select", uuid)

    def _on_result(self, _change: Any) -> None:
        self.download_link.value = ""
        item = self.selected_result
        self.download_button.disabled = item is None or not item.get("attachment_url")
        self.preview_button.disabled = item is None or not item.get("raster")

    @property
    def selected_result(self) -> dict[str, Any] | None:
        index = self.result_picker.value
        if index is None or not 0 <= index < len(self.result_items):
            return None
        return self.result_items[index]

    def select_result(self, code: str) -> None:
        """Pick the result with this code."""
        for i, r in enumerate(self.result_items):
            if r.get("code") == code:
                self.result_picker.value = i
                return
        raise KeyError(f"scenario {self.scenario} has no result {code!r}")

    # -- actions -------------------------------------------------------------------------------
    @guarded("cannot open the scenario")
    def open_scenario(self) -> None:
        if not self.scenario:
            raise ValueError("select a scenario first")
        record = next((s for s in self.items if str(s.get("uuid")) == self.scenario), None)
        self._fire("open", self.scenario, record or {"uuid": self.scenario})

    @guarded("download failed")
    def download(self) -> Path | None:
        item = self.selected_result
        if item is None:
            raise ValueError("choose a result first")
        dest = self.download_dir / self.scenario
        self.set_status(f"Downloading {item.get('code')} …")
        path = Path(self.service.download(self.scenario, item, dest))
        self.downloaded.append(path)
        size = path.stat().st_size if path.exists() else 0
        self.set_status(f"Downloaded {item.get('code')} to {path} ({_size(size)})")
        self.download_link.value = _save_link(path, size)
        self._fire("download", path)
        return path

    @guarded("preview failed")
    def show_preview(self) -> None:
        item = self.selected_result
        if item is None or not item.get("raster"):
            raise ValueError("choose a raster result to preview")
        raster = self.service.raster(self.scenario, item)
        self.preview = raster
        fig = new_figure(5.6, 4.4)
        ax = fig.add_subplot()
        code = str(item.get("code"))
        cmap = "Blues" if "depth" in code and "first" not in code else "viridis"
        draw_raster(ax, raster, cmap=cmap, title=str(item.get("name") or code))
        self.preview_image.value = to_png(fig)
        show(self.preview_image)
        self.set_status(f"Preview of {code}: {raster.array.shape[1]} x "
                        f"{raster.array.shape[0]} pixels")
