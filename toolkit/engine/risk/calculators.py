"""Risk calculators: scenario damage and losses, event-based risk, classical risk and damage.

Five calculation modes, registered in :data:`toolkit.engine.hazard.calculators.calculators`:

``scenario_damage``, ``scenario_risk``
    ground-motion fields of one rupture (computed in the same job with the scenario
    calculator, read from a file, or from a previous calculation) -> buildings in each damage
    state / losses per asset and event;
``event_based_risk``
    stochastic event sets and their fields (event-based calculator, or a previous
    calculation) -> event loss table, average losses, aggregate loss curves;
``classical_risk``, ``classical_damage``
    hazard curves (classical calculator, or a previous calculation) -> loss exceedance curves
    and average losses / damage state probabilities per asset.

Each calculator runs its hazard part first (unless :attr:`RiskInputs.hazard` already holds a
result), associates every asset with its closest hazard site (:func:`associate_assets`) and
evaluates the risk functions of :mod:`toolkit.engine.risk` on arrays.

Asset-to-site association
-------------------------
An asset goes to the closest site (great-circle distance) if it is within
``asset_hazard_distance`` km, otherwise it is discarded with a message. The kept assets are
ordered by site index, then by their order in the exposure (OpenQuake's asset order in its
exports: QA scenario_damage/case_1 lists a1, a3, a2 for sites 0, 1, 2).

Memory (scenario and event based)
---------------------------------
Assets (ordered by site) are processed in blocks of :data:`ASSET_BLOCK` assets and events in
chunks of :data:`EVENT_CHUNK` events. For one block and chunk the ground motion of the
block's sites is gathered into a dense (sites x events) matrix per IMT and the losses (or
damage distributions) are computed for that block only; they are immediately added into

* per-asset sums over the events of each realization, (A, R) (or (A, R, D) damage states);
* per-event totals over all assets, (E,) (or (E, D));
* event-based only, with ``aggregate_by``: per-event totals of each tag group, (G, E);

and dropped. Memory is thus bounded by O(A R + E G + ASSET_BLOCK x EVENT_CHUNK), never
assets x events, whatever the number of events.

Random numbers
--------------
Every (loss type, asset block, event chunk) has its own stream
``default_rng([master_seed, 0, loss_type_index, block, chunk])``; with ``asset_correlation``
:math:`\\rho > 0` the draw shared by the assets of one risk function in an event comes from
``default_rng([master_seed, 1, loss_type_index, function_index, chunk])`` and the loss-ratio
epsilons are :math:`\\sqrt{\\rho}\\,z_e + \\sqrt{1-\\rho}\\,z_{ae}` (Gaussian copula, see
:mod:`toolkit.engine.risk.vulnerability`). Block and chunk sizes are fixed constants, so the
results do not depend on the executor. Vulnerability functions with zero coefficients of
variation (or ``ignore_covs``) are evaluated at their mean without drawing.

Averages
--------
* scenario: the mean over the events of each realization;
* event based: the sum over the events of each realization times
  :math:`T_r / (T \\, n_{SES})` (``risk_investigation_time`` over the effective investigation
  time), i.e. the expected loss in the risk investigation time, as OpenQuake's
  ``avg_losses``;
* aggregate loss curves: :func:`toolkit.engine.risk.losses.aggregate_loss_curve`'s rule
  applied to the event losses of each realization (vectorised over tag groups).

References
----------
Silva, V., Crowley, H., Pagani, M., Monelli, D., Pinho, R. (2014). Development of the
OpenQuake engine, the Global Earthquake Model's open-source software for seismic risk
assessment. Natural Hazards 72(3), 1409-1427.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from toolkit.engine.hazard.calculators.base import Calculator
from toolkit.engine.hazard.calculators.classical import (
    ClassicalCalculator,
    ClassicalInputs,
    ClassicalResult,
)
from toolkit.engine.hazard.calculators.event_based import EventBasedCalculator, EventBasedInputs
from toolkit.engine.hazard.calculators.gmfs import GmfResult
from toolkit.engine.hazard.calculators.scenario import ScenarioCalculator, ScenarioInputs
from toolkit.engine.hazard.geo import EARTH_RADIUS, spherical_to_cartesian
from toolkit.engine.risk.classical import classical_damage, classical_risk
from toolkit.engine.risk.damage import scenario_damage
from toolkit.engine.risk.fragility import damage_state_probs, limit_state_poes
from toolkit.engine.risk.vulnerability import mean_loss_ratio, sample_loss_ratios
from toolkit.errors import CalculationError, InputError

__all__ = [
    "ASSET_BLOCK",
    "EVENT_CHUNK",
    "RISK_MODES",
    "AggregateTable",
    "AssetArrays",
    "LossCurveTable",
    "RiskCalculator",
    "RiskFunctions",
    "RiskInputs",
    "RiskResult",
    "RiskWarning",
    "associate_assets",
    "default_return_periods",
    "losses_at_return_periods",
]

#: assets per block (fixed: the random streams are keyed by block)
ASSET_BLOCK = 500
#: events per chunk (fixed: the random streams are keyed by chunk)
EVENT_CHUNK = 4000

RISK_MODES = ("scenario_damage", "scenario_risk", "event_based_risk", "classical_risk",
              "classical_damage")


class RiskWarning(UserWarning):
    """Something the user should know about a risk calculation (e.g. discarded assets)."""


# --------------------------------------------------------------------------- inputs
@dataclass
class AssetArrays:
    """The assets of a risk calculation as arrays (one entry per asset).

    Attributes
    ----------
    asset_id, taxonomy : ndarray of str (A,)
    lon, lat, number : ndarray of float (A,)
    values : dict of str -> ndarray (A,)
        Loss type -> exposed value (total cost, or occupants for ``occupants``).
    tags : dict of str -> ndarray of str (A,)
    tag_names : list of str
        The exposure's tag names, in order.
    taxonomies : list of str
        Every taxonomy of the exposure, sorted, including those of discarded assets
        (OpenQuake's ``avg_losses_by`` taxonomy lists them with zero).
    ordinal : ndarray of int (A,)
        Position of each asset in the exposure file(s).
    """

    asset_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    taxonomy: np.ndarray
    number: np.ndarray
    values: dict[str, np.ndarray]
    tags: dict[str, np.ndarray]
    tag_names: list[str]
    taxonomies: list[str]
    ordinal: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.ordinal is None:
            self.ordinal = np.arange(len(self.asset_id))

    def __len__(self) -> int:
        return len(self.asset_id)

    def take(self, index: np.ndarray) -> AssetArrays:
        """The assets at ``index`` (an index array or a boolean mask)."""
        return AssetArrays(
            asset_id=self.asset_id[index], lon=self.lon[index], lat=self.lat[index],
            taxonomy=self.taxonomy[index], number=self.number[index],
            values={k: v[index] for k, v in self.values.items()},
            tags={k: v[index] for k, v in self.tags.items()}, tag_names=list(self.tag_names),
            taxonomies=list(self.taxonomies), ordinal=self.ordinal[index])

    def keys(self, tag: str) -> np.ndarray:
        """The value of ``tag`` for every asset (``taxonomy`` and ``id`` included)."""
        if tag == "taxonomy":
            return self.taxonomy
        if tag == "id":
            return self.asset_id
        if tag in self.tags:
            return self.tags[tag]
        raise InputError(f"unknown tag {tag!r}; the exposure has the tags "
                         f"{', '.join(['id', 'taxonomy', *self.tag_names])}")


@dataclass
class RiskFunctions:
    """The risk functions of one loss type and the taxonomies they apply to.

    Attributes
    ----------
    loss_type : str
    kind : str
        ``"fragility"`` or ``"vulnerability"``.
    functions : list of FragilityFunction or VulnerabilityFunction
    by_taxonomy : dict of str -> list of (int, float)
        Taxonomy -> (index into ``functions``, weight); weights sum to 1.
    damage_states : list of str
        ``["no_damage", *limit_states]`` for fragility models, else empty.
    source : str
        Where the functions come from (file names), for messages.
    """

    loss_type: str
    kind: str
    functions: list[Any]
    by_taxonomy: dict[str, list[tuple[int, float]]]
    damage_states: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class RiskInputs:
    """Validated inputs of a risk calculation (built by :mod:`toolkit.io.risk_inputs`).

    Attributes
    ----------
    mode : str
        One of :data:`RISK_MODES`.
    assets : AssetArrays
        The assets inside the region (not yet associated with sites).
    models : dict of str -> RiskFunctions
        Loss type -> functions, in the order of the exports.
    hazard : ScenarioInputs, EventBasedInputs, ClassicalInputs, GmfResult, ClassicalResult
        The hazard part: inputs of a hazard calculation run first, or a hazard result (GMFs
        read from a file, or loaded from ``hazard_calculation_id`` by the jobs layer).
    hazard_calculation_id : int or None
        The previous calculation the hazard comes from (its results are not stored again).
    asset_hazard_distance : float
        km.
    master_seed : int
    asset_correlation : float
    discrete_damage_distribution, modal_damage_state, ignore_covs : bool
    minimum_asset_loss : dict of str -> float
        Loss type (or ``"default"``) -> threshold.
    aggregate_by : list of tuple of str
    return_periods : list of float
        Empty: :func:`default_return_periods`.
    risk_investigation_time : float or None
    lrem_steps_per_interval, steps_per_interval : int
    quantiles : list of float
        Statistics over realizations besides the mean.
    sites_from_csv : bool
        The sites came from a ``sites_csv`` (OpenQuake then exports ``site_model``).
    messages : list of str
        Notes from the input stage (e.g. assets outside the region).
    """

    mode: str
    assets: AssetArrays
    models: dict[str, RiskFunctions]
    hazard: Any = None
    hazard_calculation_id: int | None = None
    asset_hazard_distance: float = 15.0
    master_seed: int = 123456789
    asset_correlation: float = 0.0
    discrete_damage_distribution: bool = False
    modal_damage_state: bool = False
    ignore_covs: bool = False
    minimum_asset_loss: dict[str, float] = field(default_factory=dict)
    aggregate_by: list[tuple[str, ...]] = field(default_factory=list)
    return_periods: list[float] = field(default_factory=list)
    risk_investigation_time: float | None = None
    lrem_steps_per_interval: int = 1
    steps_per_interval: int = 1
    quantiles: list[float] = field(default_factory=list)
    sites_from_csv: bool = False
    messages: list[str] = field(default_factory=list)

    def minimum_loss(self, loss_type: str) -> float:
        m = self.minimum_asset_loss
        return float(m.get(loss_type, m.get("default", 0.0)))


# --------------------------------------------------------------------------- results
@dataclass
class AggregateTable:
    """Risk aggregated over the assets sharing the values of some tags.

    Attributes
    ----------
    tags : tuple of str
        ``()`` for the total over all assets.
    labels : ndarray of str (G, n_tags)
        The tag values of each group (sorted); one empty row for the total.
    asset_group : ndarray of int (A,)
        Group of each asset.
    values : dict of str -> ndarray
        Loss type -> (G, R) average losses or (G, R, D) average damage distributions.
    exposed : dict of str -> ndarray (G,)
        Total exposed value of each group (loss ratios).
    curves : dict of str -> ndarray (G, R, P)
        Event based: losses at the return periods.
    """

    tags: tuple[str, ...]
    labels: np.ndarray
    asset_group: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    exposed: dict[str, np.ndarray] = field(default_factory=dict)
    curves: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class LossCurveTable:
    """Classical risk loss curves of every asset, one row per (asset, loss ratio).

    Attributes
    ----------
    asset : ndarray of int (n,)
        Asset index (rows grouped by asset, loss ratios increasing).
    loss_ratio : ndarray (n,)
    poes : ndarray (n, R)
        Probability of exceeding the loss ratio in the risk investigation time.
    """

    asset: np.ndarray
    loss_ratio: np.ndarray
    poes: np.ndarray


@dataclass
class RiskResult:
    """Outputs of a risk calculation.

    Attributes
    ----------
    mode : str
    hazard : GmfResult, ClassicalResult or None
        The hazard part computed (or read from a file) in this job; None when it comes from
        ``hazard_calculation_id``.
    hazard_calculation_id : int or None
    assets : AssetArrays
        The assets kept (within ``asset_hazard_distance`` of a site), in export order.
    site_id : ndarray of int (A,)
        Index of each asset's site in the hazard sites.
    loss_types : list of str
    damage_states : list of str
        ``no_damage`` and the limit states (damage modes), else empty.
    realizations : list of (rlz_id, branch_path, weight)
    avg : dict of str -> ndarray
        Loss type -> (A, R) average losses or (A, R, D) average buildings in each damage
        state (expected numbers, or probabilities times ``number`` in classical damage).
    aggregates : list of AggregateTable
        The total first, then one table per ``aggregate_by`` entry.
    events : ndarray or None
        Structured (E,): ``event_id, rlz_id, rup_id, year`` (scenario and event based).
    event_totals : dict of str -> ndarray
        Loss type -> (E,) total loss or (E, D) total buildings per damage state, per event.
    return_periods : ndarray (P,)
    loss_curves : dict of str -> LossCurveTable
        Classical risk.
    investigation_time, risk_investigation_time, effective_time : float or None
    ses_per_logic_tree_path : int
    modal_damage_state : bool
    quantiles : list of float
    sites_from_csv : bool
    messages : list of str
    """

    mode: str
    hazard: Any
    hazard_calculation_id: int | None
    assets: AssetArrays
    site_id: np.ndarray
    loss_types: list[str]
    damage_states: list[str]
    realizations: list[tuple[int, str, float]]
    avg: dict[str, np.ndarray]
    aggregates: list[AggregateTable]
    events: np.ndarray | None = None
    event_totals: dict[str, np.ndarray] = field(default_factory=dict)
    return_periods: np.ndarray = field(default_factory=lambda: np.zeros(0))
    loss_curves: dict[str, LossCurveTable] = field(default_factory=dict)
    investigation_time: float | None = None
    risk_investigation_time: float | None = None
    effective_time: float | None = None
    ses_per_logic_tree_path: int = 1
    modal_damage_state: bool = False
    quantiles: list[float] = field(default_factory=list)
    sites_from_csv: bool = False
    messages: list[str] = field(default_factory=list)

    @property
    def weights(self) -> np.ndarray:
        return np.array([w for _, _, w in self.realizations], dtype=float)


EVENT_TABLE_DTYPE = np.dtype([("event_id", "u4"), ("rlz_id", "u2"), ("rup_id", "u4"),
                              ("year", "u4")])


# --------------------------------------------------------------------------- helpers
def associate_assets(site_lons: np.ndarray, site_lats: np.ndarray, asset_lons: np.ndarray,
                     asset_lats: np.ndarray, max_distance: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Closest site of every asset and whether it is within ``max_distance``.

    The nearest site by chord length on the unit sphere (a k-d tree over 3-D unit vectors)
    is also the nearest by great-circle distance, :math:`d = 2R\\arcsin(c/2)`.

    Returns
    -------
    site : ndarray of int (A,)
        Index of the closest site.
    distance : ndarray (A,)
        Great-circle distance to it, km (compare with ``max_distance`` to keep an asset).
    """
    sites = spherical_to_cartesian(site_lons, site_lats) / EARTH_RADIUS
    assets = spherical_to_cartesian(asset_lons, asset_lats) / EARTH_RADIUS
    from scipy.spatial import cKDTree  # lazily: 0.15 s of `toolkit run` start-up

    chord, site = cKDTree(np.atleast_2d(sites)).query(np.atleast_2d(assets), k=1)
    distance = 2.0 * EARTH_RADIUS * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    return np.asarray(site, dtype=np.int64), distance


def default_return_periods(effective_time: float, num_events: int) -> np.ndarray:
    """The default return periods of the aggregate loss curves.

    The values 1, 2, 5, 10, 20, 50, ... between the shortest period resolved by the events,
    :math:`T_{eff}/N`, and half the effective time :math:`T_{eff}/2` (the periods of
    OpenQuake's QA event_based_risk/case_5: 5 to 1000 years for 781 events in 2000 years).
    """
    if num_events < 1 or effective_time <= 0:
        return np.zeros(0)
    lo, hi = effective_time / num_events, effective_time / 2.0
    out = []
    decade = 1.0
    while decade <= hi:
        out.extend(x * decade for x in (1.0, 2.0, 5.0) if lo <= x * decade <= hi)
        decade *= 10.0
    return np.array(out)


def losses_at_return_periods(event_losses: np.ndarray, return_periods: np.ndarray,
                             eff_time: float, num_events: int) -> np.ndarray:
    """Aggregate loss curves of several groups at once.

    The rule of :func:`toolkit.engine.risk.losses.aggregate_loss_curve` (ranked losses,
    linear interpolation in :math:`\\ln T` between the periods :math:`T_{eff}/k`, NaN above
    :math:`T_{eff}`, 0 below :math:`T_{eff}/N`), applied to every row.

    Parameters
    ----------
    event_losses : ndarray (G, n)
        Losses of ``n <= num_events`` events per group (the others have no loss).
    return_periods : ndarray (P,)
    eff_time : float
    num_events : int

    Returns
    -------
    ndarray (G, P)
    """
    losses = np.atleast_2d(np.asarray(event_losses, dtype=float))
    rp = np.asarray(return_periods, dtype=float)
    n = int(num_events)
    g = losses.shape[0]
    if n == 0 or rp.size == 0:
        return np.full((g, rp.size), np.nan if n == 0 else 0.0)
    ranked = np.zeros((g, n))
    k = min(losses.shape[1], n)
    ranked[:, :k] = -np.sort(-losses, axis=1)[:, :k]
    periods = eff_time / np.arange(1, n + 1)
    # fractional rank (0-based) of every return period, linear in ln T between ranks
    pos = np.interp(np.log(rp), np.log(periods[::-1]), np.arange(n)[::-1].astype(float))
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    out = ranked[:, lo] * (1.0 - frac) + ranked[:, hi] * frac
    out[:, rp > eff_time] = np.nan
    out[:, rp < eff_time / n] = 0.0
    return out


def _group_codes(assets: AssetArrays, tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Labels (G, n_tags) and the group of each asset for a tag combination."""
    if not tags:
        return np.zeros((1, 0), dtype=str), np.zeros(len(assets), dtype=np.int64)
    cols = [np.asarray(assets.keys(t)).astype(str) for t in tags]
    stacked = np.stack(cols, axis=1)
    labels, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return labels, inverse.reshape(-1).astype(np.int64)


def _group_sum(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (b, ...) into ``n_groups`` groups."""
    flat = values.reshape(values.shape[0], -1)
    onehot = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                               shape=(n_groups, len(codes)))
    return np.asarray(onehot @ flat).reshape((n_groups,) + values.shape[1:])


def _deterministic(vf: Any, ignore_covs: bool) -> bool:
    if ignore_covs and vf.dist != "PM":
        return True
    return vf.dist != "PM" and not np.any(np.asarray(vf.covs, dtype=float) > 0)


def _spread(inv: np.ndarray, n_sites: int, site_idx: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Expand (site, event) cells to the assets of each site.

    ``inv`` gives the site (0..n_sites-1) of every asset; ``site_idx`` the site of every cell.
    Returns the asset of every expanded cell and the cell it comes from.
    """
    order = np.argsort(inv, kind="stable")
    counts = np.bincount(inv, minlength=n_sites)
    starts = np.cumsum(counts) - counts
    rep = counts[site_idx]
    pair = np.repeat(np.arange(len(site_idx)), rep)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(rep) - rep, rep)
    return order[starts[site_idx][pair] + offset], pair


class _NoWriter:
    def save(self, result: Any) -> None:  # the risk calculator saves everything at the end
        return None


def _scaled(progress: Any, start: float, span: float) -> Any:
    def report(done: float, total: float, message: str) -> None:
        frac = done / total if total else 0.0
        progress(start + span * frac, 1.0, message)
    return report


# --------------------------------------------------------------------------- GMF access
class _GmfIndex:
    """The GMF rows sorted by site, with the event position of every row."""

    def __init__(self, gmf: GmfResult) -> None:
        events = gmf.events
        order = np.argsort(events["event_id"], kind="stable")
        self.events = events[order]
        ids = self.events["event_id"].astype(np.int64)
        rows = gmf.gmfs
        event = np.asarray(rows.event, dtype=np.int64)
        pos = np.searchsorted(ids, event)
        pos = np.minimum(pos, len(ids) - 1) if len(ids) else pos
        if len(event) and not np.array_equal(ids[pos], event):
            raise CalculationError("ground-motion rows refer to events that are not in the "
                                   "events table")
        site = np.asarray(rows.site, dtype=np.int64)
        by_site = np.argsort(site, kind="stable")
        self.site = site[by_site]
        self.epos = pos[by_site]
        self.gmv = np.asarray(rows.gmv, dtype=float)[by_site]
        self.n_sites = len(gmf.sites)
        self.start = np.searchsorted(self.site, np.arange(self.n_sites + 1))
        self.imts = [str(imt) for imt in gmf.imts]

    def dense(self, sites: np.ndarray, c0: int, c1: int, imts: list[int]
              ) -> dict[int, np.ndarray]:
        """Ground motion of ``sites`` (distinct, U) for the events c0:c1, per IMT index."""
        lengths = self.start[sites + 1] - self.start[sites]
        total = int(lengths.sum())
        out = {m: np.zeros((len(sites), c1 - c0)) for m in imts}
        if total == 0:
            return out
        offsets = np.repeat(self.start[sites] - np.cumsum(lengths) + lengths, lengths)
        rows = offsets + np.arange(total)
        local = np.repeat(np.arange(len(sites)), lengths)
        epos = self.epos[rows]
        keep = (epos >= c0) & (epos < c1)
        rows, local, epos = rows[keep], local[keep], epos[keep] - c0
        for m in imts:
            out[m][local, epos] = self.gmv[rows, m]
        return out


# --------------------------------------------------------------------------- calculator
class RiskCalculator(Calculator):
    """Base of the five risk calculators (one subclass per mode)."""

    inputs: RiskInputs

    # -- hazard ---------------------------------------------------------------------------
    def _run_hazard(self) -> Any:
        hazard = self.inputs.hazard
        if isinstance(hazard, GmfResult | ClassicalResult):
            return hazard
        if hazard is None:
            raise InputError(f"{self.mode}: no hazard (the hazard of hazard_calculation_id "
                             f"{self.inputs.hazard_calculation_id} was not loaded)")
        cls = {ScenarioInputs: ScenarioCalculator, EventBasedInputs: EventBasedCalculator,
               ClassicalInputs: ClassicalCalculator}.get(type(hazard))
        if cls is None:
            raise InputError(f"{self.mode}: unsupported hazard inputs {type(hazard).__name__}")
        calc = cls(hazard, _NoWriter(), self.executor, _scaled(self.progress, 0.0, 0.5))
        calc.prepare()
        return calc.execute()

    def _check_hazard(self, hazard: Any) -> None:
        want = ClassicalResult if self.mode.startswith("classical") else GmfResult
        if not isinstance(hazard, want):
            kind = "hazard curves" if want is ClassicalResult else "ground-motion fields"
            raise InputError(f"{self.mode} needs {kind}, got {type(hazard).__name__}")
        if isinstance(hazard, GmfResult) and self.mode == "event_based_risk" and (
                hazard.investigation_time is None):
            raise InputError("event_based_risk needs event-based ground-motion fields (with an "
                             "investigation time), not scenario ones")
        names = ({str(i) for i in hazard.imtls} if isinstance(hazard, ClassicalResult)
                 else {str(i) for i in hazard.imts})
        for model in self.inputs.models.values():
            for func in model.functions:
                if func.imt not in names:
                    raise InputError(
                        f"the {model.kind} function {func.id!r} ({model.loss_type}, "
                        f"{model.source}) uses {func.imt} but the hazard has only "
                        f"{', '.join(sorted(names))}")

    # -- association ------------------------------------------------------------------------
    def _associate(self, sites: Any) -> tuple[AssetArrays, np.ndarray, list[str]]:
        inp = self.inputs
        messages = list(inp.messages)
        assets = inp.assets
        if len(assets) == 0:
            raise InputError("no asset to compute: every asset was discarded")
        site, dist = associate_assets(sites.lons, sites.lats, assets.lon, assets.lat,
                                      inp.asset_hazard_distance)
        keep = dist <= inp.asset_hazard_distance
        n_far = int((~keep).sum())
        if n_far:
            messages.append(f"{n_far} asset(s) farther than asset_hazard_distance = "
                            f"{inp.asset_hazard_distance:g} km from every hazard site were "
                            "discarded")
        if not keep.any():
            raise InputError(f"all {len(assets)} assets are farther than asset_hazard_distance "
                             f"= {inp.asset_hazard_distance:g} km from the hazard sites")
        index = np.flatnonzero(keep)
        order = index[np.lexsort((assets.ordinal[index], site[index]))]
        return assets.take(order), site[order], messages

    def _aggregates(self, assets: AssetArrays) -> list[AggregateTable]:
        tables = []
        for tags in [(), *self.inputs.aggregate_by]:
            labels, codes = _group_codes(assets, tuple(tags))
            table = AggregateTable(tuple(tags), labels, codes)
            for lt in self.inputs.models:
                if lt in assets.values:
                    table.exposed[lt] = np.bincount(codes, weights=assets.values[lt],
                                                    minlength=len(labels))
            tables.append(table)
        return tables

    # -- run --------------------------------------------------------------------------------
    def prepare(self) -> None:
        if self.inputs.mode != self.mode:
            raise InputError(f"inputs for {self.inputs.mode!r} given to the {self.mode} "
                             "calculator")
        for lt, model in self.inputs.models.items():
            missing = sorted({str(t) for t in np.unique(self.inputs.assets.taxonomy)} - set(
                model.by_taxonomy))
            if missing:
                raise InputError(f"taxonomy {missing[0]!r} has no {model.kind} function for "
                                 f"loss type {lt!r} in {model.source}")

    def execute(self) -> RiskResult:
        hazard = self._run_hazard()
        self._check_hazard(hazard)
        assets, site_id, messages = self._associate(hazard.sites)
        messages = [*getattr(hazard, "messages", []), *messages]
        result = self._compute(hazard, assets, site_id)
        result.hazard = None if self.inputs.hazard_calculation_id is not None else hazard
        result.hazard_calculation_id = self.inputs.hazard_calculation_id
        result.messages = messages
        result.quantiles = list(self.inputs.quantiles)
        result.sites_from_csv = self.inputs.sites_from_csv
        self.progress(1.0, 1.0, self.mode)
        return result

    def _compute(self, hazard: Any, assets: AssetArrays, site_id: np.ndarray) -> RiskResult:
        raise NotImplementedError


class _EventRiskCalculator(RiskCalculator):
    """Scenario and event-based risk: blocks of assets x chunks of events."""

    damage = False

    def _compute(self, hazard: GmfResult, assets: AssetArrays, site_id: np.ndarray
                 ) -> RiskResult:
        inp = self.inputs
        index = _GmfIndex(hazard)
        events = index.events
        n_events = len(events)
        rlz_ids = [int(r[0]) for r in hazard.realizations]
        rlz_of_event = np.searchsorted(np.array(rlz_ids), events["rlz_id"].astype(np.int64))
        n_rlzs = len(rlz_ids)
        event_based = self.mode == "event_based_risk"
        if event_based:
            eff_time = float(hazard.investigation_time) * hazard.ses_per_logic_tree_path
            risk_time = float(inp.risk_investigation_time or hazard.investigation_time)
            factor = np.full(n_rlzs, risk_time / eff_time)
        else:
            eff_time = risk_time = None
            counts = np.bincount(rlz_of_event, minlength=n_rlzs).astype(float)
            factor = np.divide(1.0, counts, out=np.zeros(n_rlzs), where=counts > 0)
        loss_types = list(inp.models)
        damage_states = (next(iter(inp.models.values())).damage_states if self.damage else [])
        n_ds = len(damage_states)
        tail = (n_ds,) if self.damage else ()
        sums = {lt: np.zeros((len(assets), n_rlzs) + tail) for lt in loss_types}
        totals = {lt: np.zeros((n_events,) + tail) for lt in loss_types}
        tables = self._aggregates(assets)
        group_events: dict[int, dict[str, np.ndarray]] = {}
        if event_based:
            for k, table in enumerate(tables[1:], start=1):
                group_events[k] = {lt: np.zeros((len(table.labels), n_events))
                                   for lt in loss_types}
        imt_index = {name: m for m, name in enumerate(index.imts)}
        n_blocks = max(1, -(-len(assets) // ASSET_BLOCK))
        for b, a0 in enumerate(range(0, len(assets), ASSET_BLOCK)):
            a1 = min(a0 + ASSET_BLOCK, len(assets))
            u_sites, u_inv = np.unique(site_id[a0:a1], return_inverse=True)
            u_inv = u_inv.reshape(-1)
            for c, c0 in enumerate(range(0, n_events, EVENT_CHUNK)):
                c1 = min(c0 + EVENT_CHUNK, n_events)
                needed = sorted({imt_index[f.imt] for m in inp.models.values()
                                 for f in m.functions})
                dense = index.dense(u_sites, c0, c1, needed)
                onehot = np.zeros((c1 - c0, n_rlzs))
                onehot[np.arange(c1 - c0), rlz_of_event[c0:c1]] = 1.0
                for li, lt in enumerate(loss_types):
                    rng = np.random.default_rng([inp.master_seed, 0, li, b, c])
                    block = self._block(lt, li, c, assets, a0, a1, u_inv, dense, imt_index,
                                        rng)
                    if self.damage:
                        sums[lt][a0:a1] += np.einsum("bed,er->brd", block, onehot)
                    else:
                        sums[lt][a0:a1] += block @ onehot
                    totals[lt][c0:c1] += block.sum(axis=0)
                    for k, acc in group_events.items():
                        codes = tables[k].asset_group[a0:a1]
                        local, inv = np.unique(codes, return_inverse=True)
                        acc[lt][local, c0:c1] += _group_sum(inv.reshape(-1), len(local), block)
            self.progress(0.5 + 0.5 * (b + 1) / n_blocks, 1.0, self.mode)
        avg = {lt: sums[lt] * factor.reshape((1, n_rlzs) + (1,) * len(tail))
               for lt in loss_types}
        for table in tables:
            for lt in loss_types:
                table.values[lt] = _group_sum(table.asset_group, len(table.labels), avg[lt])
        periods = np.zeros(0)
        if event_based:
            periods = (np.asarray(inp.return_periods, dtype=float) if inp.return_periods
                       else default_return_periods(eff_time, int(np.bincount(
                           rlz_of_event, minlength=n_rlzs).max(initial=0))))
            for k, table in enumerate(tables):
                for lt in loss_types:
                    rows = totals[lt][None, :] if k == 0 else group_events[k][lt]
                    curves = np.zeros((len(table.labels), n_rlzs, len(periods)))
                    for r in range(n_rlzs):
                        sel = rlz_of_event == r
                        curves[:, r] = losses_at_return_periods(rows[:, sel], periods,
                                                                eff_time, int(sel.sum()))
                    table.curves[lt] = curves
        table_events = np.zeros(n_events, EVENT_TABLE_DTYPE)
        table_events["event_id"] = events["event_id"]
        table_events["rlz_id"] = events["rlz_id"]
        table_events["rup_id"] = events["rup_id"]
        table_events["year"] = events["year"]
        return RiskResult(
            mode=self.mode, hazard=hazard, hazard_calculation_id=None, assets=assets,
            site_id=site_id, loss_types=loss_types, damage_states=damage_states,
            realizations=[(int(r[0]), str(r[1]), float(r[2])) for r in hazard.realizations],
            avg=avg, aggregates=tables, events=table_events, event_totals=totals,
            return_periods=periods, investigation_time=hazard.investigation_time,
            risk_investigation_time=risk_time, effective_time=eff_time,
            ses_per_logic_tree_path=hazard.ses_per_logic_tree_path,
            modal_damage_state=inp.modal_damage_state)

    def _block(self, lt: str, li: int, c: int, assets: AssetArrays, a0: int, a1: int,
               u_inv: np.ndarray, dense: dict[int, np.ndarray], imt_index: dict[str, int],
               rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class _LossBlocks(_EventRiskCalculator):
    def _block(self, lt, li, c, assets, a0, a1, u_inv, dense, imt_index, rng):
        inp = self.inputs
        model = inp.models[lt]
        n_ev = next(iter(dense.values())).shape[1]
        out = np.zeros((a1 - a0, n_ev))
        taxonomy = assets.taxonomy[a0:a1]
        values = assets.values[lt][a0:a1]
        rho = float(inp.asset_correlation)
        for tax in np.unique(taxonomy):
            rows = np.flatnonzero(taxonomy == tax)
            for fi, weight in model.by_taxonomy[str(tax)]:
                vf = model.functions[fi]
                gm = dense[imt_index[vf.imt]]
                first = float(np.asarray(vf.imls)[0])
                if _deterministic(vf, inp.ignore_covs):
                    # on the distinct sites, only where the loss ratio can be > 0, then
                    # spread to the assets of those sites
                    u, inv = np.unique(u_inv[rows], return_inverse=True)
                    x = gm[u]
                    u_idx, e_idx = np.nonzero(x >= first)
                    if not len(u_idx):
                        continue
                    ratios = mean_loss_ratio(vf, x[u_idx, e_idx])
                    local, pair = _spread(inv.reshape(-1), len(u), u_idx)
                    cells = rows[local]
                    out[cells, e_idx[pair]] += weight * ratios[pair] * values[cells]
                    continue
                # sampled: only the (asset, event) cells at or above the first level, where
                # the loss ratio is not 0 (one draw per such cell)
                x = gm[u_inv[rows]]
                a_idx, e_idx = np.nonzero(x >= first)
                if not len(a_idx):
                    continue
                if rho > 0:
                    shared = np.random.default_rng(
                        [inp.master_seed, 1, li, fi, c]).standard_normal(n_ev)[e_idx]
                    eps = (shared if rho == 1.0 else np.sqrt(rho) * shared
                           + np.sqrt(1.0 - rho) * rng.standard_normal(len(a_idx)))
                else:
                    eps = rng.standard_normal(len(a_idx))
                ratios = sample_loss_ratios(vf, x[a_idx, e_idx], rng, epsilons=eps)
                cells = rows[a_idx]
                out[cells, e_idx] += weight * ratios * values[cells]
        minimum = inp.minimum_loss(lt)
        if minimum > 0:
            out[out < minimum] = 0.0
        return out


class _DamageBlocks(_EventRiskCalculator):
    damage = True

    def _block(self, lt, li, c, assets, a0, a1, u_inv, dense, imt_index, rng):
        inp = self.inputs
        model = inp.models[lt]
        n_ev = next(iter(dense.values())).shape[1]
        out = np.zeros((a1 - a0, n_ev, len(model.damage_states)))
        taxonomy = assets.taxonomy[a0:a1]
        number = assets.number[a0:a1]
        for tax in np.unique(taxonomy):
            rows = np.flatnonzero(taxonomy == tax)
            for fi, weight in model.by_taxonomy[str(tax)]:
                ff = model.functions[fi]
                gm = dense[imt_index[ff.imt]]
                if inp.discrete_damage_distribution:
                    # no damage at zero intensity: sample only the cells with a ground motion
                    x = gm[u_inv[rows]]
                    out[rows, :, 0] += weight * number[rows, None]
                    a_idx, e_idx = np.nonzero(x > 0)
                    if len(a_idx):
                        cells = rows[a_idx]
                        counts = scenario_damage(ff, x[a_idx, e_idx][:, None], number[cells],
                                                 rng, discrete=True)[:, 0]
                        out[cells, e_idx, 0] -= weight * number[cells]
                        out[cells, e_idx] += weight * counts
                else:
                    u, inv = np.unique(u_inv[rows], return_inverse=True)
                    probs = damage_state_probs(limit_state_poes(ff, gm[u]))
                    out[rows] += weight * probs[inv.reshape(-1)] * number[rows, None, None]
        return out


class ScenarioDamageCalculator(_DamageBlocks):
    """Scenario damage (``calculation_mode = scenario_damage``)."""

    mode = "scenario_damage"


class ScenarioRiskCalculator(_LossBlocks):
    """Scenario losses (``calculation_mode = scenario_risk``)."""

    mode = "scenario_risk"


class EventBasedRiskCalculator(_LossBlocks):
    """Event-based risk (``calculation_mode = event_based_risk``)."""

    mode = "event_based_risk"


class _ClassicalRiskBase(RiskCalculator):
    """Classical risk and damage from hazard curves."""

    def _curves(self, hazard: ClassicalResult, imt: str) -> tuple[np.ndarray, slice]:
        for key, sl in hazard.imt_slices().items():
            if str(key) == imt:
                return np.asarray(hazard.imtls[key], dtype=float), sl
        raise InputError(f"the hazard curves have no {imt}")

    def _common(self, hazard: ClassicalResult, assets: AssetArrays, site_id: np.ndarray,
                damage_states: list[str], avg: dict[str, np.ndarray]) -> RiskResult:
        inp = self.inputs
        tables = self._aggregates(assets)
        for table in tables:
            for lt, values in avg.items():
                table.values[lt] = _group_sum(table.asset_group, len(table.labels), values)
        return RiskResult(
            mode=self.mode, hazard=hazard, hazard_calculation_id=None, assets=assets,
            site_id=site_id, loss_types=list(inp.models), damage_states=damage_states,
            realizations=[(int(r[0]), str(r[1]), float(r[2])) for r in hazard.realizations],
            avg=avg, aggregates=tables, investigation_time=hazard.investigation_time,
            risk_investigation_time=float(inp.risk_investigation_time
                                          or hazard.investigation_time),
            modal_damage_state=inp.modal_damage_state)


class ClassicalRiskCalculator(_ClassicalRiskBase):
    """Classical risk (``calculation_mode = classical_risk``): loss curves and average
    losses per asset (:func:`toolkit.engine.risk.classical.classical_risk`)."""

    mode = "classical_risk"

    def _compute(self, hazard: ClassicalResult, assets: AssetArrays, site_id: np.ndarray
                 ) -> RiskResult:
        inp = self.inputs
        n_rlzs = len(hazard.realizations)
        avg: dict[str, np.ndarray] = {}
        curves: dict[str, LossCurveTable] = {}
        steps = max(1, int(inp.lrem_steps_per_interval))
        for lt, model in inp.models.items():
            avg[lt] = np.zeros((len(assets), n_rlzs))
            parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
            for tax in np.unique(assets.taxonomy):
                rows = np.flatnonzero(assets.taxonomy == tax)
                mapping = model.by_taxonomy[str(tax)]
                if len(mapping) > 1:
                    raise InputError(f"classical_risk: taxonomy {str(tax)!r} maps to several "
                                     f"vulnerability functions ({model.source}); a weighted "
                                     "taxonomy mapping is not supported in classical_risk")
                vf = model.functions[mapping[0][0]]
                levels, sl = self._curves(hazard, vf.imt)
                u, inv = np.unique(site_id[rows], return_inverse=True)
                curve = classical_risk(vf, levels, hazard.curves_rlzs[u][:, :, sl],
                                       hazard.investigation_time, steps=steps,
                                       risk_investigation_time=inp.risk_investigation_time)
                inv = inv.reshape(-1)
                avg[lt][rows] = curve.average_loss_ratio[inv] * assets.values[lt][rows, None]
                k = len(curve.loss_ratios)
                parts.append((np.repeat(rows, k), np.tile(curve.loss_ratios, len(rows)),
                              curve.poes[inv].transpose(0, 2, 1).reshape(len(rows) * k,
                                                                         n_rlzs)))
            asset = np.concatenate([p[0] for p in parts])
            order = np.argsort(asset, kind="stable")
            curves[lt] = LossCurveTable(asset[order],
                                        np.concatenate([p[1] for p in parts])[order],
                                        np.concatenate([p[2] for p in parts])[order])
        result = self._common(hazard, assets, site_id, [], avg)
        result.loss_curves = curves
        return result


class ClassicalDamageCalculator(_ClassicalRiskBase):
    """Classical damage (``calculation_mode = classical_damage``): damage state
    probabilities in the risk investigation time times the number of buildings
    (:func:`toolkit.engine.risk.classical.classical_damage`)."""

    mode = "classical_damage"

    def _compute(self, hazard: ClassicalResult, assets: AssetArrays, site_id: np.ndarray
                 ) -> RiskResult:
        inp = self.inputs
        n_rlzs = len(hazard.realizations)
        avg: dict[str, np.ndarray] = {}
        damage_states = next(iter(inp.models.values())).damage_states
        for lt, model in inp.models.items():
            avg[lt] = np.zeros((len(assets), n_rlzs, len(model.damage_states)))
            for tax in np.unique(assets.taxonomy):
                rows = np.flatnonzero(assets.taxonomy == tax)
                for fi, weight in model.by_taxonomy[str(tax)]:
                    ff = model.functions[fi]
                    levels, sl = self._curves(hazard, ff.imt)
                    u, inv = np.unique(site_id[rows], return_inverse=True)
                    probs = classical_damage(ff, levels, hazard.curves_rlzs[u][:, :, sl],
                                             hazard.investigation_time,
                                             inp.risk_investigation_time,
                                             inp.steps_per_interval)
                    avg[lt][rows] += (weight * probs[inv.reshape(-1)]
                                      * assets.number[rows, None, None])
        return self._common(hazard, assets, site_id, damage_states, avg)
