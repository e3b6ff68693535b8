"""Helpers of the PEER PSHA verification tests: expected curves, the comparison rule, running
the demo jobs, and an independent first-principles model of the PEER Set 1 cases.

The comparison rule (``/work/shared/verification/README.md``)
---------------------------------------------------------------
A computed probability ``c`` matches an expected probability ``e`` when

* ``|c - e| <= 0.05 e`` if ``e > 1e-5`` (5 % relative), or
* ``|c - e| <= 1e-5`` otherwise (absolute, for tiny probabilities).

For the sigma = 0 cases the curves are step functions of the IML: a tiny difference in a median
moves a step across an IML and gives a 100 % "error" there. For those cases a point also passes
when it matches, by the same rule, the expected value at the previous or the next IML: the step
may fall one IML away (:func:`curve_mismatches` with ``step=True``).

The first-principles model
--------------------------
:func:`fault_reference_rates` and :func:`area_reference_rates` compute annual exceedance rates
straight from the PEER definitions, sharing no geometry or source code with the engine: planar
rectangular ruptures in a local Cartesian frame (flat Earth around the site, km), the exact
distance from a point to a rectangle, floating ruptures as a fine midpoint quadrature of the
continuous uniform distribution of positions, point sources of an area source integrated in
polar coordinates around each site. They use the toolkit's Sadigh et al. (1997) GSIM (verified
against its own tables) and, through the engine's MFD classes, the rates of the PEER MFDs
(verified against nshmp-haz to 5e-7).
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import ndtr

REPO = Path(__file__).resolve().parents[2]
PEER_DEMOS = REPO / "toolkit" / "demos" / "peer"

#: every Set 1 case of the 2018 definitions (PEER has no case 9 in 2018)
SET1_CASES = (
    "Set1-Case1", "Set1-Case2", "Set1-Case3", "Set1-Case4", "Set1-Case5", "Set1-Case6",
    "Set1-Case7", "Set1-Case8a", "Set1-Case8b", "Set1-Case8c", "Set1-Case10", "Set1-Case11",
)
#: cases with sigma = 0 (peer2018_case_settings.csv, nshmp_exceedance_model NONE)
SIGMA_ZERO = frozenset(SET1_CASES[:7])
#: truncation level of the other cases (None = untruncated)
TRUNCATION = {"Set1-Case8a": None, "Set1-Case8b": 2.0, "Set1-Case8c": 3.0,
              "Set1-Case10": None, "Set1-Case11": None}

REL_TOL = 0.05
ABS_FLOOR = 1e-5

EARTH_RADIUS = 6371.0
KM_PER_DEGREE = EARTH_RADIUS * math.pi / 180.0


# ------------------------------------------------------------------------------ expected data
def read_expected(shared_dir: Path, case: str,
                  name: str = "expected_peer2018_via_nshmphaz.csv"
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Expected curves of one case: ``(site numbers, imls, poes[site, iml])``, or None if the
    file has no rows for the case."""
    path = shared_dir / "verification" / "psha" / name
    rows = [r for r in csv.DictReader(path.open()) if r["case"] == case]
    if not rows:
        return None
    sites = sorted({int(r["site"]) for r in rows})
    imls = sorted({float(r["iml_g"]) for r in rows})
    poes = np.full((len(sites), len(imls)), np.nan)
    for r in rows:
        poes[sites.index(int(r["site"])), imls.index(float(r["iml_g"]))] = float(r["poe_annual"])
    if np.isnan(poes).any():
        raise AssertionError(f"{path}: {case} does not give every (site, iml) pair")
    return np.array(sites), np.array(imls), poes


#: the SeismicHazard (G. Candia) benchmark curves; withheld from shared/ for now
SEISMICHAZARD = "expected_peer2018_via_seismichazard_candia.csv"


def read_expected_points(shared_dir: Path, case: str, imls: Sequence[float],
                         name: str = SEISMICHAZARD) -> np.ndarray | None:
    """Expected poes of one case on the given IMLs, shape (n_sites, n_imls), NaN where the
    file gives no value (SeismicHazard omits its NaNs); None when the file is absent or has
    no rows for the case. Sites are PEER site numbers 1..n in order."""
    path = shared_dir / "verification" / "psha" / name
    if not path.is_file():
        return None
    rows = [r for r in csv.DictReader(path.open()) if r["case"] == case]
    if not rows:
        return None
    n_sites = max(int(r["site"]) for r in rows)
    poes = np.full((n_sites, len(imls)), np.nan)
    for r in rows:
        j = int(np.argmin(np.abs(np.log(np.asarray(imls)) - math.log(float(r["iml_g"])))))
        if math.isclose(imls[j], float(r["iml_g"]), rel_tol=1e-6):
            poes[int(r["site"]) - 1, j] = float(r["poe_annual"])
    return poes


def read_sites(shared_dir: Path, group: str) -> np.ndarray:
    """PEER sites of a group (``"fault"`` or ``"area"``) as (n, 2) lon, lat, in PEER order."""
    path = shared_dir / "verification" / "psha" / "set1_sites.csv"
    rows = [r for r in csv.DictReader(path.open()) if r["site_group"] == group]
    rows.sort(key=lambda r: int(r["site"]))
    return np.array([[float(r["lon"]), float(r["lat"])] for r in rows])


def read_imls(shared_dir: Path) -> np.ndarray:
    import json

    path = shared_dir / "verification" / "psha" / "set1_definitions.json"
    return np.array(json.loads(path.read_text())["general"]["imls_g"], dtype=float)


def read_polygon(shared_dir: Path) -> np.ndarray:
    path = shared_dir / "verification" / "psha" / "set1_area1_polygon.csv"
    return np.array([[float(r["lon"]), float(r["lat"])] for r in csv.DictReader(path.open())])


# ------------------------------------------------------------------------------ comparison
def _matches(c: float, e: float, rel: float, floor: float) -> bool:
    if e > floor:
        return abs(c - e) <= rel * e
    return abs(c - e) <= floor


def curve_mismatches(computed: np.ndarray, expected: np.ndarray, imls: Sequence[float], *,
                     step: bool, rel: float = REL_TOL, floor: float = ABS_FLOOR,
                     labels: Sequence[str] | None = None) -> list[str]:
    """The points where ``computed`` does not match ``expected`` (see the module docstring).

    Parameters
    ----------
    computed, expected : ndarray, shape (n_sites, n_imls)
        Annual probabilities of exceedance.
    imls : sequence of float
        The levels (for the messages).
    step : bool
        Sigma = 0 case: a point also passes when it matches the expected value at the
        previous or next IML (the step may fall one IML away).
    labels : sequence of str, optional
        Site labels for the messages (default ``site 1``, ``site 2`` ...).

    Returns
    -------
    list of str
        One message per failing point, empty if the curves match.
    """
    computed = np.asarray(computed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if computed.shape != expected.shape:
        return [f"shape {computed.shape} != expected {expected.shape}"]
    labels = labels or [f"site {i + 1}" for i in range(len(computed))]
    out = []
    n = computed.shape[1]
    for i, (crow, erow) in enumerate(zip(computed, expected, strict=True)):
        for j in range(n):
            if np.isnan(erow[j]):  # no expected value at this point
                continue
            neighbours = range(max(j - 1, 0), min(j + 2, n)) if step else (j,)
            if not any(_matches(crow[j], erow[k], rel, floor) for k in neighbours):
                rel_err = (crow[j] - erow[j]) / erow[j] if erow[j] > 0 else math.inf
                out.append(f"{labels[i]}, PGA {imls[j]:g} g: computed {crow[j]:.6g}, expected "
                           f"{erow[j]:.6g} (rel. error {rel_err:+.2%})")
    return out


def max_relative_error(computed: np.ndarray, expected: np.ndarray,
                       floor: float = ABS_FLOOR) -> float:
    """Largest |c - e| / e over the points with e > floor (for the reports)."""
    mask = expected > floor
    if not mask.any():
        return 0.0
    return float(np.max(np.abs(computed[mask] - expected[mask]) / expected[mask]))


# ------------------------------------------------------------------------------ running
@dataclass
class CaseResult:
    """Computed curves of one demo case (in the order of the job's sites)."""

    case: str
    lonlat: np.ndarray  # (n, 2)
    imls: np.ndarray
    poes: np.ndarray  # (n, n_imls)
    seconds: float


def run_case(case: str, tmp_path: Path) -> CaseResult:
    """Run ``toolkit/demos/peer/<case>/job.ini`` and read the exported mean hazard curves."""
    from toolkit.config import Settings
    from toolkit.jobs.runner import run_job
    from toolkit.store.exporters import read_oq_csv

    job = PEER_DEMOS / case / "job.ini"
    out = tmp_path / "out"
    start = time.perf_counter()
    calc_id = run_job(job, Settings(data_dir=tmp_path / "data"), export_dir=out,
                      progress=False)
    seconds = time.perf_counter() - start
    _meta, table = read_oq_csv(out / f"hazard_curve-mean-PGA_{calc_id}.csv")
    columns = [c for c in table.columns if c.startswith("poe-")]
    imls = np.array([float(c[4:]) for c in columns])
    return CaseResult(case, table[["lon", "lat"]].to_numpy(float), imls,
                      table[columns].to_numpy(float), seconds)


# ------------------------------------------------------------------------------ GSIM
def sadigh_pga(mag: np.ndarray, rrup: np.ndarray, rake: float) -> tuple[np.ndarray, np.ndarray]:
    """ln(median PGA [g]) and sigma of Sadigh et al. (1997), rock (vs30 800 m/s)."""
    from toolkit.engine.hazard.contexts import Context
    from toolkit.engine.hazard.gsim.base import get_gsim
    from toolkit.engine.hazard.imt import PGA

    mag = np.asarray(mag, dtype=float)
    rrup = np.asarray(rrup, dtype=float)
    mag, rrup = np.broadcast_arrays(mag, rrup)
    shape = rrup.shape
    ctx = Context(mag=mag.ravel(), rake=np.full(rrup.size, float(rake)), rrup=rrup.ravel(),
                  vs30=np.full(rrup.size, 800.0), vs30measured=np.ones(rrup.size, bool))
    mean, sig, _, _ = get_gsim("SadighEtAl1997").get_mean_and_stddevs(ctx, [PGA()])
    return mean[0].reshape(shape), sig[0].reshape(shape)


def exceedance(ln_median: np.ndarray, sigma: np.ndarray, imls: np.ndarray,
               truncation: float | None, *, sigma_zero: bool) -> np.ndarray:
    """P(PGA > iml) with a lognormal ground motion, shape ``ln_median.shape + (n_imls,)``.

    sigma = 0: 1 where the median exceeds the level. Truncation at t sigma: the normal
    distribution is cut at +-t sigma and renormalised (PEER 2018 "truncate at n sigma and
    renormalise").
    """
    ln_x = np.log(np.asarray(imls, dtype=float))
    mu = ln_median[..., None]
    if sigma_zero:
        return (mu > ln_x).astype(float)
    eps = (ln_x - mu) / sigma[..., None]
    if truncation is None:
        return ndtr(-eps)
    top = ndtr(truncation)
    return np.clip((top - ndtr(eps)) / (2.0 * top - 1.0), 0.0, 1.0)


# ------------------------------------------------------------------------------ faults
@dataclass(frozen=True)
class PlanarFault:
    """A rectangular fault in a local frame: x east, y north, z down (km).

    ``origin`` is one end of the top edge, ``strike`` the unit vector along the top edge,
    ``down_dip`` the unit vector down the dip; the fault spans ``length`` x ``width``.
    """

    origin: np.ndarray
    strike: np.ndarray
    down_dip: np.ndarray
    length: float
    width: float
    rake: float

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.strike, self.down_dip)


#: latitude of the south end of the PEER faults, and their length along the meridian
FAULT_SOUTH = (-122.0, 38.0)
FAULT_LENGTH = (38.2248 - 38.0) * KM_PER_DEGREE  # 24.9966 km


def fault1() -> PlanarFault:
    """PEER Fault 1: vertical strike-slip, top at the surface, 12 km wide."""
    return PlanarFault(np.zeros(3), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]),
                       FAULT_LENGTH, 12.0, 0.0)


def fault2() -> PlanarFault:
    """PEER Fault 2: reverse, dip 60 to the west, top edge at 1 km on the trace, bottom 12 km."""
    dip = math.radians(60.0)
    return PlanarFault(np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0]),
                       np.array([-math.cos(dip), 0.0, math.sin(dip)]),
                       FAULT_LENGTH, 11.0 / math.sin(dip), 90.0)


def local_xy(lonlat: np.ndarray, origin: tuple[float, float] = FAULT_SOUTH) -> np.ndarray:
    """Sites in the local frame of the faults (x east along the site's parallel, y north)."""
    lon, lat = np.asarray(lonlat, dtype=float).T
    x = (lon - origin[0]) * KM_PER_DEGREE * np.cos(np.radians(lat))
    y = (lat - origin[1]) * KM_PER_DEGREE
    return np.column_stack([x, y, np.zeros_like(x)])


def rupture_dimensions(area: float, fault: PlanarFault, aspect: float = 2.0
                       ) -> tuple[float, float]:
    """PEER scaling: aspect ratio ``aspect`` until the width reaches the fault width, then
    longer (area conserved); a rupture longer than the fault is the whole fault."""
    width = min(math.sqrt(area / aspect), fault.width)
    length = min(area / width, fault.length)
    return length, width


def _lattice(span: float, size: float, spacing: float) -> tuple[np.ndarray, float]:
    """Start offsets and size of a rupture floating over ``span`` on a lattice of nodes.

    The fault is cut into ``round(span / spacing)`` equal cells and the rupture into the
    nearest whole number of them (at most all); it starts at every node from which it fits,
    ends included (floating ruptures on a fault mesh, PEER: "never extending beyond the fault
    edges").
    """
    cells = max(1, round(span / spacing))
    cell = span / cells
    size_cells = min(max(round(size / cell), 1), cells)
    return np.arange(cells - size_cells + 1) * cell, size_cells * cell


def rrup_rectangles(fault: PlanarFault, sites: np.ndarray, s0: np.ndarray, d0: np.ndarray,
                    length: float, width: float) -> np.ndarray:
    """Closest distance from each site to each rupture rectangle, shape (n_ruptures, n_sites).

    The rupture k spans ``[s0[k], s0[k] + length]`` along strike and ``[d0[k], d0[k] + width]``
    down dip; the distance to a rectangle is that to the closest point of the clipped plane
    coordinates.
    """
    rel = sites - fault.origin
    a = rel @ fault.strike
    b = rel @ fault.down_dip
    c = rel @ fault.normal
    ds = np.clip(a[None, :], s0[:, None], s0[:, None] + length) - a[None, :]
    dd = np.clip(b[None, :], d0[:, None], d0[:, None] + width) - b[None, :]
    return np.sqrt(ds**2 + dd**2 + c[None, :] ** 2)


def fault_reference_rates(fault: PlanarFault, sites: np.ndarray, mags: np.ndarray,
                          rates: np.ndarray, imls: np.ndarray, *, truncation: float | None,
                          sigma_zero: bool, spacing: float,
                          area_nodes: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Annual exceedance rates at ``sites`` (local frame) of floating ruptures on ``fault``.

    For each magnitude the rupture area is 10^(M - 4) km² (PEER), or, with ``area_nodes`` =
    (offsets, weights), 10^(M - 4 + offset) km² with the given weights (rupture-area
    variability). Ruptures float uniformly along strike and down dip on a lattice of nodes
    ``spacing`` km apart (:func:`_lattice`), each position with the same share of the rate.

    Returns
    -------
    ndarray, shape (n_sites, n_imls)
    """
    offsets, weights = area_nodes if area_nodes is not None else (np.zeros(1), np.ones(1))
    out = np.zeros((len(sites), len(imls)))
    for mag, rate in zip(mags, rates, strict=True):
        for e, w in zip(offsets, weights, strict=True):
            length, width = rupture_dimensions(10.0 ** (mag - 4.0 + e), fault)
            s_pos, length = _lattice(fault.length, length, spacing)
            d_pos, width = _lattice(fault.width, width, spacing)
            s0 = np.repeat(s_pos, len(d_pos))
            d0 = np.tile(d_pos, len(s_pos))
            rrup = rrup_rectangles(fault, sites, s0, d0, length, width)
            ln_med, sig = sadigh_pga(np.full(rrup.shape, mag), rrup, fault.rake)
            poe = exceedance(ln_med, sig, imls, truncation, sigma_zero=sigma_zero)
            out += rate * w * poe.mean(axis=0)
    return out


# ------------------------------------------------------------------------------ area source
def _site_projection(lonlat: np.ndarray, site: np.ndarray) -> np.ndarray:
    """Azimuthal equidistant projection about ``site``: exact distances from the site (km)."""
    lon1, lat1 = np.radians(site)
    lon2, lat2 = np.radians(lonlat).T
    dlon = lon2 - lon1
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    dist = 2 * EARTH_RADIUS * np.arcsin(np.sqrt(h))
    az = np.arctan2(np.sin(dlon) * np.cos(lat2),
                    np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon))
    return np.column_stack([dist * np.sin(az), dist * np.cos(az)])


def _polygon_area(xy: np.ndarray) -> float:
    x, y = xy.T
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _ray_interval(xy: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a convex polygon (vertices ``xy`` around the origin or not), the distances along
    rays from the origin at which each ray enters and leaves the polygon (0, 0 if it misses)."""
    p = xy
    q = np.roll(xy, -1, axis=0)
    e = q - p
    dx, dy = np.cos(angles)[:, None], np.sin(angles)[:, None]
    den = dx * e[None, :, 1] - dy * e[None, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (p[None, :, 0] * e[None, :, 1] - p[None, :, 1] * e[None, :, 0]) / den
        u = (p[None, :, 0] * dy - p[None, :, 1] * dx) / den
    hit = (np.abs(den) > 1e-12) & (u >= 0) & (u < 1) & (t >= 0)
    t_in = np.where(hit, t, np.inf).min(axis=1)
    t_out = np.where(hit, t, -np.inf).max(axis=1)
    inside = _inside_convex(xy)
    r_in = np.where(inside, 0.0, t_in)
    r_out = np.where(np.isfinite(t_out), t_out, 0.0)
    r_in = np.where(np.isfinite(r_in) & (r_out > r_in), r_in, 0.0)
    r_out = np.maximum(r_out, r_in)
    return r_in, r_out


def _inside_convex(xy: np.ndarray) -> bool:
    """Whether the origin is inside the convex polygon ``xy``."""
    p = xy
    q = np.roll(xy, -1, axis=0)
    cross = (q[:, 0] - p[:, 0]) * (-p[:, 1]) - (q[:, 1] - p[:, 1]) * (-p[:, 0])
    return bool(np.all(cross >= 0) or np.all(cross <= 0))


def area_reference_rates(polygon: np.ndarray, sites: np.ndarray, mags: np.ndarray,
                         rates: np.ndarray, imls: np.ndarray, depths: Sequence[float],
                         depth_weights: Sequence[float], *, truncation: float | None,
                         n_angles: int = 7200) -> np.ndarray:
    """Annual exceedance rates of an area source of point ruptures (strike-slip) with uniform
    seismicity density over a convex ``polygon`` (lon, lat), at hypocentral ``depths``.

    For a site, the rate is the double integral over the polygon, in polar coordinates
    (r, theta) around the site, of density x P(PGA > x | M, sqrt(r² + h²)):
    ``sum_theta dtheta [F(r_out(theta)) - F(r_in(theta))]`` with
    ``F(r) = int_0^r f(s) s ds``.

    Returns
    -------
    ndarray, shape (n_sites, n_imls)
    """
    centre = polygon.mean(axis=0)
    area = _polygon_area(_site_projection(polygon, centre))
    # radial grid, fine near the site
    r = np.unique(np.concatenate([np.arange(0.0, 30.0, 0.01), np.arange(30.0, 400.0, 0.1)]))
    angles = (np.arange(n_angles) + 0.5) * 2 * np.pi / n_angles
    out = np.zeros((len(sites), len(imls)))
    for h, wh in zip(depths, depth_weights, strict=True):
        dist = np.sqrt(r**2 + h**2)
        f = np.zeros((len(r), len(imls)))
        for mag, rate in zip(mags, rates, strict=True):
            ln_med, sig = sadigh_pga(np.full(r.shape, mag), dist, 0.0)
            f += rate * exceedance(ln_med, sig, imls, truncation, sigma_zero=False)
        integrand = f * r[:, None]
        cum = np.concatenate([np.zeros((1, len(imls))), np.cumsum(
            0.5 * (integrand[1:] + integrand[:-1]) * np.diff(r)[:, None], axis=0)])
        for i, site in enumerate(sites):
            xy = _site_projection(polygon, site)
            r_in, r_out = _ray_interval(xy, angles)
            total = np.zeros(len(imls))
            for k in range(len(imls)):
                total[k] = np.sum(np.interp(r_out, r, cum[:, k]) - np.interp(r_in, r, cum[:, k]))
            out[i] += wh * total * (2 * np.pi / n_angles) / area
    return out


#: cases whose MFD is that of another case in ``mfd_incremental_via_nshmphaz.csv``
MFD_OF = {"Set1-Case3": "Set1-Case2", "Set1-Case8a": "Set1-Case2", "Set1-Case8b": "Set1-Case2",
          "Set1-Case8c": "Set1-Case2"}


def nshmp_mfd(shared_dir: Path, case: str) -> tuple[np.ndarray, np.ndarray]:
    """Magnitudes and annual rates of a case's MFD as nshmp-haz built it (independent data)."""
    path = shared_dir / "verification" / "psha" / "mfd_incremental_via_nshmphaz.csv"
    name = MFD_OF.get(case, case)
    rows = [r for r in csv.DictReader(path.open()) if r["case"] == name]
    if not rows:
        raise AssertionError(f"{path} has no MFD for {name}")
    return (np.array([float(r["mag_bin_center"]) for r in rows]),
            np.array([float(r["annual_rate"]) for r in rows]))


def job_spacing(case: str) -> float:
    """The ``rupture_mesh_spacing`` of a demo job (km)."""
    from toolkit.io.jobini import read_job_ini

    return read_job_ini(PEER_DEMOS / case / "job.ini").rupture_mesh_spacing


#: case 3: log10 A offsets at -2, -1.8, ..., +2 sigma (sigma 0.25), weights proportional to the
#: normal density at the nodes (nshmp-haz's discretisation of the +-2 sigma truncated normal)
CASE3_Z = np.linspace(-2.0, 2.0, 21)
CASE3_AREA_NODES = (0.25 * CASE3_Z, np.exp(-0.5 * CASE3_Z**2) / np.exp(-0.5 * CASE3_Z**2).sum())

AREA_DEPTHS = {"Set1-Case10": ([5.0], [1.0]),
               "Set1-Case11": ([5.0, 6.0, 7.0, 8.0, 9.0, 10.0], [1.0 / 6.0] * 6)}


def reference_poes(shared_dir: Path, case: str) -> np.ndarray:
    """First-principles annual probabilities of exceedance of a Set 1 case, (n_sites, 18)."""
    imls = read_imls(shared_dir)
    mags, rates = nshmp_mfd(shared_dir, case)
    if case in AREA_DEPTHS:
        depths, weights = AREA_DEPTHS[case]
        rate = area_reference_rates(read_polygon(shared_dir), read_sites(shared_dir, "area"),
                                    mags, rates, imls, depths, weights, truncation=None)
    else:
        fault = fault2() if case == "Set1-Case4" else fault1()
        rate = fault_reference_rates(
            fault, local_xy(read_sites(shared_dir, "fault")), mags, rates, imls,
            truncation=TRUNCATION.get(case), sigma_zero=case in SIGMA_ZERO,
            spacing=job_spacing(case),
            area_nodes=CASE3_AREA_NODES if case == "Set1-Case3" else None)
    return to_poe(rate)


def to_poe(rates: np.ndarray) -> np.ndarray:
    """Annual probability of exceedance from an annual rate (Poisson)."""
    return -np.expm1(-np.asarray(rates))


def assert_no_mismatch(mismatches: list[str], what: str) -> None:
    """Fail listing the first 20 points out of tolerance (and how many more)."""
    if mismatches:
        import pytest

        shown = "\n  ".join(mismatches[:20])
        more = f"\n  ... and {len(mismatches) - 20} more" if len(mismatches) > 20 else ""
        pytest.fail(f"{what}: {len(mismatches)} point(s) out of tolerance:\n  {shown}{more}")

