"""Horizontal-component definitions of GSIMs and the ``horiz_comp_to_geom_mean`` check.

Ground-motion models predict different definitions of "the" horizontal motion of a record
with two orthogonal horizontal traces: the geometric mean of the as-recorded components
(``GM``, "average horizontal"), the orientation-independent GMRotI50 (Boore, Watson-Lamprey
& Abrahamson 2006), RotD50 / RotD100 (Boore 2010), the larger component, a random
component ... Mixing models with different definitions in one logic tree needs their
medians and standard deviations converted to a common definition: OpenQuake's job.ini
option ``horiz_comp_to_geom_mean = true`` converts every GSIM to the geometric mean.

Published conversion models
---------------------------
* Beyer, K. & Bommer, J. J. (2006). Relationships between median values and between
  aleatory variabilities for different definitions of the horizontal component of motion.
  *BSSA* 96(4A), 1512-1522, doi:10.1785/0120050210: ratios of medians and of standard
  deviations of each definition (GMRotI50, larger, random, ...) to the geometric mean,
  with the standard deviation of the ratio, per period.
* Boore, D. M. & Kishida, T. (2017). Relations between some horizontal-component
  ground-motion intensity measures used in practice. *BSSA* 107(1), 334-343,
  doi:10.1785/0120160250: ratios RotD50/GM_AR, RotD100/RotD50 ..., per period.

Measured behaviour of OpenQuake 3.26.2 (black-box runs of its hazardlib, see the
differences document): RotD50 models (ASK14, BSSA14, CB14, CY14, I14) get their ln mean
shifted by a period-dependent constant (about -0.009 at PGA, -0.031 at 1 s, -0.045 at 5 s;
no magnitude or distance dependence), their sigma unchanged; "greater of two horizontal"
models likewise (about -0.11 at PGA, -0.16 at 1 s); GMRotI50 (BA08) and "random horizontal"
models keep their mean and get a smaller sigma; PGV of RotD50 models, and RotD100,
"horizontal", "median horizontal" and vertical models are unchanged; geometric-mean models
are untouched.

The coefficient tables of those two papers are not available to this project (the search
tool reaches only their abstracts), so the toolkit does **not** convert: it refuses
``horiz_comp_to_geom_mean = true`` for a GSIM that is not already defined for the geometric
mean (:func:`check_geometric_mean`), instead of silently ignoring the option. Values must
not be invented or taken from OpenQuake's code.
"""

from __future__ import annotations

from typing import Any

from toolkit.errors import InputError

__all__ = [
    "GEOMETRIC_MEAN",
    "ROTD50",
    "ROTD100",
    "GMROTI50",
    "GEOMETRIC_MEAN_COMPONENTS",
    "component_of",
    "is_geometric_mean",
    "check_geometric_mean",
]

#: the geometric mean of the two as-recorded horizontal components ("average horizontal")
GEOMETRIC_MEAN = "Average horizontal (geometric mean)"
#: median over all rotation angles of the single rotated component (Boore 2010)
ROTD50 = "Average horizontal (RotD50)"
#: maximum over all rotation angles of the single rotated component (Boore 2010)
ROTD100 = "Maximum horizontal (RotD100)"
#: orientation-independent geometric mean (Boore, Watson-Lamprey & Abrahamson 2006)
GMROTI50 = "Average horizontal (GMRotI50)"

#: component definitions that need no conversion to the geometric mean (compared in lower
#: case; "average horizontal" is how OpenQuake's hazardlib labels the geometric mean)
GEOMETRIC_MEAN_COMPONENTS = frozenset({GEOMETRIC_MEAN.lower(), "average horizontal"})

_ATTRIBUTE = "DEFINED_FOR_INTENSITY_MEASURE_COMPONENT"


def component_of(gsim: Any) -> str | None:
    """The horizontal-component definition a GSIM predicts, or None when undeclared.

    Read from the class attribute ``DEFINED_FOR_INTENSITY_MEASURE_COMPONENT``; a wrapper
    (e.g. :class:`~toolkit.engine.hazard.gsim.modifiers.ModifiableGMPE`, attribute ``gmpe``)
    has the component of the model it wraps.
    """
    value = getattr(gsim, _ATTRIBUTE, None)
    if value is None:
        for wrapped in ("gmpe", "gsim"):  # ModifiableGMPE, MixtureModel
            inner = getattr(gsim, wrapped, None)
            if inner is not None:
                return component_of(inner)
    return None if value is None else str(value)


def is_geometric_mean(gsim: Any) -> bool:
    """True if ``gsim`` is declared for the geometric mean of the horizontal components."""
    component = component_of(gsim)
    return component is not None and component.lower() in GEOMETRIC_MEAN_COMPONENTS


def check_geometric_mean(gsim: Any, where: str) -> None:
    """Refuse ``horiz_comp_to_geom_mean = true`` for a GSIM the toolkit cannot convert.

    Parameters
    ----------
    gsim : GMPE
        A toolkit GSIM instance.
    where : str
        Location for the message (job.ini file and line, logic-tree branch).

    Raises
    ------
    InputError
        ``gsim`` is not defined for the geometric mean (or declares no component): the
        conversion coefficients of Beyer & Bommer (2006) / Boore & Kishida (2017) are not
        implemented.
    """
    if is_geometric_mean(gsim):
        return
    component = component_of(gsim) or "an undeclared horizontal component"
    raise InputError(
        f"{where}: horiz_comp_to_geom_mean = true, but GSIM {gsim!r} is defined for "
        f"{component}, not the geometric mean, and the toolkit does not implement the "
        "conversion (Beyer & Bommer 2006; Boore & Kishida 2017); remove the option or use "
        "geometric-mean GSIMs (OpenQuake's own GSIMs convert themselves when run through "
        "the hazardlib bridge)"
    )
