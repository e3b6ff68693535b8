"""Ground-motion-field outputs of scenario and event-based calculations, and their datastore layout.

:class:`GmfOutputs` holds what a GMF calculation produces: the sites, the ruptures and the events
they generated, the ground motion values of every (event, site) pair that reached the minimum
intensity, and the inter-event standard deviations and epsilons drawn per event. Event-based
calculations with ``hazard_curves_from_gmfs`` also carry their hazard curves
(:class:`~toolkit.store.hazard.HazardOutputs`).

GMFs read from a file (OpenQuake's ``gmfs_csv`` / ``gmfs_file``) have no ruptures: an empty
``ruptures`` array marks them (:attr:`GmfOutputs.from_file`), which changes what OpenQuake
exports (see :mod:`toolkit.store.gmf_exporters`).

Datastore layout (version :data:`LAYOUT_VERSION`)
-------------------------------------------------
* ``/`` attributes: ``layout="gmf"``, ``gmf_layout_version=1``, ``mode``,
  ``ses_per_logic_tree_path``;
* ``sitecol``: group of (N,) datasets ``lon lat depth vs30 vs30measured z1pt0 z2pt5 sids``
  (as :func:`~toolkit.store.hazard.save_hazard` writes it);
* ``investigation_time``: float64 scalar, years (event-based only);
* ``realizations``: (R,) structured ``rlz_id u4, branch_path str, weight f8``;
* ``ruptures``: (U,) structured, :data:`RUPTURE_DT`;
* ``events``: (E,) structured, :data:`EVENT_DT`;
* ``gmf_data``: group with attribute ``imts`` (M IMT strings) and datasets ``eid`` (G,) u4,
  ``sid`` (G,) u4, ``gmv`` (G, M) float32, ``sig_inter`` (E, M) and ``eps_inter`` (E, M)
  float64 (rows in the order of ``events``);
* with curves, the datasets of :func:`~toolkit.store.hazard.save_hazard` (``imtls``,
  ``hcurves-rlzs``, ...) at the root, so that :func:`~toolkit.store.hazard.load_hazard` reads
  them from the same file; ``layout_version`` is then the hazard layout's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.engine.hazard.imt import from_string
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError, NotFound, StoreError
from toolkit.store.datastore import Datastore
from toolkit.store.hazard import (
    HazardOutputs,
    Realization,
    load_hazard,
    read_realizations,
    read_sitecol,
    save_hazard,
)

__all__ = [
    "EVENT_DT",
    "GMF_MODES",
    "LAYOUT",
    "LAYOUT_VERSION",
    "RUPTURE_DT",
    "GmfOutputs",
    "load_gmf",
    "save_gmf",
]

LAYOUT = "gmf"
LAYOUT_VERSION = 1
GMF_MODES = ("scenario", "event_based")

#: Ruptures: id, source, number of occurrences, magnitude, centroid, tectonic region type,
#: strike, dip, rake, and the seed of the GMF sampling.
RUPTURE_DT = np.dtype(
    [
        ("rup_id", np.uint32),
        ("source_id", "S100"),
        ("multiplicity", np.uint32),
        ("mag", np.float64),
        ("centroid_lon", np.float64),
        ("centroid_lat", np.float64),
        ("centroid_depth", np.float64),
        ("trt", "S100"),
        ("strike", np.float64),
        ("dip", np.float64),
        ("rake", np.float64),
        ("seed", np.int64),
    ]
)

#: Events: id, rupture, realization, year of occurrence, stochastic event set.
EVENT_DT = np.dtype(
    [
        ("event_id", np.uint32),
        ("rup_id", np.uint32),
        ("rlz_id", np.uint16),
        ("year", np.uint32),
        ("ses_id", np.uint32),
    ]
)


@dataclass
class GmfOutputs:
    """Ground motion fields of a scenario or event-based calculation.

    Attributes
    ----------
    mode : {"scenario", "event_based"}
    sites : SiteCollection
        All N sites of the job (the site mesh).
    imts : list of str
        The M IMTs, normalised (``"SA(0.10)"`` becomes ``"SA(0.1)"``).
    realizations : list of Realization
        ``(rlz_id, branch_path, weight)``.
    investigation_time : float or None
        Years; required for ``event_based``, None for scenarios.
    ses_per_logic_tree_path : int
        Stochastic event sets per realization (1 for scenarios).
    ruptures : ndarray
        (U,) structured array with the fields of :data:`RUPTURE_DT` (converted to it; ``str``
        fields are encoded as UTF-8). Empty for GMFs read from a file.
    events : ndarray
        (E,) structured array with the fields of :data:`EVENT_DT`; ``event_id`` unique.
    gmf_event_id, gmf_site_id : ndarray
        (G,) event id and site index of each stored (event, site) row.
    gmf_gmv : ndarray
        (G, M) float32 ground motion values (g; cm/s for PGV).
    sig_inter, eps_inter : ndarray
        (E, M) float64 inter-event standard deviation (NaN when the GSIM has only a total
        sigma) and epsilon of each event, rows in the order of ``events``.
    curves : HazardOutputs or None
        Hazard curves from the GMFs (event-based with ``hazard_curves_from_gmfs``); same
        sites, realizations and investigation time.

    Raises
    ------
    InputError
        An unknown mode or IMT, a missing structured field, or arrays whose lengths disagree
        (the message names the field and the expected shape).
    """

    mode: str
    sites: SiteCollection
    imts: list[str]
    realizations: list[Realization]
    investigation_time: float | None
    ses_per_logic_tree_path: int
    ruptures: np.ndarray
    events: np.ndarray
    gmf_event_id: np.ndarray
    gmf_site_id: np.ndarray
    gmf_gmv: np.ndarray
    sig_inter: np.ndarray
    eps_inter: np.ndarray
    curves: HazardOutputs | None = None

    def __post_init__(self) -> None:
        if self.mode not in GMF_MODES:
            raise InputError(f"gmf outputs: mode must be one of {GMF_MODES}, got {self.mode!r}")
        if not isinstance(self.sites, SiteCollection):
            raise InputError(
                f"gmf outputs: sites must be a SiteCollection, got {type(self.sites).__name__}"
            )
        self.imts = _imts(self.imts)
        self.realizations = [
            Realization(int(r[0]), str(r[1]), float(r[2])) for r in self.realizations
        ]
        if not self.realizations:
            raise InputError("gmf outputs: there are no realizations")
        rlz_ids = [r.rlz_id for r in self.realizations]
        if len(set(rlz_ids)) != len(rlz_ids):
            raise InputError(f"gmf outputs: realization ids are not unique: {rlz_ids}")
        self._check_time()
        n, m = len(self.sites), len(self.imts)
        self.ruptures = _structured("ruptures", self.ruptures, RUPTURE_DT)
        self.events = _structured("events", self.events, EVENT_DT)
        e = len(self.events)
        self.gmf_event_id = _vector("gmf_event_id", self.gmf_event_id, np.uint32)
        g = len(self.gmf_event_id)
        self.gmf_site_id = _vector("gmf_site_id", self.gmf_site_id, np.uint32, g, "gmf_event_id")
        self.gmf_gmv = _matrix("gmf_gmv", self.gmf_gmv, np.float32, (g, m),
                               "(rows of gmf_event_id, imts)")
        self.sig_inter = _matrix("sig_inter", self.sig_inter, np.float64, (e, m),
                                 "(events, imts)")
        self.eps_inter = _matrix("eps_inter", self.eps_inter, np.float64, (e, m),
                                 "(events, imts)")
        self._check_ids(n, rlz_ids)
        self._check_curves()

    # -- validation ----------------------------------------------------------------------
    def _check_time(self) -> None:
        t = self.investigation_time
        if t is not None:
            t = float(t)
            if not t > 0:
                raise InputError(f"gmf outputs: investigation_time must be positive, got {t}")
        elif self.mode == "event_based":
            raise InputError("gmf outputs: investigation_time is required for event_based")
        self.investigation_time = t
        ses = self.ses_per_logic_tree_path
        if isinstance(ses, bool) or int(ses) != ses or int(ses) < 1:
            raise InputError(
                f"gmf outputs: ses_per_logic_tree_path must be a positive integer, got {ses!r}"
            )
        self.ses_per_logic_tree_path = int(ses)

    def _check_ids(self, n_sites: int, rlz_ids: list[int]) -> None:
        eids = self.events["event_id"]
        if len(np.unique(eids)) != len(eids):
            raise InputError("gmf outputs: events['event_id'] has duplicate ids")
        unknown = ~np.isin(self.events["rlz_id"], rlz_ids)
        if unknown.any():
            raise InputError(
                f"gmf outputs: events['rlz_id'] has {int(self.events['rlz_id'][unknown][0])}, "
                f"not a realization id ({rlz_ids})"
            )
        if len(self.ruptures):
            rups = self.ruptures["rup_id"]
            if len(np.unique(rups)) != len(rups):
                raise InputError("gmf outputs: ruptures['rup_id'] has duplicate ids")
            unknown = ~np.isin(self.events["rup_id"], rups)
            if unknown.any():
                raise InputError(
                    f"gmf outputs: events['rup_id'] has {int(self.events['rup_id'][unknown][0])}"
                    ", which is not in ruptures['rup_id']"
                )
        if len(self.gmf_site_id) and int(self.gmf_site_id.max()) >= n_sites:
            raise InputError(
                f"gmf outputs: gmf_site_id has {int(self.gmf_site_id.max())}, but there are "
                f"only {n_sites} sites"
            )
        unknown = ~np.isin(self.gmf_event_id, eids)
        if unknown.any():
            raise InputError(
                f"gmf outputs: gmf_event_id has {int(self.gmf_event_id[unknown][0])}, which is "
                "not in events['event_id']"
            )

    def _check_curves(self) -> None:
        c = self.curves
        if c is None:
            return
        if not isinstance(c, HazardOutputs):
            raise InputError(
                f"gmf outputs: curves must be HazardOutputs or None, got {type(c).__name__}"
            )
        if self.mode != "event_based":
            raise InputError("gmf outputs: curves are only computed by event_based calculations")
        same_sites = len(c.sites) == len(self.sites) and np.array_equal(
            c.sites.lons, self.sites.lons
        ) and np.array_equal(c.sites.lats, self.sites.lats)
        if not same_sites:
            raise InputError("gmf outputs: curves.sites differ from the sites of the GMFs")
        if c.realizations != self.realizations:
            raise InputError(
                "gmf outputs: curves.realizations differ from the realizations of the GMFs"
            )
        if c.investigation_time != self.investigation_time:
            raise InputError(
                f"gmf outputs: curves.investigation_time {c.investigation_time} differs from "
                f"{self.investigation_time}"
            )

    # -- derived -------------------------------------------------------------------------
    @property
    def from_file(self) -> bool:
        """True for GMFs read from a file (no ruptures)."""
        return len(self.ruptures) == 0

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    @property
    def n_events(self) -> int:
        return len(self.events)

    @property
    def weights(self) -> np.ndarray:
        """(E,) weight of the realization of each event."""
        ids = np.array([r.rlz_id for r in self.realizations])
        w = np.array([r.weight for r in self.realizations])
        order = np.argsort(ids)
        return w[order][np.searchsorted(ids[order], self.events["rlz_id"])]


def _imts(imts: Any) -> list[str]:
    names = [str(from_string(str(i))) for i in imts]
    if not names:
        raise InputError("gmf outputs: 'imts' is empty; at least one IMT is needed")
    if len(set(names)) != len(names):
        raise InputError(f"gmf outputs: an IMT is given twice in 'imts': {list(imts)}")
    return names


def _structured(name: str, value: Any, dtype: np.dtype) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.names is None or arr.ndim != 1:
        raise InputError(
            f"gmf outputs: {name} must be a 1-D structured array with fields "
            f"{list(dtype.names)}, got dtype {arr.dtype} and shape {arr.shape}"
        )
    missing = [f for f in dtype.names if f not in arr.dtype.names]
    if missing:
        raise InputError(f"gmf outputs: {name} lacks the field(s) {missing}")
    out = np.empty(len(arr), dtype=dtype)
    for field in dtype.names:
        col = arr[field]
        target = dtype.fields[field][0]
        if target.kind == "S" and col.dtype.kind in "USO":
            if col.dtype.kind != "S":
                col = np.char.encode(col.astype(str), "utf-8")
            if col.size and int(np.char.str_len(col).max()) > target.itemsize:
                raise InputError(
                    f"gmf outputs: {name}[{field!r}] has values longer than "
                    f"{target.itemsize} bytes"
                )
        try:
            out[field] = col
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"gmf outputs: {name}[{field!r}] cannot be converted to {target}: {exc}"
            ) from exc
    return out


def _vector(
    name: str, value: Any, dtype: type, length: int | None = None, like: str = ""
) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise InputError(f"gmf outputs: {name} must be 1-D, got shape {arr.shape}")
    if length is not None and len(arr) != length:
        raise InputError(
            f"gmf outputs: {name} has {len(arr)} rows, expected {length} (as {like})"
        )
    if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0):
        raise InputError(f"gmf outputs: {name} must hold non-negative integers")
    return arr.astype(dtype)


def _matrix(name: str, value: Any, dtype: type, shape: tuple[int, int], what: str) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    if arr.shape != shape:
        raise InputError(f"gmf outputs: {name} has shape {arr.shape}, expected {shape} {what}")
    return arr


# -- datastore ------------------------------------------------------------------------------
def _sitecol(sites: SiteCollection) -> dict[str, np.ndarray]:
    extra = {"extra": dict(sites.extra)} if sites.extra else {}
    return {**sites.as_dict(), "sids": sites.sids, **extra}


def save_gmf(ds: Datastore, outputs: GmfOutputs) -> None:
    """Write ``outputs`` into the datastore ``ds`` with the layout of the module docstring."""
    o = outputs
    if o.curves is not None:
        save_hazard(ds, o.curves)
    ds["sitecol"] = _sitecol(o.sites)
    if o.investigation_time is not None:
        ds["investigation_time"] = np.float64(o.investigation_time)
    width = max(1, *(len(r.branch_path) for r in o.realizations))
    ds["realizations"] = np.array(
        [tuple(r) for r in o.realizations],
        dtype=[("rlz_id", np.uint32), ("branch_path", f"U{width}"), ("weight", np.float64)],
    )
    ds["ruptures"] = o.ruptures
    ds["events"] = o.events
    ds["gmf_data"] = {
        "eid": o.gmf_event_id,
        "sid": o.gmf_site_id,
        "gmv": o.gmf_gmv,
        "sig_inter": o.sig_inter,
        "eps_inter": o.eps_inter,
    }
    ds.set_attrs("gmf_data", imts=o.imts)
    ds.set_attrs(
        "/",
        layout=LAYOUT,
        gmf_layout_version=LAYOUT_VERSION,
        mode=o.mode,
        ses_per_logic_tree_path=o.ses_per_logic_tree_path,
    )


def load_gmf(ds: Datastore) -> GmfOutputs:
    """Read the :class:`GmfOutputs` saved by :func:`save_gmf`.

    Raises
    ------
    NotFound
        The datastore holds no GMFs (names the file and the missing key).
    StoreError
        The layout version is newer than this toolkit understands.
    """
    if "gmf_data" not in ds:
        raise NotFound(f"datastore {ds.path}: no dataset or group 'gmf_data' (no GMFs)")
    root = ds.get_attrs("/")
    version = root.get("gmf_layout_version", LAYOUT_VERSION)
    if version > LAYOUT_VERSION:
        raise StoreError(
            f"datastore {ds.path}: GMF layout version {version} is newer than the supported "
            f"{LAYOUT_VERSION}; upgrade toolkit"
        )
    sites = read_sitecol(ds)
    realizations = read_realizations(ds)
    gmf = ds["gmf_data"]
    curves = load_hazard(ds) if "hcurves-rlzs" in ds else None
    return GmfOutputs(
        mode=str(root["mode"]),
        sites=sites,
        imts=list(ds.get_attrs("gmf_data")["imts"]),
        realizations=realizations,
        investigation_time=(
            float(ds["investigation_time"]) if "investigation_time" in ds else None
        ),
        ses_per_logic_tree_path=int(root["ses_per_logic_tree_path"]),
        ruptures=ds["ruptures"],
        events=ds["events"],
        gmf_event_id=gmf["eid"],
        gmf_site_id=gmf["sid"],
        gmf_gmv=gmf["gmv"],
        sig_inter=gmf["sig_inter"],
        eps_inter=gmf["eps_inter"],
        curves=curves,
    )
