"""DamageViewer: damage or losses by category (bars and a table), and a damage map if any.

Feed it a :class:`~toolkit.widgets.protocol.DamageTable` from a flood damage summary
(:func:`~toolkit.widgets.adapters.damage_from_summary`, ``damage_from_csv``) or a risk
calculation (:func:`~toolkit.widgets.adapters.damage_from_risk`), or a service and a
calculation id (:meth:`DamageViewer.load`).

Event: ``on_change(callback(viewer))`` after each redraw.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
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
from toolkit.widgets._render import draw_bars, draw_raster, new_figure, to_png
from toolkit.widgets.protocol import CalcService, DamageTable
from toolkit.widgets.services import calc_service

__all__ = ["DamageViewer"]


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


class DamageViewer(HookMixin, ErrorBoxMixin, w.VBox):
    """Bars of one column (metric or damage state) by category, the table, the map.

    Attributes
    ----------
    column : str
        The column drawn.
    total : float
        Sum of the column drawn.
    """

    column = t.Unicode("")
    total = t.Float(0.0, read_only=True)

    def __init__(self, table: DamageTable | None = None, *, service: CalcService | None = None,
                 width: str = "640px", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = calc_service(service) if service is not None else None
        self.table: DamageTable | None = None
        self.bars: Any = None
        self._busy = False
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-damage-viewer")
        self.title = w.HTML("")
        self.title.add_class("tk-title")
        self.column_picker = w.Dropdown(description="Show", layout=w.Layout(width="360px"))
        self.column_picker.add_class("tk-metric")
        self.empty = w.HTML("")
        self.empty.add_class("tk-empty")
        self.image = image_widget(width)
        self.map_image = image_widget(width, cls="tk-map")
        self.table_view = w.HTML("")
        self.table_view.add_class("tk-table")
        self.column_picker.observe(self._picked, "value")
        self.children = [self.title, self.column_picker, self.status_line, self.error,
                         self.empty, self.image, self.table_view, self.map_image]
        hide(self.map_image)
        self.set_table(table)

    def on_change(self, callback: Any, remove: bool = False) -> None:
        """``callback(viewer)`` after each redraw."""
        self._register("change", callback, remove)

    @guarded("cannot load the damage")
    def load(self, calc_id: int) -> None:
        """Load the damage or losses of ``calc_id`` from the service."""
        if self.service is None:
            raise ValueError("this viewer has no service: pass service= or use set_table()")
        self.set_table(self.service.damage(int(calc_id)))

    def set_table(self, table: DamageTable | None) -> None:
        """Show ``table`` (None: the empty state)."""
        self.clear_error()
        self.table = table
        if table is None:
            self.title.value = ""
            self.column_picker.options = []
            self.empty.value = empty_html("No damage results for this selection.")
            self.image.value = b""
            self.table_view.value = ""
            hide(self.image)
            hide(self.map_image)
            self.set_trait("total", 0.0)
            self.set_status("No damage results.")
            return
        self.title.value = f"<b>{esc(table.title)}</b>"
        self._busy = True
        try:
            labels = [(f"{c} [{table.units[c]}]" if table.units.get(c) else c, c)
                      for c in table.columns]
            self.column_picker.options = labels
            first = table.columns[0]
            self.column_picker.value = first
            self.column = first
        finally:
            self._busy = False
        self._draw_map()
        self.redraw()

    def _picked(self, change: Any) -> None:
        if not self._busy and change["new"]:
            self.column = change["new"]

    @t.validate("column")
    def _valid_column(self, proposal: Any) -> str:
        value = str(proposal["value"])
        if self.table is not None and value not in self.table.columns:
            raise t.TraitError(f"unknown column {value!r}; known: {self.table.columns}")
        return value

    @t.observe("column")
    def _changed(self, change: Any) -> None:
        if self._busy or self.table is None:
            return
        self._busy = True
        try:
            self.column_picker.value = change["new"]
        finally:
            self._busy = False
        self.redraw()

    def _draw_map(self) -> None:
        table = self.table
        if table is None or table.raster is None:
            hide(self.map_image)
            return
        fig = new_figure(6.4, 4.6)
        ax = fig.add_subplot()
        draw_raster(ax, table.raster, cmap="OrRd", vmin=0.0, transparent_below=0.0,
                    title=f"{table.raster.name or 'damage'} map")
        self.map_image.value = to_png(fig)
        show(self.map_image)

    @guarded("cannot draw the damage")
    def redraw(self) -> None:
        table = self.table
        if table is None or not self.column:
            return
        values = table.column(self.column)
        unit = table.units.get(self.column, "")
        total = float(np.nansum(values))
        self.set_trait("total", total)
        nonzero = int((np.nan_to_num(values) != 0).sum())
        if not table.categories:
            self.empty.value = empty_html("The damage table is empty.")
            hide(self.image)
        else:
            self.empty.value = "" if nonzero else empty_html(
                f"No {self.column.replace('_', ' ')} in any category.")
            fig = new_figure(6.4, 0.6 + 0.35 * max(len(table.categories), 2))
            ax = fig.add_subplot()
            self.bars = draw_bars(ax, table.categories, values, label=self.column, unit=unit)
            self.image.value = to_png(fig)
            show(self.image)
        head = "".join(f"<th style='padding:2px 8px'>{esc(c)}"
                       f"{(' [' + esc(table.units[c]) + ']') if table.units.get(c) else ''}</th>"
                       for c in table.columns)
        rows = "".join(
            f"<tr><th style='text-align:left;padding:2px 8px'>{esc(cat)}</th>"
            + "".join(f"<td style='text-align:right;padding:2px 8px'>{_fmt(v)}</td>"
                      for v in table.values[i]) + "</tr>"
            for i, cat in enumerate(table.categories))
        self.table_view.value = (f"<table style='font-size:12px;border-collapse:collapse'>"
                                 f"<tr><th></th>{head}</tr>{rows}</table>")
        unit_text = f" {unit}" if unit else ""
        label = self.column.replace("_", " ")
        label = label.capitalize() if label.startswith("total ") else f"Total {label}"
        self.set_status(f"{label}: {_fmt(total)}{unit_text} "
                        f"({nonzero} of {len(table.categories)} categories non-zero)")
        self._fire("change", self)
