"""ipywidgets for notebooks and Voila apps: run calculations, browse them and scenarios, and
look at hazard curves, fields and damage.

Widgets
-------
:class:`JobRunner`
    Pick a job (demo, upload, path), edit key parameters, run, progress, log tail, abort.
:class:`CalcBrowser`
    Calculations with their status; open the results of one.
:class:`HazardCurveViewer`
    Hazard curves of a site and IMT for chosen statistics and realizations.
:class:`FieldViewer`
    A flood depth or ground-motion field at one step, with a step slider.
:class:`ScenarioBrowser`
    Scenarios with a filter and pages, results by family, download, raster preview.
:class:`DamageViewer`
    Damage or losses by category, and the damage map.
:class:`ScenarioComparison`
    Two scenarios side by side and their difference.
:class:`ResultsViewer`, :class:`ScenarioViewer`
    The right viewer(s) for a calculation, or a scenario's depth over time and damage.

Data comes from a service (:mod:`toolkit.widgets.protocol`): in-process
(:class:`LocalCalcs`, :class:`LocalScenarios`) or over HTTP (:class:`RemoteCalcs`,
:class:`RemoteScenarios`); :func:`app_context` picks one from a Voila query string.

Names are imported lazily, so ``import toolkit.widgets`` stays cheap.
"""

from __future__ import annotations

__all__ = [
    "JobRunner",
    "CalcBrowser",
    "HazardCurveViewer",
    "FieldViewer",
    "ScenarioBrowser",
    "DamageViewer",
    "ScenarioComparison",
    "ResultsViewer",
    "ScenarioViewer",
    "LocalCalcs",
    "LocalScenarios",
    "RemoteCalcs",
    "RemoteScenarios",
    "AppContext",
    "app_context",
    "query_params",
    "calc_service",
    "scenario_service",
    "ensure_demo_data",
    "viewer_kind",
    "hazard_from_outputs",
    "hazard_from_xarray",
    "fields_from_gmf",
    "fields_from_dataset",
    "depth_series",
    "damage_from_summary",
    "damage_from_csv",
    "damage_from_risk",
    "raster_from_geotiff",
    "CalcInfo",
    "HazardCurves",
    "FieldSeries",
    "RasterImage",
    "DamageTable",
    "ScenarioPage",
    "CalcService",
    "ScenarioService",
]

_LAZY = {
    "JobRunner": "job_runner",
    "CalcBrowser": "calc_browser",
    "viewer_kind": "calc_browser",
    "HazardCurveViewer": "hazard_curves",
    "FieldViewer": "field_viewer",
    "ScenarioBrowser": "scenario_browser",
    "DamageViewer": "damage_viewer",
    "ScenarioComparison": "compare",
    "ResultsViewer": "results",
    "ScenarioViewer": "results",
    "LocalCalcs": "local",
    "LocalScenarios": "local",
    "ensure_demo_data": "local",
    "RemoteCalcs": "remote",
    "RemoteScenarios": "remote",
    "AppContext": "apps",
    "app_context": "apps",
    "query_params": "apps",
    "calc_service": "services",
    "scenario_service": "services",
    "hazard_from_outputs": "adapters",
    "hazard_from_xarray": "adapters",
    "fields_from_gmf": "adapters",
    "fields_from_dataset": "adapters",
    "depth_series": "adapters",
    "damage_from_summary": "adapters",
    "damage_from_csv": "adapters",
    "damage_from_risk": "adapters",
    "raster_from_geotiff": "adapters",
    "CalcInfo": "protocol",
    "HazardCurves": "protocol",
    "FieldSeries": "protocol",
    "RasterImage": "protocol",
    "DamageTable": "protocol",
    "ScenarioPage": "protocol",
    "CalcService": "protocol",
    "ScenarioService": "protocol",
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
