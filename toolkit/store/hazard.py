"""Classical hazard outputs: the in-memory bundle and its datastore layout.

A calculator builds a :class:`HazardOutputs` and calls :func:`save_hazard` on the writer it was
given; exporters and extractors call :func:`load_hazard` on a reader.

Datastore layout (names follow OpenQuake's datastore so extractors can map them)
--------------------------------------------------------------------------------
* ``/`` attributes: ``layout="classical-hazard"``, ``layout_version=1``, ``individual_rlzs``
  (bool: whether per-realization outputs are exported);
* ``sitecol``: group of (N,) datasets ``lon lat depth vs30 vs30measured z1pt0 z2pt5 sids``
  (z1pt0 in m, z2pt5 in km), and the subgroup ``extra`` of the other site parameters
  (``backarc``, ``siteclass`` ...: numbers, flags or text) when the sites have any;
* ``imtls``: JSON ``{imt: [levels]}``, IMTs in calculation order;
* ``investigation_time``: float64 scalar, years;
* ``realizations``: (R,) structured ``rlz_id u4, branch_path str, weight f8``;
* ``hcurves-rlzs``: float64 (N, R, L), probabilities of exceedance;
* ``hcurves-stats``: float64 (N, S, L), attribute ``stats = ["mean", "quantile-0.15", ...]``;
* ``poes``: float64 (P,), the PoEs of the hazard maps (may be empty);
* ``hmaps-rlzs``: float64 (N, R, M, P), IMLs at ``poes`` (only if maps were computed);
* ``hmaps-stats``: float64 (N, S', M, P), attribute ``stats``.

Levels: OpenQuake allows a different number of levels per IMT, so curves are **not** padded to
(N, R, M, L1): the last axis concatenates the levels of all IMTs in ``imtls`` order (L is the total
number of levels). ``hcurves-*`` carry the attributes ``imts`` and ``imt_offsets`` (M + 1
offsets, IMT ``m`` occupies ``offsets[m]:offsets[m+1]``), which :attr:`HazardOutputs.imt_slices`
derives from ``imtls`` as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from toolkit.engine.hazard.imt import from_string
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError, NotFound, StoreError
from toolkit.store.datastore import Datastore

__all__ = [
    "HazardOutputs",
    "Realization",
    "LAYOUT",
    "LAYOUT_VERSION",
    "quantile_name",
    "save_hazard",
    "load_hazard",
]

LAYOUT = "classical-hazard"
LAYOUT_VERSION = 1

_STAT = re.compile(r"^(mean|max|min|std|quantile-(0(\.\d+)?|1(\.0+)?))$")


class Realization(NamedTuple):
    """One logic-tree realization: id, branch path (``"A~B"``) and weight."""

    rlz_id: int
    branch_path: str
    weight: float


def quantile_name(q: float) -> str:
    """Statistic name of quantile ``q`` as OpenQuake writes it: ``quantile_name(0.15)`` is
    ``"quantile-0.15"``."""
    q = float(q)
    if not 0.0 <= q <= 1.0:
        raise InputError(f"quantile must be in [0, 1], got {q}")
    return f"quantile-{q}"


@dataclass
class HazardOutputs:
    """Hazard curves (and optionally maps) of a classical calculation.

    Attributes
    ----------
    sites : SiteCollection
        The N sites.
    imtls : dict
        ``{imt string: levels}``; keys are normalised (``"SA(0.10)"`` becomes ``"SA(0.1)"``).
    investigation_time : float
        Years.
    realizations : list of Realization
        The R realizations (``(rlz_id, branch_path, weight)`` tuples are accepted).
    curves_rlzs : ndarray, shape (N, R, L)
        Probabilities of exceedance; L is the total number of levels (see :attr:`imt_slices`).
    curves_stats : dict
        ``{stat: ndarray (N, L)}`` in export order, stats ``"mean"``, ``"quantile-0.15"`` ...
    poes : list of float
        PoEs of the hazard maps and UHS (empty: no maps).
    maps_rlzs : ndarray (N, R, M, P) or None
        IMLs at the ``poes`` per realization.
    maps_stats : dict
        ``{stat: ndarray (N, M, P)}``.
    individual_rlzs : bool
        Export per-realization outputs too (OpenQuake's ``individual_rlzs``).
    """

    sites: SiteCollection
    imtls: dict[str, np.ndarray]
    investigation_time: float
    realizations: list[Realization]
    curves_rlzs: np.ndarray
    curves_stats: dict[str, np.ndarray] = field(default_factory=dict)
    poes: list[float] = field(default_factory=list)
    maps_rlzs: np.ndarray | None = None
    maps_stats: dict[str, np.ndarray] = field(default_factory=dict)
    individual_rlzs: bool = False

    def __post_init__(self) -> None:
        if not self.imtls:
            raise InputError("hazard outputs: 'imtls' is empty; at least one IMT is needed")
        imtls: dict[str, np.ndarray] = {}
        for key, levels in self.imtls.items():
            name = str(from_string(key))
            arr = np.asarray(levels, dtype=float)
            if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
                raise InputError(
                    f"hazard outputs: levels of {key!r} must be a non-empty 1-D array of finite "
                    f"numbers, got {levels!r}"
                )
            if name in imtls:
                raise InputError(f"hazard outputs: IMT {key!r} given twice in 'imtls'")
            imtls[name] = arr
        self.imtls = imtls
        self.investigation_time = float(self.investigation_time)
        if not self.investigation_time > 0:
            raise InputError(
                f"hazard outputs: investigation_time must be positive, got "
                f"{self.investigation_time}"
            )
        self.realizations = [
            Realization(int(r[0]), str(r[1]), float(r[2])) for r in self.realizations
        ]
        n, r, m, total = len(self.sites), len(self.realizations), len(imtls), self.n_levels
        if r == 0:
            raise InputError("hazard outputs: there are no realizations")
        self.curves_rlzs = _array("curves_rlzs", self.curves_rlzs, (n, r, total))
        self.curves_stats = {
            _stat(k): _array(f"curves_stats[{k!r}]", v, (n, total))
            for k, v in self.curves_stats.items()
        }
        self.poes = [float(p) for p in self.poes]
        for p in self.poes:
            if not 0.0 < p < 1.0:
                raise InputError(f"hazard outputs: poes must be in (0, 1), got {p}")
        npoe = len(self.poes)
        if npoe == 0 and (self.maps_rlzs is not None or self.maps_stats):
            raise InputError("hazard outputs: hazard maps given without 'poes'")
        if self.maps_rlzs is not None:
            self.maps_rlzs = _array("maps_rlzs", self.maps_rlzs, (n, r, m, npoe))
        self.maps_stats = {
            _stat(k): _array(f"maps_stats[{k!r}]", v, (n, m, npoe))
            for k, v in self.maps_stats.items()
        }
        self.individual_rlzs = bool(self.individual_rlzs)

    # -- sizes and slicing ---------------------------------------------------------------
    @property
    def imts(self) -> list[str]:
        return list(self.imtls)

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    @property
    def n_rlzs(self) -> int:
        return len(self.realizations)

    @property
    def n_levels(self) -> int:
        """Total number of levels L over all IMTs."""
        return int(sum(len(v) for v in self.imtls.values()))

    @property
    def imt_offsets(self) -> np.ndarray:
        """M + 1 offsets into the level axis: IMT ``m`` is ``offsets[m]:offsets[m + 1]``."""
        return np.concatenate([[0], np.cumsum([len(v) for v in self.imtls.values()])]).astype(
            np.int64
        )

    @property
    def imt_slices(self) -> dict[str, slice]:
        """``{imt: slice}`` of each IMT's levels on the last axis of the curves."""
        off = self.imt_offsets
        return {imt: slice(int(off[i]), int(off[i + 1])) for i, imt in enumerate(self.imtls)}

    def _imt(self, imt: str) -> str:
        name = str(from_string(imt))
        if name not in self.imtls:
            raise NotFound(f"IMT {imt!r} is not in the hazard outputs; known: {self.imts}")
        return name

    def curves(self, imt: str, *, rlz: int | None = None, stat: str | None = None) -> np.ndarray:
        """Curves of one IMT, shape (N, L_imt), for realization index ``rlz`` or ``stat``."""
        sl = self.imt_slices[self._imt(imt)]
        if (rlz is None) == (stat is None):
            raise InputError("give exactly one of 'rlz' and 'stat'")
        if stat is not None:
            if stat not in self.curves_stats:
                raise NotFound(f"statistic {stat!r} not computed; known: {list(self.curves_stats)}")
            return self.curves_stats[stat][:, sl]
        assert rlz is not None
        if not 0 <= rlz < self.n_rlzs:
            raise NotFound(f"realization {rlz} not found; there are {self.n_rlzs}")
        return self.curves_rlzs[:, rlz, sl]

    def levels(self, imt: str) -> np.ndarray:
        """Intensity measure levels of ``imt``."""
        return self.imtls[self._imt(imt)]

    @property
    def weights(self) -> np.ndarray:
        return np.array([r.weight for r in self.realizations])


def _stat(name: str) -> str:
    if not isinstance(name, str) or not _STAT.match(name):
        raise InputError(
            f"hazard outputs: unknown statistic {name!r}; expected 'mean', 'max', 'min', 'std' "
            "or 'quantile-<q>' with q in [0, 1]"
        )
    return name


def _array(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise InputError(f"hazard outputs: {name} has shape {arr.shape}, expected {shape}")
    return arr


# -- datastore ------------------------------------------------------------------------------
def save_hazard(ds: Datastore, outputs: HazardOutputs) -> None:
    """Write ``outputs`` into the datastore ``ds`` with the layout of the module docstring."""
    o = outputs
    sites = o.sites
    ds["sitecol"] = {
        "lon": sites.lons,
        "lat": sites.lats,
        "depth": sites.depths,
        "vs30": sites.vs30,
        "vs30measured": sites.vs30measured,
        "z1pt0": sites.z1pt0,
        "z2pt5": sites.z2pt5,
        "sids": sites.sids,
        **({"extra": dict(sites.extra)} if sites.extra else {}),
    }
    ds.set_json("imtls", {imt: levels.tolist() for imt, levels in o.imtls.items()})
    ds["investigation_time"] = np.float64(o.investigation_time)
    width = max(1, *(len(r.branch_path) for r in o.realizations))
    rlzs = np.array(
        [tuple(r) for r in o.realizations],
        dtype=[("rlz_id", np.uint32), ("branch_path", f"U{width}"), ("weight", np.float64)],
    )
    ds["realizations"] = rlzs
    level_attrs = {"imts": o.imts, "imt_offsets": o.imt_offsets}
    ds["hcurves-rlzs"] = o.curves_rlzs
    ds.set_attrs("hcurves-rlzs", shape_descr=["site_id", "rlz_id", "lvl"], **level_attrs)
    if o.curves_stats:
        ds["hcurves-stats"] = np.stack(list(o.curves_stats.values()), axis=1)
        ds.set_attrs(
            "hcurves-stats", stats=list(o.curves_stats), shape_descr=["site_id", "stat", "lvl"],
            **level_attrs,
        )
    ds["poes"] = np.array(o.poes, dtype=np.float64)
    map_attrs = {"imts": o.imts, "poes": o.poes}
    if o.maps_rlzs is not None:
        ds["hmaps-rlzs"] = o.maps_rlzs
        ds.set_attrs(
            "hmaps-rlzs", shape_descr=["site_id", "rlz_id", "imt", "poe"], **map_attrs
        )
    if o.maps_stats:
        ds["hmaps-stats"] = np.stack(list(o.maps_stats.values()), axis=1)
        ds.set_attrs(
            "hmaps-stats", stats=list(o.maps_stats), shape_descr=["site_id", "stat", "imt", "poe"],
            **map_attrs,
        )
    ds.set_attrs(
        "/", layout=LAYOUT, layout_version=LAYOUT_VERSION, individual_rlzs=o.individual_rlzs
    )


def read_sitecol(ds: Datastore) -> SiteCollection:
    """The site collection stored under ``sitecol`` (by :func:`save_hazard` and others)."""
    sc = ds["sitecol"]
    return SiteCollection(
        sc["lon"], sc["lat"], sc["depth"], sc["vs30"], sc["vs30measured"], sc["z1pt0"], sc["z2pt5"],
        sc.get("extra", {}),
    )


def read_realizations(ds: Datastore) -> list[Realization]:
    """The realizations stored under ``realizations``."""
    rlzs = ds["realizations"]
    return [
        Realization(int(r), str(b), float(w))
        for r, b, w in zip(rlzs["rlz_id"], rlzs["branch_path"], rlzs["weight"], strict=True)
    ]


def load_hazard(ds: Datastore) -> HazardOutputs:
    """Read the :class:`HazardOutputs` saved by :func:`save_hazard`.

    Raises
    ------
    NotFound
        The datastore holds no hazard outputs (names the file and the missing key).
    StoreError
        The layout version is newer than this toolkit understands.
    """
    root = ds.get_attrs("/")
    if "hcurves-rlzs" not in ds:
        raise NotFound(
            f"datastore {ds.path}: no dataset or group 'hcurves-rlzs' (no hazard curves)"
        )
    version = root.get("layout_version", LAYOUT_VERSION)
    if version > LAYOUT_VERSION:
        raise StoreError(
            f"datastore {ds.path}: hazard layout version {version} is newer than the supported "
            f"{LAYOUT_VERSION}; upgrade toolkit"
        )
    sites = read_sitecol(ds)
    realizations = read_realizations(ds)
    curves_stats: dict[str, np.ndarray] = {}
    if "hcurves-stats" in ds:
        stats = ds.get_attrs("hcurves-stats")["stats"]
        arr = ds["hcurves-stats"]
        curves_stats = {s: arr[:, i] for i, s in enumerate(stats)}
    maps_stats: dict[str, np.ndarray] = {}
    if "hmaps-stats" in ds:
        stats = ds.get_attrs("hmaps-stats")["stats"]
        arr = ds["hmaps-stats"]
        maps_stats = {s: arr[:, i] for i, s in enumerate(stats)}
    return HazardOutputs(
        sites=sites,
        imtls=ds.get_json("imtls"),
        investigation_time=float(ds["investigation_time"]),
        realizations=realizations,
        curves_rlzs=ds["hcurves-rlzs"],
        curves_stats=curves_stats,
        poes=ds["poes"].tolist() if "poes" in ds else [],
        maps_rlzs=ds["hmaps-rlzs"] if "hmaps-rlzs" in ds else None,
        maps_stats=maps_stats,
        individual_rlzs=bool(root.get("individual_rlzs", False)),
    )
