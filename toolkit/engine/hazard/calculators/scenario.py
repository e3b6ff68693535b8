"""Scenario hazard: ground-motion fields of one earthquake rupture.

For every ground-motion model (a realization of the GSIM logic tree, or the single ``gsim``)
the calculator draws ``number_of_ground_motion_fields`` fields at the sites within
``maximum_distance`` of the rupture:

.. math:: \\ln Y_{es} = \\mu_s + \\tau\\,\\eta_e + \\phi\\,\\varepsilon_{es}

with inter-event residuals :math:`\\eta_e` shared by all sites of event e and intra-event
residuals :math:`\\varepsilon_{es}`, spatially correlated when a correlation model is given
(Jayaram & Baker 2009), both standard normal, truncated at ``truncation_level``
(see :mod:`toolkit.engine.hazard.gmf`).

Events are numbered realization by realization: event ``r * n + k`` is field k of
realization r, as in OpenQuake.

References
----------
Jayaram, N., Baker, J. W. (2009). Correlation model for spatially distributed ground-motion
intensities. Earthquake Engineering & Structural Dynamics 38(15), 1687-1708.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.engine.hazard.calculators.base import Calculator
from toolkit.engine.hazard.calculators.gmfs import (
    EVENT_DTYPE,
    GmfResult,
    GmfRows,
    min_iml_array,
    rupture_gmfs,
    rupture_rows,
)
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT
from toolkit.engine.hazard.kernel import build_contexts
from toolkit.engine.hazard.ruptures import RuptureBlock
from toolkit.engine.hazard.sites import SiteCollection

__all__ = ["ScenarioCalculator", "ScenarioInputs"]


@dataclass
class ScenarioInputs:
    """Validated inputs of a scenario calculation (built by ``toolkit.io``).

    Attributes
    ----------
    sites : SiteCollection
    rupture : RuptureBlock
        One rupture.
    gsims : list of (branch_path, GMPE, weight)
        One realization per ground-motion model.
    imts : list of IMT
    number_of_ground_motion_fields : int
    ses_seed : int
    truncation_level : float or None
    maximum_distance : float
        km (rrup).
    correlation : CorrelationModel or None
    minimum_intensity : dict of str -> float
    minimum_distance : float
        km; shorter source-site distances are raised to it before the GSIMs (0: none).
    """

    sites: SiteCollection
    rupture: RuptureBlock
    gsims: list[tuple[str, GMPE, float]]
    imts: list[IMT]
    number_of_ground_motion_fields: int
    ses_seed: int = 42
    truncation_level: float | None = None
    maximum_distance: float = 300.0
    correlation: Any = None
    minimum_intensity: dict[str, float] = field(default_factory=dict)
    minimum_distance: float = 0.0  # km; shorter distances are raised to it (job.ini key)


def scenario_task(
    ctx: Any, site_index: np.ndarray, gsim: GMPE, inp: ScenarioInputs, rlz: int
) -> tuple[GmfRows, np.ndarray, np.ndarray]:
    """The fields of one realization: rows with local event numbers, sig and eps."""
    rng = np.random.default_rng([inp.ses_seed, rlz])
    return rupture_gmfs(ctx, site_index, gsim, inp.imts, inp.number_of_ground_motion_fields,
                        rng, inp.truncation_level, inp.correlation, inp.sites,
                        min_iml_array(inp.imts, inp.minimum_intensity))


class ScenarioCalculator(Calculator):
    """Scenario calculator (``calculation_mode = scenario``)."""

    mode = "scenario"
    inputs: ScenarioInputs

    def prepare(self) -> None:
        inp = self.inputs
        if inp.number_of_ground_motion_fields < 1:
            from toolkit.errors import InputError

            raise InputError("number_of_ground_motion_fields must be a positive integer, got "
                             f"{inp.number_of_ground_motion_fields}")
        if len(inp.rupture) != 1:
            raise ValueError(f"a scenario has one rupture, got {len(inp.rupture)}")
        required: set[str] = set()
        for _, gsim, _ in inp.gsims:
            required |= gsim.requires
            for imt in inp.imts:
                gsim.check_imt(imt)
        self.built = build_contexts(inp.rupture, inp.sites, required, inp.maximum_distance,
                                    inp.minimum_distance)

    def execute(self) -> GmfResult:
        inp = self.inputs
        n = inp.number_of_ground_motion_fields
        n_rlzs = len(inp.gsims)
        n_imts = len(inp.imts)
        events = np.zeros(n * n_rlzs, EVENT_DTYPE)
        events["event_id"] = np.arange(n * n_rlzs)
        events["rlz_id"] = np.repeat(np.arange(n_rlzs), n)
        events["ses_id"] = 1
        ruptures = rupture_rows(inp.rupture, np.array([n * n_rlzs]), np.array([inp.ses_seed]))
        sig = np.full((n * n_rlzs, n_imts), np.nan)
        eps = np.zeros((n * n_rlzs, n_imts))
        messages: list[str] = []
        parts: list[GmfRows] = []
        self.progress(0, n_rlzs, "scenario")
        if self.built is None:
            messages.append(f"no site is within maximum_distance = {inp.maximum_distance:g} km "
                            "of the rupture: no ground motion computed")
        else:
            ctx, _, site_index = self.built
            tasks = [(ctx, site_index, gsim, inp, r) for r, (_, gsim, _) in enumerate(inp.gsims)]
            for r, (rows, s, e) in self.executor.submit_all(scenario_task, tasks):
                rows.event = rows.event + r * n
                parts.append((r, rows))
                sig[r * n:(r + 1) * n] = s
                eps[r * n:(r + 1) * n] = e
                self.progress(len(parts), n_rlzs, "scenario")
            parts = [rows for _, rows in sorted(parts, key=lambda item: item[0])]
        return GmfResult(
            mode="scenario",
            sites=inp.sites,
            imts=list(inp.imts),
            realizations=[(r, path, w) for r, (path, _, w) in enumerate(inp.gsims)],
            investigation_time=None,
            ses_per_logic_tree_path=1,
            ruptures=ruptures,
            events=events,
            gmfs=GmfRows.concatenate(parts, n_imts),
            sig_inter=sig,
            eps_inter=eps,
            messages=messages,
        )
