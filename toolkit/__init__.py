"""toolkit: seismic hazard and risk, and scenario results, for notebooks and Voila dashboards.

The public API is what ``__all__`` lists; everything else is internal. Heavy modules are
imported lazily, so ``import toolkit`` stays fast.

Examples
--------
>>> import toolkit
>>> calc_id = toolkit.run("job.ini", export_dir="out")      # doctest: +SKIP
>>> outputs = toolkit.open_calc(calc_id)                      # doctest: +SKIP
"""

from toolkit.errors import (
    CalculationError,
    InputError,
    NotFound,
    StoreError,
    ToolkitError,
    UnknownName,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "run",
    "open_calc",
    "available_gsims",
    "gmpe_table",
    "Settings",
    "load_settings",
    "Client",
    "ScenarioClient",
    "open_scenario",
    "ToolkitError",
    "InputError",
    "UnknownName",
    "NotFound",
    "CalculationError",
    "StoreError",
]

_LAZY = {
    "run": "toolkit.api",
    "open_calc": "toolkit.api",
    "available_gsims": "toolkit.api",
    "gmpe_table": "toolkit.gmpe",
    "Settings": "toolkit.config",
    "load_settings": "toolkit.config",
    "Client": "toolkit.client.oq",
    "ScenarioClient": "toolkit.client.lizard",
    "open_scenario": "toolkit.client.lizard",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
