"""Risk outputs (damage and losses) and their datastore layout.

:class:`RiskOutputs` holds what a risk calculation produces (see
:class:`toolkit.engine.risk.calculators.RiskResult`) plus its hazard part as the store knows
it: :class:`~toolkit.store.gmf.GmfOutputs` (scenario and event based) or
:class:`~toolkit.store.hazard.HazardOutputs` (classical), or nothing when the hazard came from
a previous calculation (``hazard_calculation_id``), whose datastore keeps it.

Datastore layout (version :data:`LAYOUT_VERSION`)
-------------------------------------------------
* the hazard part with its own layout (:func:`~toolkit.store.gmf.save_gmf` or
  :func:`~toolkit.store.hazard.save_hazard`), so that :func:`~toolkit.store.gmf.load_gmf`
  and :func:`~toolkit.store.hazard.load_hazard` read a risk datastore too (a risk calculation
  can be the ``hazard_calculation_id`` of another one);
* ``/`` attributes: ``risk_layout_version``, ``risk_mode``, ``hazard_calculation_id``
  (0 = none);
* ``risk_meta``: JSON with the mode, loss types, damage states, realizations, tag names,
  taxonomies, aggregation tags, times and flags;
* ``risk_assets``: group of (A,) datasets ``asset_id taxonomy lon lat number ordinal
  site_id``, ``values/<loss_type>``, ``tags/<tag>`` (assets in export order);
* ``risk``: group with ``avg/<loss_type>`` ((A, R) losses or (A, R, D) buildings per damage
  state), ``events`` (E,) ``event_id rlz_id rup_id year``, ``event_totals/<loss_type>``
  ((E,) or (E, D)), ``return_periods`` (P,), ``agg/<k>/labels`` (G, n_tags) with
  ``asset_group`` (A,), ``values/<loss_type>``, ``exposed/<loss_type>`` (G,) and
  ``curves/<loss_type>`` (G, R, P) for the k-th aggregation (k = 0 is the total), and
  ``loss_curves/<loss_type>/{asset, loss_ratio, poes}`` (classical risk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.risk.calculators import (
    EVENT_TABLE_DTYPE,
    RISK_MODES,
    AggregateTable,
    AssetArrays,
    LossCurveTable,
)
from toolkit.errors import InputError, NotFound, StoreError
from toolkit.store.datastore import Datastore
from toolkit.store.gmf import GmfOutputs, load_gmf, save_gmf
from toolkit.store.hazard import HazardOutputs, Realization, load_hazard, save_hazard

__all__ = ["LAYOUT_VERSION", "RiskOutputs", "save_risk", "load_risk"]

LAYOUT_VERSION = 1


@dataclass
class RiskOutputs:
    """Damage or losses of a risk calculation, with its hazard part.

    Attributes
    ----------
    mode : str
        One of ``scenario_damage``, ``scenario_risk``, ``event_based_risk``,
        ``classical_risk``, ``classical_damage``.
    assets : AssetArrays
        The assets kept, in export order (by site).
    site_id : ndarray of int (A,)
    loss_types : list of str
    damage_states : list of str
        Damage modes: ``no_damage`` and the limit states.
    realizations : list of Realization
    avg : dict of str -> ndarray
        (A, R) average losses or (A, R, D) average buildings per damage state.
    aggregates : list of AggregateTable
        Total first, then one per ``aggregate_by`` entry.
    events : ndarray or None
        (E,) ``event_id rlz_id rup_id year`` (scenario and event based).
    event_totals : dict of str -> ndarray
        (E,) or (E, D).
    return_periods : ndarray (P,)
    loss_curves : dict of str -> LossCurveTable
    investigation_time, risk_investigation_time, effective_time : float or None
    ses_per_logic_tree_path : int
    modal_damage_state : bool
    quantiles : list of float
    sites_from_csv : bool
    hazard : GmfOutputs, HazardOutputs or None
    hazard_calculation_id : int or None
    individual_rlzs : bool
        Export every realization, not only the statistics, when there are several.
    """

    mode: str
    assets: AssetArrays
    site_id: np.ndarray
    loss_types: list[str]
    damage_states: list[str]
    realizations: list[Realization]
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
    hazard: GmfOutputs | HazardOutputs | None = None
    hazard_calculation_id: int | None = None
    individual_rlzs: bool = False

    def __post_init__(self) -> None:
        if self.mode not in RISK_MODES:
            raise InputError(f"risk outputs: mode must be one of {RISK_MODES}, got "
                             f"{self.mode!r}")
        self.realizations = [Realization(int(r[0]), str(r[1]), float(r[2]))
                             for r in self.realizations]
        if not self.realizations:
            raise InputError("risk outputs: there are no realizations")
        n, r = len(self.assets), len(self.realizations)
        self.site_id = np.asarray(self.site_id, dtype=np.int64)
        if self.site_id.shape != (n,):
            raise InputError(f"risk outputs: site_id has shape {self.site_id.shape}, expected "
                             f"({n},)")
        d = len(self.damage_states)
        for lt in self.loss_types:
            if lt not in self.avg:
                raise InputError(f"risk outputs: no average results for loss type {lt!r}")
            want = (n, r, d) if self.damage else (n, r)
            self.avg[lt] = np.asarray(self.avg[lt], dtype=float)
            if self.avg[lt].shape != want:
                raise InputError(f"risk outputs: avg[{lt!r}] has shape {self.avg[lt].shape}, "
                                 f"expected {want}")
        if not self.aggregates or self.aggregates[0].tags != ():
            raise InputError("risk outputs: the first aggregate table must be the total")
        if self.events is not None:
            self.events = np.asarray(self.events)
            for lt, totals in self.event_totals.items():
                if len(totals) != len(self.events):
                    raise InputError(f"risk outputs: event_totals[{lt!r}] has {len(totals)} "
                                     f"rows for {len(self.events)} events")
        if self.hazard is not None and not isinstance(self.hazard, GmfOutputs | HazardOutputs):
            raise InputError(f"risk outputs: hazard must be GmfOutputs, HazardOutputs or None, "
                             f"got {type(self.hazard).__name__}")

    @property
    def damage(self) -> bool:
        """Whether the outputs are damage distributions (not losses)."""
        return self.mode in ("scenario_damage", "classical_damage")

    @property
    def weights(self) -> np.ndarray:
        return np.array([r.weight for r in self.realizations], dtype=float)

    @property
    def n_rlzs(self) -> int:
        return len(self.realizations)

    @property
    def sites(self) -> SiteCollection | None:
        """The hazard sites (None when the hazard came from a previous calculation)."""
        return None if self.hazard is None else self.hazard.sites


# --------------------------------------------------------------------------- datastore
def _assets_group(o: RiskOutputs) -> dict[str, Any]:
    a = o.assets
    return {
        "asset_id": a.asset_id.astype(str), "taxonomy": a.taxonomy.astype(str),
        "lon": a.lon, "lat": a.lat, "number": a.number,
        "ordinal": np.asarray(a.ordinal, dtype=np.int64), "site_id": o.site_id,
        "values": {lt: v for lt, v in a.values.items()},
        "tags": {name: a.tags[name].astype(str) for name in a.tag_names},
    }


def _agg_group(t: AggregateTable) -> dict[str, Any]:
    return {
        "labels": np.asarray(t.labels).astype(str).reshape(len(t.labels), len(t.tags)),
        "asset_group": np.asarray(t.asset_group, dtype=np.int64),
        "values": dict(t.values), "exposed": dict(t.exposed), "curves": dict(t.curves),
    }


def save_risk(ds: Datastore, outputs: RiskOutputs) -> None:
    """Write ``outputs`` into the datastore ``ds`` (layout in the module docstring)."""
    o = outputs
    if isinstance(o.hazard, GmfOutputs):
        save_gmf(ds, o.hazard)
    elif isinstance(o.hazard, HazardOutputs):
        save_hazard(ds, o.hazard)
    ds["risk_assets"] = _assets_group(o)
    group: dict[str, Any] = {
        "avg": dict(o.avg),
        "return_periods": np.asarray(o.return_periods, dtype=float),
        "agg": {str(k): _agg_group(t) for k, t in enumerate(o.aggregates)},
        "event_totals": dict(o.event_totals),
        "loss_curves": {lt: {"asset": c.asset, "loss_ratio": c.loss_ratio, "poes": c.poes}
                        for lt, c in o.loss_curves.items()},
    }
    if o.events is not None:
        group["events"] = np.asarray(o.events).astype(EVENT_TABLE_DTYPE)
    ds["risk"] = group
    ds.set_json("risk_meta", {
        "layout_version": LAYOUT_VERSION,
        "mode": o.mode,
        "loss_types": o.loss_types,
        "damage_states": o.damage_states,
        "realizations": [list(r) for r in o.realizations],
        "tag_names": o.assets.tag_names,
        "taxonomies": o.assets.taxonomies,
        "aggregate_by": [list(t.tags) for t in o.aggregates],
        "investigation_time": o.investigation_time,
        "risk_investigation_time": o.risk_investigation_time,
        "effective_time": o.effective_time,
        "ses_per_logic_tree_path": o.ses_per_logic_tree_path,
        "modal_damage_state": o.modal_damage_state,
        "quantiles": o.quantiles,
        "sites_from_csv": o.sites_from_csv,
        "hazard_calculation_id": o.hazard_calculation_id,
        "individual_rlzs": o.individual_rlzs,
    })
    ds.set_attrs("/", risk_layout_version=LAYOUT_VERSION, risk_mode=o.mode,
                 hazard_calculation_id=int(o.hazard_calculation_id or 0))


def load_risk(ds: Datastore) -> RiskOutputs:
    """Read the :class:`RiskOutputs` saved by :func:`save_risk`.

    Raises
    ------
    NotFound
        The datastore holds no risk outputs.
    StoreError
        The layout version is newer than this toolkit understands.
    """
    if "risk_meta" not in ds or "risk" not in ds:
        raise NotFound(f"datastore {ds.path}: no risk outputs ('risk_meta' and 'risk')")
    meta = ds.get_json("risk_meta")
    if int(meta.get("layout_version", LAYOUT_VERSION)) > LAYOUT_VERSION:
        raise StoreError(f"datastore {ds.path}: risk layout version {meta['layout_version']} "
                         f"is newer than the supported {LAYOUT_VERSION}; upgrade toolkit")
    a = ds["risk_assets"]
    tag_names = list(meta["tag_names"])
    assets = AssetArrays(
        asset_id=a["asset_id"], lon=a["lon"], lat=a["lat"], taxonomy=a["taxonomy"],
        number=a["number"], values=dict(a.get("values", {})),
        tags={name: a["tags"][name] for name in tag_names}, tag_names=tag_names,
        taxonomies=list(meta["taxonomies"]), ordinal=a["ordinal"])
    r = ds["risk"]
    aggregates = []
    for k, tags in enumerate(meta["aggregate_by"]):
        g = r["agg"][str(k)]
        aggregates.append(AggregateTable(
            tags=tuple(tags), labels=(np.asarray(g["labels"]).reshape(-1, len(tags)) if tags
                                      else np.zeros((1, 0), dtype=str)),
            asset_group=g["asset_group"], values=dict(g.get("values", {})),
            exposed=dict(g.get("exposed", {})), curves=dict(g.get("curves", {}))))
    loss_curves = {lt: LossCurveTable(c["asset"], c["loss_ratio"], c["poes"])
                   for lt, c in r.get("loss_curves", {}).items()}
    hazard: GmfOutputs | HazardOutputs | None = None
    if "gmf_data" in ds:
        hazard = load_gmf(ds)
    elif "hcurves-rlzs" in ds:
        hazard = load_hazard(ds)
    return RiskOutputs(
        mode=meta["mode"], assets=assets, site_id=a["site_id"],
        loss_types=list(meta["loss_types"]), damage_states=list(meta["damage_states"]),
        realizations=[tuple(x) for x in meta["realizations"]],
        avg={lt: r["avg"][lt] for lt in meta["loss_types"]}, aggregates=aggregates,
        events=r.get("events"), event_totals=dict(r.get("event_totals", {})),
        return_periods=r["return_periods"], loss_curves=loss_curves,
        investigation_time=meta["investigation_time"],
        risk_investigation_time=meta["risk_investigation_time"],
        effective_time=meta["effective_time"],
        ses_per_logic_tree_path=int(meta["ses_per_logic_tree_path"]),
        modal_damage_state=bool(meta["modal_damage_state"]),
        quantiles=list(meta["quantiles"]), sites_from_csv=bool(meta["sites_from_csv"]),
        hazard=hazard, hazard_calculation_id=meta["hazard_calculation_id"],
        individual_rlzs=bool(meta["individual_rlzs"]))
