"""toolkit: seismic hazard and risk, and scenario results, for notebooks and Voila dashboards.

The public API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from toolkit.errors import (
    CalculationError,
    InputError,
    NotFound,
    StoreError,
    ToolkitError,
    UnknownName,
)

__all__ = [
    "__version__",
    "ToolkitError",
    "InputError",
    "UnknownName",
    "NotFound",
    "CalculationError",
    "StoreError",
]
