"""Accept what users have at hand where a widget needs a service.

``calc_service(x)`` and ``scenario_service(x)`` return a service for:

- a service already (anything with the protocol's methods): as is;
- a :class:`toolkit.client.Client` / :class:`toolkit.client.ScenarioClient`: wrapped in
  :class:`~toolkit.widgets.remote.RemoteCalcs` / :class:`~toolkit.widgets.remote.RemoteScenarios`;
- a :class:`toolkit.config.Settings` or None: the in-process services on its data directory
  (None: :func:`toolkit.config.load_settings`).
"""

from __future__ import annotations

from typing import Any

from toolkit.config import Settings

__all__ = ["calc_service", "scenario_service"]


def calc_service(obj: Any = None) -> Any:
    """A :class:`~toolkit.widgets.protocol.CalcService` for ``obj`` (see the module doc)."""
    if obj is None or isinstance(obj, Settings):
        from toolkit.widgets.local import LocalCalcs

        return LocalCalcs(obj)
    if type(obj).__name__ == "Client" and type(obj).__module__.startswith("toolkit.client"):
        from toolkit.widgets.remote import RemoteCalcs

        return RemoteCalcs(obj)
    return obj


def scenario_service(obj: Any = None) -> Any:
    """A :class:`~toolkit.widgets.protocol.ScenarioService` for ``obj`` (see the module
    doc)."""
    if obj is None or isinstance(obj, Settings):
        from toolkit.widgets.local import LocalScenarios

        return LocalScenarios(obj)
    if type(obj).__name__ == "ScenarioClient" and \
            type(obj).__module__.startswith("toolkit.client"):
        from toolkit.widgets.remote import RemoteScenarios

        return RemoteScenarios(obj)
    return obj
