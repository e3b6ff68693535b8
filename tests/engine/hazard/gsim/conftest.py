"""Fixtures for the GSIM tests: OpenQuake "check_gsim" verification tables, read in place.

The tables live in ``../shared/verification/gmpe/oq_tables/`` (third-party data, never copied
into the repository); their columns are described in that folder's README: rupture, distance
and site parameters (``rup_mag``, ``dist_rrup``, ``site_vs30``, ...), ``result_type``,
``damping`` (and ``component_type``), then one column per IMT (``pga``, ``pgv``, periods).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT, PGA, PGV, SA

_PREFIXES = ("rup_", "dist_", "site_")
_NOT_IMT = ("result_type", "damping", "component_type")
#: result_type -> index in the (mean, sig, tau, phi) tuple of get_mean_and_stddevs
_RESULT = {"MEAN": 0, "TOTAL_STDDEV": 1, "INTER_EVENT_STDDEV": 2, "INTRA_EVENT_STDDEV": 3}


@dataclass
class OQTable:
    """One verification table: the context of all its rows and the expected values."""

    path: Path
    ctx: Context
    result_type: str
    expected: dict[str, np.ndarray]  # IMT column name -> expected values (g, cm/s or ln units)


def column_imt(column: str) -> IMT:
    """The IMT of a table column: ``pga``, ``pgv`` or a period such as ``0.100``."""
    if column == "pga":
        return PGA()
    if column == "pgv":
        return PGV()
    return SA(float(column))


def read_oq_table(path: Path) -> OQTable:
    """Read an OpenQuake check_gsim CSV (all rows share one ``result_type``)."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    params: dict[str, np.ndarray] = {}
    expected: dict[str, np.ndarray] = {}
    for name in rows[0]:
        if name in _NOT_IMT:
            continue
        values = np.array([float(row[name]) for row in rows])
        if name.startswith(_PREFIXES):
            params[name.split("_", 1)[1]] = values
        else:
            expected[name] = values
    result_types = {row["result_type"] for row in rows}
    assert len(result_types) == 1, f"{path.name}: mixed result types {result_types}"
    return OQTable(path, Context(**params), result_types.pop(), expected)


def max_discrepancies(gsim: GMPE, table: OQTable,
                      imt_of_column: Mapping[str, IMT] | None = None) -> dict[str, float]:
    """OpenQuake's discrepancy ``|computed / expected x 100 - 100|`` (%), maximum per column.

    ``imt_of_column`` overrides the IMT evaluated for some columns (default
    :func:`column_imt`). Means are compared as medians, exp(ln mean).
    """
    overrides = dict(imt_of_column or {})
    columns = list(table.expected)
    imts = [overrides.get(column) or column_imt(column) for column in columns]
    outputs = gsim.get_mean_and_stddevs(table.ctx, imts)
    computed = outputs[_RESULT[table.result_type]]
    if table.result_type == "MEAN":
        computed = np.exp(computed)
    return {
        column: float(np.max(np.abs(computed[m] / table.expected[column] * 100.0 - 100.0)))
        for m, column in enumerate(columns)
    }


@pytest.fixture(scope="session")
def oq_table(shared_dir: Path) -> Callable[[str], OQTable]:
    """Return a reader of ``shared/verification/gmpe/oq_tables/<name>``."""
    folder = shared_dir / "verification" / "gmpe" / "oq_tables"

    def read(name: str) -> OQTable:
        return read_oq_table(folder / name)

    return read


@pytest.fixture(scope="session")
def table_discrepancies() -> Callable[..., dict[str, float]]:
    """Return :func:`max_discrepancies` (conftest helpers are reached through fixtures)."""
    return max_discrepancies
