"""Composite viewers used by the apps: the right viewer for a calculation or a scenario.

- :class:`ResultsViewer` shows a calculation with the viewer its mode needs
  (:func:`~toolkit.widgets.calc_browser.viewer_kind`): hazard curves (classical), ground-motion
  fields (scenario, event based; curves too when the job computed them) or damage (risk);
- :class:`ScenarioViewer` shows a scenario's fields (water depth over time for a flood, the
  ground-motion fields of an earthquake scenario) and its damage.

Both catch and show errors (a calculation without results, a scenario without raw files, a
lost server) instead of raising into a callback where nobody would see them.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets as t

from toolkit.widgets._base import ErrorBoxMixin, HookMixin, guarded, hide, show
from toolkit.widgets.calc_browser import viewer_kind
from toolkit.widgets.damage_viewer import DamageViewer
from toolkit.widgets.field_viewer import FieldViewer
from toolkit.widgets.hazard_curves import HazardCurveViewer
from toolkit.widgets.protocol import CalcService, ScenarioService
from toolkit.widgets.services import calc_service, scenario_service

__all__ = ["ResultsViewer", "ScenarioViewer"]


class ResultsViewer(HookMixin, ErrorBoxMixin, w.VBox):
    """The results of one calculation of a :class:`CalcService`.

    Attributes
    ----------
    calc_id : int or None
    kind : str
        ``""``, ``"hazard"``, ``"fields"`` or ``"damage"``: the viewer shown.

    Event: ``on_show(callback(calc_id, kind))``.
    """

    calc_id = t.Int(None, allow_none=True, read_only=True)
    kind = t.Unicode("", read_only=True)

    def __init__(self, service: CalcService | Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = calc_service(service)
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-results-viewer")
        self.hazard = HazardCurveViewer(service=self.service)
        self.fields = FieldViewer()
        self.damage = DamageViewer(service=self.service)
        for viewer in (self.hazard, self.fields, self.damage):
            hide(viewer)
        self.children = [self.status_line, self.error, self.hazard, self.fields, self.damage]

    def on_show(self, callback: Any, remove: bool = False) -> None:
        """``callback(calc_id, kind)`` after a calculation is shown."""
        self._register("show", callback, remove)

    @guarded("cannot show the results")
    def show(self, calc_id: int) -> None:
        """Show the results of ``calc_id`` in the viewer its mode needs."""
        calc_id = int(calc_id)
        self.clear_error()
        info = self.service.info(calc_id)
        kind = viewer_kind(info.mode)
        self.set_status(f"Loading calculation {calc_id} ({info.mode}) …")
        for viewer in (self.hazard, self.fields, self.damage):
            hide(viewer)
        title = f"calculation {calc_id}: {info.description}"
        if kind == "hazard":
            self.hazard.load(calc_id)
            if self.hazard.error_message:
                raise ValueError(self.hazard.error_message)
            show(self.hazard)
        elif kind == "fields":
            self.fields.set_fields(self.service.fields(calc_id), title=title)
            show(self.fields)
        else:
            self.damage.load(calc_id)
            if self.damage.error_message:
                raise ValueError(self.damage.error_message)
            show(self.damage)
        self.set_trait("calc_id", calc_id)
        self.set_trait("kind", kind)
        self.set_status(f"Calculation {calc_id} ({info.mode}): {info.description}")
        self._fire("show", calc_id, kind)


class ScenarioViewer(HookMixin, ErrorBoxMixin, w.VBox):
    """The fields of a scenario (flood depth over time, or ground-motion fields by event) with
    a step slider, and its damage.

    Attributes
    ----------
    scenario : str
        Uuid shown (``""``: none).

    Event: ``on_show(callback(uuid))``.
    """

    scenario = t.Unicode("", read_only=True)

    def __init__(self, service: ScenarioService | Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = scenario_service(service)
        self._init_messages()
        self.add_class("tk-widget")
        self.add_class("tk-scenario-viewer")
        self.depth = FieldViewer()
        self.damage = DamageViewer()
        hide(self.depth)
        hide(self.damage)
        self.children = [self.status_line, self.error, self.depth, self.damage]

    def on_show(self, callback: Any, remove: bool = False) -> None:
        """``callback(uuid)`` after a scenario is shown."""
        self._register("show", callback, remove)

    @guarded("cannot open the scenario")
    def show(self, uuid: str) -> None:
        """Show the fields and the damage of scenario ``uuid``."""
        self.clear_error()
        record = self.service.scenario(uuid)
        name = str(record.get("name") or uuid)
        self.set_status(f"Opening {name} …")
        hide(self.depth)
        hide(self.damage)
        self.depth.set_fields(self.service.fields(uuid), title=name)
        show(self.depth)
        table = self.service.damage(uuid)
        self.damage.set_table(table)
        if table is not None:
            show(self.damage)
        self.set_trait("scenario", uuid)
        field = self.depth.field
        assert field is not None
        self.set_status(f"{name}: {', '.join(self.depth.fields)} over {field.n_steps} "
                        f"{field.step_name}s" + ("" if table is None else "; damage"))
        self._fire("show", uuid)
