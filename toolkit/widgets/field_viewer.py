"""FieldViewer: a field (flood depth, ground motion) on a map at one step, with a step slider.

Gridded fields (3Di cells) are spread over their pixels and drawn as a raster; fields on sites
(ground-motion fields) are drawn as coloured points. The colour scale is fixed over the steps
(:attr:`FieldSeries.vmax`) so that moving the slider compares like with like.

Two views: "Static" (a matplotlib image, always available) and "Interactive" (an ipyleaflet
map to pan and zoom, :class:`~toolkit.widgets.leaflet_view.LeafletView`; the toggle appears
when ipyleaflet is installed).

Event: ``on_step(callback(step))`` after each redraw.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import traitlets as t

from toolkit.plotting.maps import leaflet_available
from toolkit.widgets._base import ErrorBoxMixin, HookMixin, guarded, hide, image_widget, show
from toolkit.widgets._render import draw_points, draw_raster, field_raster, new_figure, to_png
from toolkit.widgets.protocol import FieldSeries

__all__ = ["FieldViewer", "field_summary"]


def field_summary(field: FieldSeries, values: np.ndarray) -> str:
    """One line describing the values at a step: wet cells and maximum for depths, range
    otherwise."""
    finite = np.isfinite(values)
    if not finite.any():
        return "no data"
    top = float(np.nanmax(values))
    if field.dry_below is not None:
        wet = int((values[finite] > field.dry_below).sum())
        return (f"{wet} of {field.n_cells} cells wet, max {top:.2f} {field.units}")
    low = float(np.nanmin(values))
    return f"{int(finite.sum())} {'cells' if field.grid is not None else 'sites'}, " \
           f"{low:.3g} to {top:.3g} {field.units}"


class FieldViewer(HookMixin, ErrorBoxMixin, w.VBox):
    """A map of one field at one step.

    Parameters
    ----------
    fields : FieldSeries or dict of str -> FieldSeries, optional
        One field, or several (a variable picker appears: IMTs of a GMF ...).
    title : str
    width : str
        CSS width of the map.

    Attributes
    ----------
    step : int
        Index of the step shown.
    variable : str
        Name of the field shown (a key of ``fields``).
    """

    step = t.Int(0)
    variable = t.Unicode("")
    view = t.Unicode("static")

    def __init__(self, fields: FieldSeries | dict[str, FieldSeries] | None = None, *,
                 title: str = "", width: str = "640px", view: str = "static",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields: dict[str, FieldSeries] = {}
        self.artist: Any = None
        self._busy = False
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-field-viewer")
        self.title = w.HTML(f"<b>{title}</b>" if title else "")
        self.title.add_class("tk-title")
        self.variable_picker = w.Dropdown(description="Field", layout=w.Layout(width="260px"))
        self.variable_picker.add_class("tk-variable")
        self.slider = w.IntSlider(value=0, min=0, max=0, description="time",
                                  continuous_update=False, layout=w.Layout(width="520px"))
        self.slider.add_class("tk-time")
        self.play = w.Play(value=0, min=0, max=0, interval=700)
        self.play.add_class("tk-play")
        w.jslink((self.play, "value"), (self.slider, "value"))
        self.step_label = w.HTML("")
        self.step_label.add_class("tk-step")
        self.image = image_widget(width)
        self._width = width
        self.leaflet: Any = None  # LeafletView, built when first shown
        self.map_box = w.Box()
        self.map_box.add_class("tk-map-box")
        self.zoom_label = w.HTML("")
        self.zoom_label.add_class("tk-map-zoom")
        self.view_toggle = w.ToggleButtons(options=[("Static", "static"),
                                                    ("Interactive", "interactive")],
                                           value="static")
        self.view_toggle.style.button_width = "90px"
        self.view_toggle.add_class("tk-view")
        self.view_toggle.observe(self._toggled, "value")
        if not leaflet_available():
            hide(self.view_toggle)
        hide(self.map_box)
        hide(self.zoom_label)
        self.variable_picker.observe(self._picked, "value")
        self.slider.observe(self._slid, "value")
        self.children = [
            self.title,
            self.variable_picker,
            w.HBox([self.play, self.slider, self.step_label]),
            w.HBox([self.view_toggle, self.zoom_label]),
            self.status_line,
            self.error,
            self.image,
            self.map_box,
        ]
        self.set_status("No field loaded.")
        if view != "static":
            self.view = view
        if fields is not None:
            self.set_fields(fields)

    def on_step(self, callback: Any, remove: bool = False) -> None:
        """``callback(step)`` after each redraw."""
        self._register("step", callback, remove)

    @property
    def field(self) -> FieldSeries | None:
        return self.fields.get(self.variable)

    def set_fields(self, fields: FieldSeries | dict[str, FieldSeries], *,
                   title: str | None = None) -> None:
        """Show ``fields`` from their first step."""
        if isinstance(fields, FieldSeries):
            fields = {fields.name: fields}
        if not fields:
            raise ValueError("no fields to show")
        self.clear_error()
        self.fields = dict(fields)
        if title is not None:
            self.title.value = f"<b>{title}</b>" if title else ""
        self._busy = True
        try:
            self.variable_picker.options = list(self.fields)
            first = next(iter(self.fields))
            self.variable_picker.value = first
            self.variable = first
            self._configure(self.fields[first])
            self.step = 0
        finally:
            self._busy = False
        (hide if len(self.fields) == 1 else show)(self.variable_picker)
        self.redraw()

    def _configure(self, field: FieldSeries) -> None:
        last = field.n_steps - 1
        self.slider.max = max(last, 0)
        self.play.max = max(last, 0)
        self.slider.description = field.step_name
        self.slider.disabled = last == 0
        self.play.disabled = last == 0

    def _picked(self, change: Any) -> None:
        if not self._busy and change["new"]:
            self.variable = change["new"]

    def _slid(self, change: Any) -> None:
        if not self._busy:
            self.step = int(change["new"])

    @t.validate("step")
    def _valid_step(self, proposal: Any) -> int:
        value = int(proposal["value"])
        field = self.field
        if field is not None and not 0 <= value < field.n_steps:
            raise t.TraitError(f"step {value} out of range 0..{field.n_steps - 1}")
        return value

    @t.validate("view")
    def _valid_view(self, proposal: Any) -> str:
        value = str(proposal["value"])
        if value not in ("static", "interactive"):
            raise t.TraitError(f"view {value!r}: expected 'static' or 'interactive'")
        if value == "interactive" and not leaflet_available():
            raise t.TraitError("the interactive view needs ipyleaflet (pip install ipyleaflet)")
        return value

    def _toggled(self, change: Any) -> None:
        self.view = change["new"]

    @t.observe("view")
    def _view_changed(self, change: Any) -> None:
        self.view_toggle.value = self.view
        interactive = self.view == "interactive"
        (hide if interactive else show)(self.image)
        (show if interactive else hide)(self.map_box)
        (show if interactive else hide)(self.zoom_label)
        self.redraw()

    def _zoomed(self, change: Any) -> None:
        self.zoom_label.value = f"zoom {float(change['new']):g}"

    def _ensure_leaflet(self) -> Any:
        if self.leaflet is None:
            from toolkit.widgets.leaflet_view import LeafletView

            self.leaflet = LeafletView(width=self._width)
            self.leaflet.map.observe(self._zoomed, "zoom")
            self.map_box.children = [self.leaflet.map]
        return self.leaflet

    @t.validate("variable")
    def _valid_variable(self, proposal: Any) -> str:
        value = str(proposal["value"])
        if self.fields and value not in self.fields:
            raise t.TraitError(f"unknown field {value!r}; known: {list(self.fields)}")
        return value

    @t.observe("step", "variable")
    def _changed(self, change: Any) -> None:
        if self._busy or not self.fields:
            return
        self._busy = True
        try:
            if change["name"] == "variable":
                self.variable_picker.value = self.variable
                field = self.fields[self.variable]
                self._configure(field)
                if self.step >= field.n_steps:
                    self.step = field.n_steps - 1
            if self.slider.value != self.step:
                self.slider.value = self.step
        finally:
            self._busy = False
        self.redraw()

    def values(self) -> np.ndarray:
        """The values at the current step."""
        field = self.field
        if field is None:
            raise ValueError("no field loaded")
        return field.at(self.step)

    @guarded("cannot draw the field")
    def redraw(self) -> None:
        field = self.field
        if field is None:
            return
        values = field.at(self.step)
        finite = values[np.isfinite(values)]
        vmax = field.vmax if field.vmax is not None else (
            float(finite.max()) if finite.size else 1.0)
        vmin = 0.0 if field.dry_below is not None or not finite.size or finite.min() >= 0 \
            else None
        label = field.steps[self.step]
        if self.view == "interactive":
            view = self._ensure_leaflet()
            gridded = field.grid is not None
            view.show(field, values, vmin=vmin, vmax=vmax,
                      cmap=("Blues" if field.dry_below is not None else "viridis") if gridded
                      else "inferno_r", transparent_below=field.dry_below if gridded else None)
            self.zoom_label.value = f"zoom {float(view.map.zoom):g}"
            self.artist = view.layer
        else:
            self._draw_static(field, values, vmin, vmax, label)
        self.step_label.value = f"{label} ({self.step + 1}/{field.n_steps})"
        self.set_status(f"{field.name} at {label} ({field.step_name} {self.step + 1} of "
                        f"{field.n_steps}): {field_summary(field, values)}")
        self._fire("step", self.step)

    def _draw_static(self, field: FieldSeries, values: np.ndarray, vmin: float | None,
                     vmax: float, label: str) -> None:
        fig = new_figure(6.4, 4.8)
        ax = fig.add_subplot()
        if field.grid is not None:
            raster = field_raster(field, values)
            cmap = "Blues" if field.dry_below is not None else "viridis"
            self.artist = draw_raster(ax, raster, cmap=cmap, vmin=vmin, vmax=vmax,
                                      transparent_below=field.dry_below)
        else:
            self.artist = draw_points(ax, field.x, field.y, values, name=field.name,
                                      units=field.units, crs=field.crs, vmin=vmin, vmax=vmax,
                                      cmap="inferno_r")
        ax.set_title(f"{field.name}, {label}", fontsize=10)
        self.image.value = to_png(fig)
