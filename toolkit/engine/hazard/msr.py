"""Magnitude-scaling relations (MSRs): median rupture area (km²) from magnitude and rake.

Each relation is a class registered in :data:`msr_registry` under the name OpenQuake uses in
the NRML ``<magScaleRel>`` element; :func:`get_msr` parses that text, including OpenQuake's
parametrised form ``CScalingMSR.C = 3.90`` (TOML dotted-key syntax; ``[CScalingMSR]`` tables
with one ``name = value`` per line are accepted too).

Relations
---------
========================  ==========================================================  ======
name                      median log10 A [km²]                                         sigma
========================  ==========================================================  ======
WC1994                    Wells & Coppersmith (1994), Table 2A, by rake                by rake
PeerMSR                   M - 4 (PEER 2010/106 and 2018/03 tests)                     0.25
PointMSR                  -4 (A = 1e-4 km², a 10 m x 10 m "point" rupture)            0
CScalingMSR               M - C (M = log10 A + C; parameter C, default 4.2)            0
Leonard2014_Interplate    M - 3.99 strike-slip, M - 4.00 dip-slip (Leonard 2014)      0
Leonard2014_SCR           M - 4.18 strike-slip, M - 4.19 dip-slip (Leonard 2014)      0
StrasserInterface         -3.476 + 0.952 M (Strasser et al. 2010, Table 2)            0.304
StrasserIntraslab         -3.225 + 0.890 M (Strasser et al. 2010, Table 2)            0.184
========================  ==========================================================  ======

Rake classes (degrees, wrapped to [-180, 180)), as in Wells & Coppersmith (1994) and OpenQuake:
strike-slip if -45 <= rake <= 45 or |rake| >= 135; reverse if 45 < rake < 135; normal if
-135 < rake < -45. ``rake=None`` (or NaN in an array) means "unknown" and selects the
all-mechanism relation where there is one.

Standard deviations are of log10(area).
"""

from __future__ import annotations

import math
import tomllib
from typing import Any, ClassVar

import numpy as np

from toolkit.errors import InputError
from toolkit.registry import Registry

__all__ = [
    "MSR",
    "WC1994",
    "PeerMSR",
    "PointMSR",
    "CScalingMSR",
    "Leonard2014_Interplate",
    "Leonard2014_SCR",
    "StrasserInterface",
    "StrasserIntraslab",
    "msr_registry",
    "get_msr",
    "rake_class",
    "ALL",
    "STRIKE_SLIP",
    "REVERSE",
    "NORMAL",
]

#: Registry of MSR classes by their OpenQuake name.
msr_registry: Registry[type[MSR]] = Registry("magnitude scaling relation")

#: Codes returned by :func:`rake_class`.
ALL, STRIKE_SLIP, REVERSE, NORMAL = 0, 1, 2, 3

Rake = float | np.ndarray | None


def rake_class(rake: Rake) -> np.ndarray:
    """Mechanism code per rake: ALL (None/NaN), STRIKE_SLIP, REVERSE or NORMAL.

    Strike-slip: -45 <= rake <= 45 or |rake| >= 135; reverse: 45 < rake < 135; normal:
    -135 < rake < -45 (Wells & Coppersmith 1994, p. 979: slip within 45 degrees of
    horizontal is strike-slip). Rakes outside [-180, 180) are wrapped.
    """
    if rake is None:
        return np.asarray(ALL)
    r = np.asarray(rake, dtype=float)
    wrapped = (r + 180.0) % 360.0 - 180.0
    code = np.where(
        (np.abs(wrapped) <= 45.0) | (np.abs(wrapped) >= 135.0),
        STRIKE_SLIP,
        np.where(wrapped > 0, REVERSE, NORMAL),
    )
    return np.where(np.isnan(r), ALL, code)


def _result(value: np.ndarray) -> float | np.ndarray:
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


class MSR:
    """Base class: median rupture area and its log10 standard deviation.

    Subclasses implement :meth:`get_median_area`; :meth:`get_std_dev_area` defaults to 0.
    Parametrised relations list their parameter names in ``PARAMETERS`` and take them as
    keyword arguments.
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = ()

    def get_median_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        """Median rupture area in km² (array-valued for array ``mag`` and/or ``rake``)."""
        raise NotImplementedError

    def get_std_dev_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        """Standard deviation of log10(area); 0 unless the relation gives one."""
        shape = np.broadcast(np.asarray(mag, dtype=float), rake_class(rake)).shape
        return _result(np.zeros(shape))

    def _params(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.PARAMETERS}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._params() == other._params()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._params().items())))


def _by_mechanism(
    mag: float | np.ndarray, rake: Rake, table: dict[int, tuple[float, float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """log10 A = a + b M and sigma, picking (a, b, sigma) per rake class from ``table``."""
    m = np.asarray(mag, dtype=float)
    code = rake_class(rake)
    a = np.choose(code, [table[k][0] for k in (ALL, STRIKE_SLIP, REVERSE, NORMAL)])
    b = np.choose(code, [table[k][1] for k in (ALL, STRIKE_SLIP, REVERSE, NORMAL)])
    s = np.choose(code, [table[k][2] for k in (ALL, STRIKE_SLIP, REVERSE, NORMAL)])
    log_area = a + b * m
    return log_area, np.broadcast_to(s, log_area.shape)


@msr_registry.add("WC1994")
class WC1994(MSR):
    """Wells & Coppersmith (1994), rupture area on moment magnitude.

    Wells, D. L. and Coppersmith, K. J. (1994). New empirical relationships among magnitude,
    rupture length, rupture width, rupture area, and surface displacement. BSSA 84(4),
    974-1002. Table 2A, "RA" (log10 A = a + b M, A in km²):

    =============  =====  ====  =====
    slip type      a      b     s
    =============  =====  ====  =====
    strike-slip    -3.42  0.90  0.22
    reverse        -3.99  0.98  0.26
    normal         -2.87  0.82  0.22
    all            -3.49  0.91  0.24
    =============  =====  ====  =====

    The rake selects the row (see :func:`rake_class`); ``rake=None`` selects "all".
    """

    COEFFS: ClassVar[dict[int, tuple[float, float, float]]] = {
        STRIKE_SLIP: (-3.42, 0.90, 0.22),
        REVERSE: (-3.99, 0.98, 0.26),
        NORMAL: (-2.87, 0.82, 0.22),
        ALL: (-3.49, 0.91, 0.24),
    }

    def get_median_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        log_area, _ = _by_mechanism(mag, rake, self.COEFFS)
        return _result(10.0**log_area)

    def get_std_dev_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        _, sigma = _by_mechanism(mag, rake, self.COEFFS)
        return _result(sigma)


@msr_registry.add("PeerMSR")
class PeerMSR(MSR):
    """Scaling of the PEER PSHA verification tests: log10 A = M - 4, sigma 0.25.

    Thomas, Wong & Abrahamson (2010), PEER report 2010/106, and Hale, Abrahamson & Bozorgnia
    (2018), PEER report 2018/03 (Set 1: log A = M - 4; case 3 adds sigma log A = 0.25).
    The rake is ignored.
    """

    def get_median_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        m = np.asarray(mag, dtype=float)
        return _result(np.broadcast_to(10.0 ** (m - 4.0), _shape(m, rake)))

    def get_std_dev_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        return _result(np.full(_shape(np.asarray(mag, dtype=float), rake), 0.25))


def _shape(m: np.ndarray, rake: Rake) -> tuple[int, ...]:
    return np.broadcast(m, rake_class(rake)).shape


@msr_registry.add("PointMSR")
class PointMSR(MSR):
    """A tiny constant area, 1e-4 km² (10 m x 10 m), so ruptures behave as points.

    Meant for point and area sources (as in OpenQuake); on a fault it would need a mesh
    spacing below 10 m.
    """

    AREA: ClassVar[float] = 1e-4

    def get_median_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        return _result(np.full(_shape(np.asarray(mag, dtype=float), rake), self.AREA))


@msr_registry.add("CScalingMSR")
class CScalingMSR(MSR):
    """Constant-stress-drop scaling M = log10 A + C, i.e. A = 10 ** (M - C) km².

    The one-parameter magnitude-area relation used by the New Zealand NSHM 2022 (written
    ``CScalingMSR.C = 4.2`` in NRML); C grows with stress drop. The rake is ignored.

    Parameters
    ----------
    C : float
        The constant (default 4.2).
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = ("C",)

    def __init__(self, C: float = 4.2) -> None:  # noqa: N803 - the OpenQuake parameter name
        value = float(C)
        if not math.isfinite(value):
            raise InputError(f"CScalingMSR: C must be a finite number, got {C!r}")
        self.C = value

    def get_median_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        m = np.asarray(mag, dtype=float)
        return _result(np.broadcast_to(10.0 ** (m - self.C), _shape(m, rake)))


class _Leonard2014(MSR):
    """Leonard (2014) M = log10 A + a, a per strike-slip / dip-slip; mean for unknown rake."""

    STRIKE_SLIP_A: ClassVar[float] = 0.0
    DIP_SLIP_A: ClassVar[float] = 0.0

    def get_median_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        m = np.asarray(mag, dtype=float)
        code = rake_class(rake)
        unknown = 0.5 * (self.STRIKE_SLIP_A + self.DIP_SLIP_A)
        constant = np.where(
            code == STRIKE_SLIP,
            self.STRIKE_SLIP_A,
            np.where(code == ALL, unknown, self.DIP_SLIP_A),
        )
        return _result(10.0 ** (m - constant))


@msr_registry.add("Leonard2014_Interplate")
class Leonard2014_Interplate(_Leonard2014):  # noqa: N801 - OpenQuake name
    """Leonard (2014), interplate faults: M = log10 A + 3.99 (strike-slip), + 4.00 (dip-slip).

    Leonard, M. (2014). Self-consistent earthquake fault-scaling relations: update and
    extension to stable continental strike-slip faults. BSSA 104(6), 2953-2965; the Mw-A
    relations (constant stress drop, slope 1) of its summary table for interplate
    strike-slip and dip-slip faults. Reverse and normal rakes use the dip-slip constant;
    ``rake=None`` the mean of the two (3.995). OpenQuake QA classical case_04 uses it with
    rake -5 (strike-slip). No standard deviation is given as a log-normal sigma.
    """

    STRIKE_SLIP_A: ClassVar[float] = 3.99
    DIP_SLIP_A: ClassVar[float] = 4.00


@msr_registry.add("Leonard2014_SCR")
class Leonard2014_SCR(_Leonard2014):  # noqa: N801 - OpenQuake name
    """Leonard (2014), stable continental regions: M = log10 A + 4.18 (SS), + 4.19 (DS).

    Same paper and rake rules as :class:`Leonard2014_Interplate`; the stable continental
    (intraplate) strike-slip and dip-slip Mw-A relations. ``rake=None``: 4.185.
    """

    STRIKE_SLIP_A: ClassVar[float] = 4.18
    DIP_SLIP_A: ClassVar[float] = 4.19


class _Strasser2010(MSR):
    A: ClassVar[float] = 0.0
    B: ClassVar[float] = 0.0
    SIGMA: ClassVar[float] = 0.0

    def get_median_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        m = np.asarray(mag, dtype=float)
        return _result(np.broadcast_to(10.0 ** (self.A + self.B * m), _shape(m, rake)))

    def get_std_dev_area(self, mag: float | np.ndarray, rake: Rake) -> float | np.ndarray:
        return _result(np.full(_shape(np.asarray(mag, dtype=float), rake), self.SIGMA))


@msr_registry.add("StrasserInterface")
class StrasserInterface(_Strasser2010):
    """Strasser, Arango & Bommer (2010), subduction interface: log10 A = -3.476 + 0.952 M.

    Strasser, F. O., Arango, M. C. and Bommer, J. J. (2010). Scaling of the source dimensions
    of interface and intraslab subduction-zone earthquakes with moment magnitude. SRL 81(6),
    941-950; Table 2, rupture area on Mw, interface events (sigma 0.304). Rake ignored.
    """

    A: ClassVar[float] = -3.476
    B: ClassVar[float] = 0.952
    SIGMA: ClassVar[float] = 0.304


@msr_registry.add("StrasserIntraslab")
class StrasserIntraslab(_Strasser2010):
    """Strasser, Arango & Bommer (2010), intraslab: log10 A = -3.225 + 0.890 M (sigma 0.184).

    Same paper as :class:`StrasserInterface`, Table 2, intraslab events. Rake ignored.
    """

    A: ClassVar[float] = -3.225
    B: ClassVar[float] = 0.890
    SIGMA: ClassVar[float] = 0.184


def get_msr(text: str, where: str = "") -> MSR:
    """Parse the text of a NRML ``<magScaleRel>`` element into an MSR instance.

    Accepted forms (surrounding whitespace and newlines are ignored)::

        WC1994
        CScalingMSR.C = 3.90          (TOML dotted key: <name>.<parameter> = <number>)
        [CScalingMSR]                 (TOML table, one parameter per line)
        C = 3.90

    Parameters
    ----------
    text : str
        The element text.
    where : str
        Location for error messages, e.g. ``"source_model.xml line 42, source 'A1'"``.

    Raises
    ------
    UnknownName
        The name is not a registered relation (the message suggests close names).
    InputError
        Empty text, unparsable parameter text, unknown or non-numeric parameters.
    """
    place = f"{where}: " if where else ""
    source = (text or "").strip()
    if not source:
        raise InputError(f"{place}<magScaleRel> is empty; expected a name such as 'WC1994'")
    if not any(ch in source for ch in ".=["):
        return msr_registry.get(source, where=where)()
    try:
        parsed: dict[str, Any] = tomllib.loads(source)
    except tomllib.TOMLDecodeError as err:
        raise InputError(
            f"{place}<magScaleRel> {source!r} is not 'Name' or 'Name.parameter = number' ({err})"
        ) from None
    if len(parsed) != 1 or not isinstance(next(iter(parsed.values())), dict):
        raise InputError(
            f"{place}<magScaleRel> {source!r}: expected one relation with its parameters, "
            "e.g. 'CScalingMSR.C = 4.2'"
        )
    [(name, params)] = parsed.items()
    cls = msr_registry.get(name, where=where)
    if not cls.PARAMETERS:
        raise InputError(f"{place}<magScaleRel> {name} takes no parameters, got {source!r}")
    unknown = sorted(set(params) - set(cls.PARAMETERS))
    if unknown:
        raise InputError(
            f"{place}<magScaleRel> {name} has no parameter(s) {', '.join(unknown)}; "
            f"its parameters: {', '.join(cls.PARAMETERS)}"
        )
    kwargs: dict[str, float] = {}
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{place}<magScaleRel> {name}.{key} must be a number, got {value!r}")
        kwargs[key] = float(value)
    try:
        return cls(**kwargs)
    except InputError as err:
        raise InputError(f"{place}<magScaleRel> {err}") from None
