"""Scenario results: 3Di flood results read as xarray, derived rasters, damage estimates.

Modules
-------
threedi
    :func:`open_threedi` reads a ``gridadmin.h5`` + ``results_3di.nc`` pair (and
    ``aggregate_results_3di.nc``) as xarray objects and checks that they belong together.
derived
    :func:`derive_all` and friends: maximum depth and level, depth and level at chosen times,
    arrival time, rate of rise (Lizard codes ``depth-max-dtri`` ...), streaming over time.
damage
    ``damage.damage`` from a depth raster with depth-damage curves; the damage summary.
rasters
    :class:`CellGrid` (cells to pixels at quad resolution) and :func:`write_geotiff`.
synthetic
    :func:`write_synthetic_pair` writes a 3Di-like pair (demo and benchmark data).

Names are imported lazily, so ``import toolkit.scenarios`` does not load xarray or rasterio.
"""

from __future__ import annotations

__all__ = [
    "open_threedi",
    "ThreediResult",
    "derive_all",
    "DerivedResult",
    "RESULT_TYPES",
    "ARRIVAL_THRESHOLD",
    "read_curves",
    "write_damage_summary",
    "CellGrid",
    "write_geotiff",
    "write_synthetic_pair",
]

_LAZY = {
    "open_threedi": "threedi",
    "ThreediResult": "threedi",
    "derive_all": "derived",
    "DerivedResult": "derived",
    "RESULT_TYPES": "derived",
    "ARRIVAL_THRESHOLD": "derived",
    "read_curves": "damage",
    "write_damage_summary": "damage",
    "CellGrid": "rasters",
    "write_geotiff": "rasters",
    "write_synthetic_pair": "synthetic",
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
