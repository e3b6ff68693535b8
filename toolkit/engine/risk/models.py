"""Risk model functions as plain data: fragility and vulnerability functions.

The readers in :mod:`toolkit.io.riskmodels` build these from NRML files; the risk engine
(:mod:`toolkit.engine.risk`) evaluates them on arrays of intensity measure levels.

References
----------
Silva, V., Crowley, H., Pagani, M., Monelli, D., Pinho, R. (2014). Development of the
OpenQuake engine, the Global Earthquake Model's open-source software for seismic risk
assessment. Natural Hazards 72(3), 1409-1427.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["FragilityFunction", "FragilityModel", "VulnerabilityFunction",
           "VulnerabilityModel"]


@dataclass
class FragilityFunction:
    """Probabilities of reaching or exceeding each limit state, for one taxonomy.

    Attributes
    ----------
    id : str
        Taxonomy (or risk id) the function applies to.
    imt : str
        Canonical IMT string, e.g. ``"PGA"``, ``"SA(0.3)"``.
    limit_states : list of str
        In increasing order of damage.
    format : str
        ``"discrete"`` (poes tabulated at ``imls``) or ``"continuous"`` (lognormal CDFs).
    imls : ndarray (n_imls,) or None
        Discrete only: intensity levels.
    poes : ndarray (n_ls, n_imls) or None
        Discrete only: probability of reaching or exceeding each limit state at each level.
    means, stddevs : ndarray (n_ls,) or None
        Continuous only: mean and standard deviation of the lognormal CDF **in intensity
        units** (not logs), as NRML ``params mean= stddev=``.
    no_damage_limit : float or None
        Below this level, the poes are zero.
    min_iml, max_iml : float or None
        Levels are clipped to ``max_iml``; below ``min_iml`` (continuous) poes are zero.
    """

    id: str
    imt: str
    limit_states: list[str]
    format: str
    imls: np.ndarray | None = None
    poes: np.ndarray | None = None
    means: np.ndarray | None = None
    stddevs: np.ndarray | None = None
    no_damage_limit: float | None = None
    min_iml: float | None = None
    max_iml: float | None = None


@dataclass
class FragilityModel:
    """Fragility functions of one loss type, by taxonomy."""

    path: Path | None
    loss_type: str
    limit_states: list[str]
    functions: dict[str, FragilityFunction] = field(default_factory=dict)


@dataclass
class VulnerabilityFunction:
    """Loss ratio distribution as a function of intensity, for one taxonomy.

    Attributes
    ----------
    id : str
    imt : str
    dist : str
        ``"LN"`` (lognormal), ``"BT"`` (beta) or ``"PM"`` (discrete probability mass).
    imls : ndarray (n_imls,)
    mean_lrs, covs : ndarray (n_imls,) or None
        LN and BT: mean loss ratio and its coefficient of variation at each level.
    loss_ratios : ndarray (n_lrs,) or None
        PM: the loss ratios of the mass function.
    probs : ndarray (n_lrs, n_imls) or None
        PM: probability of each loss ratio at each level (columns sum to 1).
    """

    id: str
    imt: str
    dist: str
    imls: np.ndarray
    mean_lrs: np.ndarray | None = None
    covs: np.ndarray | None = None
    loss_ratios: np.ndarray | None = None
    probs: np.ndarray | None = None


@dataclass
class VulnerabilityModel:
    """Vulnerability functions of one loss type, by taxonomy."""

    path: Path | None
    loss_type: str
    functions: dict[str, VulnerabilityFunction] = field(default_factory=dict)
