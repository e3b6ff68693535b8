"""HazardCurveViewer: hazard curves of one site and IMT, for chosen statistics and realizations.

Feed it a :class:`~toolkit.widgets.protocol.HazardCurves` (``curves=``), the outputs of
``toolkit.open_calc`` (converted with :func:`~toolkit.widgets.adapters.hazard_from_outputs`), or
a service and a calculation id (:meth:`HazardCurveViewer.load`).

Event: ``on_change(callback(viewer))`` after every redraw.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets as t

from toolkit.widgets._base import ErrorBoxMixin, HookMixin, guarded, image_widget
from toolkit.widgets._render import draw_hazard_curves, new_figure, to_png
from toolkit.widgets.protocol import CalcService, HazardCurves
from toolkit.widgets.services import calc_service

__all__ = ["HazardCurveViewer"]


def _default_kinds(kinds: list[str]) -> list[str]:
    stats = [k for k in kinds if not k.startswith("rlz-")]
    return stats or kinds[:5]


class HazardCurveViewer(HookMixin, ErrorBoxMixin, w.VBox):
    """Site, IMT and realization/statistic pickers over a log-log plot.

    Parameters
    ----------
    curves : HazardCurves or outputs, optional
    service : CalcService, toolkit.client.Client or Settings, optional
        Needed by :meth:`load`.
    calc_id : int, optional
        Load this calculation at once (with ``service``).
    width : str
        CSS width of the plot.

    Attributes
    ----------
    site : int
    imt : str
    kinds : tuple of str
        Statistics (``mean``, ``quantile-0.16``) and realizations (``rlz-0``) drawn.
    rate : bool
        Annual rate of exceedance instead of probability.
    n_curves : int
        Lines in the current plot.
    """

    site = t.Int(0)
    imt = t.Unicode("")
    kinds = t.Tuple()
    rate = t.Bool(False)
    n_curves = t.Int(0, read_only=True)

    def __init__(self, curves: Any = None, *, service: CalcService | None = None,
                 calc_id: int | None = None, width: str = "640px", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = calc_service(service) if service is not None else None
        self.curves: HazardCurves | None = None
        self.lines: list[Any] = []
        self._busy = False
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-hazard-viewer")
        self.title = w.HTML("")
        self.title.add_class("tk-title")
        self.site_picker = w.Dropdown(description="Site", layout=w.Layout(width="300px"))
        self.site_picker.add_class("tk-site")
        self.imt_picker = w.Dropdown(description="IMT", layout=w.Layout(width="220px"))
        self.imt_picker.add_class("tk-imt")
        self.kind_picker = w.SelectMultiple(description="Curves", rows=5,
                                            layout=w.Layout(width="300px"))
        self.kind_picker.add_class("tk-kinds")
        self.rate_box = w.Checkbox(description="annual rate", indent=False,
                                   layout=w.Layout(width="140px"))
        self.rate_box.add_class("tk-rate")
        self.image = image_widget(width)
        for picker, trait in ((self.site_picker, "site"), (self.imt_picker, "imt"),
                              (self.kind_picker, "kinds"), (self.rate_box, "rate")):
            picker.observe(self._from_picker(trait), "value")
        self.children = [
            self.title,
            w.HBox([w.VBox([self.site_picker, self.imt_picker, self.rate_box]),
                    self.kind_picker]),
            self.status_line,
            self.error,
            self.image,
        ]
        self.set_status("No hazard curves loaded.")
        if curves is not None:
            self.set_curves(curves)
        elif calc_id is not None:
            self.load(calc_id)

    def on_change(self, callback: Any, remove: bool = False) -> None:
        """``callback(viewer)`` after each redraw."""
        self._register("change", callback, remove)

    @guarded("cannot load the hazard curves")
    def load(self, calc_id: int) -> None:
        """Load the curves of ``calc_id`` from the service."""
        if self.service is None:
            raise ValueError("this viewer has no service: pass service= or use set_curves()")
        self.set_status(f"Loading calculation {calc_id} …")
        self.set_curves(self.service.hazard_curves(int(calc_id)))

    def set_curves(self, curves: Any) -> None:
        """Show ``curves`` (HazardCurves, or HazardOutputs/GmfOutputs with curves)."""
        if not isinstance(curves, HazardCurves):
            from toolkit.widgets.adapters import hazard_from_outputs

            curves = hazard_from_outputs(curves)
        self.clear_error()
        self.curves = curves
        self._busy = True
        try:
            self.site_picker.options = [
                (f"{i}: {lon:.3f}, {lat:.3f}", i)
                for i, (lon, lat) in enumerate(zip(curves.lons, curves.lats, strict=True))]
            self.imt_picker.options = curves.imts
            self.kind_picker.options = curves.kinds
            self.site = 0
            self.imt = curves.imts[0]
            self.kinds = tuple(_default_kinds(curves.kinds))
            self.site_picker.value = 0
            self.imt_picker.value = self.imt
            self.kind_picker.value = self.kinds
        finally:
            self._busy = False
        self.title.value = f"<b>{curves.title}</b>" if curves.title else ""
        self.redraw()

    def _from_picker(self, trait: str) -> Any:
        def handler(change: Any) -> None:
            value = change["new"]
            if self._busy or value is None:
                return
            setattr(self, trait, tuple(value) if trait == "kinds" else value)

        return handler

    @t.observe("site", "imt", "kinds", "rate")
    def _changed(self, change: Any) -> None:
        if self._busy or self.curves is None:
            return
        pickers = {"site": self.site_picker, "imt": self.imt_picker, "kinds": self.kind_picker,
                   "rate": self.rate_box}
        picker = pickers[change["name"]]
        self._busy = True
        try:
            if picker.value != change["new"]:
                picker.value = change["new"]
        finally:
            self._busy = False
        self.redraw()

    @t.validate("site")
    def _valid_site(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if self.curves is not None and not 0 <= value < self.curves.n_sites:
            raise t.TraitError(f"site {value} out of range 0..{self.curves.n_sites - 1}")
        return value

    @t.validate("imt")
    def _valid_imt(self, proposal: Any) -> str:
        value = str(proposal["value"])
        if self.curves is not None and value not in self.curves.levels:
            raise t.TraitError(f"IMT {value!r} not in {self.curves.imts}")
        return value

    @t.validate("kinds")
    def _valid_kinds(self, proposal: Any) -> tuple[str, ...]:
        value = tuple(proposal["value"])
        if self.curves is not None:
            unknown = [k for k in value if k not in self.curves.curves]
            if unknown:
                raise t.TraitError(f"unknown curves {unknown}; known: {self.curves.kinds}")
        return value

    @guarded("cannot draw the hazard curves")
    def redraw(self) -> None:
        """Draw the selected curves (the status line says how many and of what)."""
        hc = self.curves
        if hc is None:
            return
        fig = new_figure(6.4, 4.2, margins=(0.12, 0.97, 0.12, 0.93))
        ax = fig.add_subplot()
        self.lines = draw_hazard_curves(ax, hc, self.site, self.imt, self.kinds, rate=self.rate)
        lon, lat = hc.lons[self.site], hc.lats[self.site]
        ax.set_title(f"{self.imt} at site {self.site} ({lon:.3f}, {lat:.3f})", fontsize=10)
        self.image.value = to_png(fig)
        self.set_trait("n_curves", len(self.lines))
        what = ", ".join(self.kinds) if self.kinds else "nothing selected"
        n = len(self.lines)
        self.set_status(f"{n} curve{'s' if n != 1 else ''} of {self.imt} at site {self.site} "
                        f"({lon:.3f}, {lat:.3f}): {what}")
        self._fire("change", self)
