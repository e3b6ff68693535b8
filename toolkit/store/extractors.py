"""Extract specs: named views of a datastore as dicts of numpy arrays, for the WebAPI's npz.

``GET /v1/calc/:id/extract/<what>?<query>`` answers :func:`to_npz` of :func:`extract`. The
payload is what OpenQuake's ``WebExtractor`` reads (``shared/reference/openquake/NOTES.md``
section 5): an npz loadable with ``numpy.load(allow_pickle=False)`` and numpy's default
``max_header_size`` (10000), i.e. plain dtypes (strings as fixed-width bytes or unicode, no
object arrays) and small headers; the key ``array`` becomes the wrapper's ``.array``, every other
key an attribute; ``extra = ['value']`` as OpenQuake adds it.

====================== =====================================================================
spec                   keys
====================== =====================================================================
``oqparam``            ``json``: bytes of a flat JSON object of job parameters (typed:
                       numbers, booleans, lists), plus ``hazard_imtls`` and ``inputs``
``sitecol``            ``array`` (sids u4, lon, lat, depth f8, backarc u1, vs30 f8,
                       vs30measured ?, z1pt0, z2pt5 f8)
``realizations``       ``array`` (rlz_id u4, branch_path S, weight f4)
``weights``            ``array`` f8
``hcurves``            one float32 (N, M, L) array per kind, ``kind``, ``k``, ``rlzs``
                       [, ``imt``]; query ``kind=mean|stats|rlzs|rlz-<n>|quantile-<q>|max``,
                       ``imt=<IMT>``
``hmaps``              the same with (N, M, P)
``uhs``                one (N,) structured array per kind, fields ``'%.6f' % poe`` each a
                       structure of PGA and SA float32
``gmf_data``           ``rlz-<nnn>``: (custom_site_id S8, lon, lat f8, <IMT> f4...) of one
                       event (query ``event_id``, default 0)
``events``             ``array`` (id u4, rup_id i8, rlz_id u2, year u4, ses_id u4)
``ruptures``           ``array``: the ``ruptures`` CSV text (bytes)
``num_events``         ``num_events`` int64
``avg_gmf``            ``custom_site_id`` U8, ``lon``, ``lat`` and one f4 array per IMT
                       (query ``imt`` selects one)
``event_based_mfd``    ``mag``, ``freq``
``agg_losses/<lt>``    ``array`` float32: the mean total loss (``stats = ['mean']``), or one
                       per realization (``kind=rlzs``); tag queries (``taxonomy=RC``) select
                       assets; ``selected`` (empty)
``agg_damages/<lt>``   ``array`` float32 (R, D): buildings per damage state, summed
``damages-rlzs``       ``rlz-<nnn>``: per asset ``id``, tags, ``taxonomy``, ``lon``, ``lat``
                       (f4) and ``<lt>-<damage state>`` (f4)
``avg_losses-rlzs``    ``rlz-<nnn>``: the same with the average loss per loss type
====================== =====================================================================

Deliberate differences from OpenQuake (listed in ``docs/server.md``): bare ``hcurves``,
``hmaps`` and ``uhs`` (no ``kind``) answer the statistics (the realizations when there are
none) instead of OpenQuake's nested ``all`` structure, whose header is too large for its own
client; curves of IMTs with different numbers of levels are padded with NaN to the longest;
``sitecol`` adds ``z1pt0`` and ``z2pt5``; ``ruptures`` is the toolkit's ruptures CSV.

The risk specs read :func:`toolkit.store.risk.load_risk`; ``avg_losses-rlzs`` has the record
layout of OpenQuake's ``damages-rlzs`` (not recorded for OpenQuake itself).
"""

from __future__ import annotations

import ast
import io
import json
import tempfile
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, NotFound, StoreError
from toolkit.registry import Registry
from toolkit.store.datastore import Datastore
from toolkit.store.geohash import custom_site_ids
from toolkit.store.hazard import HazardOutputs, load_hazard

__all__ = [
    "Extractor",
    "extractors",
    "extract",
    "to_npz",
    "oqparam_json",
    "parse_query",
    "MAX_HEADER_SIZE",
]

Query = Mapping[str, list[str]]
#: ``fn(reader, rest, query) -> {key: array}``; ``rest`` is what follows ``name/`` in the spec.
Extractor = Callable[[Datastore, str, Query], dict[str, np.ndarray]]

#: Extract specs by name (OpenQuake's names).
extractors: Registry[Extractor] = Registry("extract spec")

#: numpy's default limit on an npy header when loading without pickles.
MAX_HEADER_SIZE = 10_000
_EXTRA = np.array(["value"])


# -- dispatch and serialisation ----------------------------------------------------------------
def parse_query(query: str) -> dict[str, list[str]]:
    """``"kind=mean&imt=PGA"`` -> ``{"kind": ["mean"], "imt": ["PGA"]}``."""
    try:
        return urllib.parse.parse_qs(query or "", keep_blank_values=True, max_num_fields=100)
    except ValueError as exc:
        raise InputError(f"invalid query string {query!r}: {exc}") from None


def extract(reader: Datastore, what: str, query: str = "") -> dict[str, np.ndarray]:
    """The arrays of spec ``what`` (``"hcurves"``, ``"agg_losses/structural"``) with the
    query string ``query``.

    Raises
    ------
    UnknownName
        No extractor of that name (the message lists the known ones).
    NotFound
        The calculation has no such output.
    InputError
        A bad query parameter.
    """
    name, _, rest = what.partition("/")
    fn = extractors.get(name, where="extract")
    arrays = fn(reader, rest, parse_query(query))
    return {**arrays, "extra": _EXTRA}


def _header_size(arr: np.ndarray) -> int:
    header = np.lib.format.header_data_from_array_1_0(arr)
    return len(repr(header)) + 16  # magic, length and padding


def to_npz(arrays: Mapping[str, Any]) -> bytes:
    """``numpy.savez_compressed`` of ``arrays``, checked to load with ``allow_pickle=False``
    and the default header size.

    Raises
    ------
    StoreError
        An object array (a bug of an extractor).
    InputError
        A dtype whose header is too large for OpenQuake's client (too many fields asked).
    """
    out: dict[str, np.ndarray] = {}
    for key, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise StoreError(f"extract: {key!r} is an object array; it cannot be sent without "
                             "pickles")
        if _header_size(arr) > MAX_HEADER_SIZE:
            raise InputError(f"extract: the npy header of {key!r} exceeds {MAX_HEADER_SIZE} "
                             "bytes; ask for fewer kinds or IMTs")
        out[key] = arr
    buf = io.BytesIO()
    np.savez_compressed(buf, **out)
    return buf.getvalue()


# -- query helpers --------------------------------------------------------------------------
def _one(query: Query, name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    if not values:
        return default
    if len(values) > 1:
        raise InputError(f"query parameter {name!r} given {len(values)} times")
    return values[0]


def _int(query: Query, name: str, default: int) -> int:
    text = _one(query, name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"query parameter {name}={text!r}: expected an integer") from None
    if not 0 <= value < 2**32:
        raise InputError(f"query parameter {name}={value}: out of range")
    return value


def _no_rest(name: str, rest: str) -> None:
    if rest:
        raise NotFound(f"extract spec {name}/{rest}: {name!r} takes no sub-path")


# -- job parameters ---------------------------------------------------------------------------
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def _typed(text: Any) -> Any:
    """A job.ini text value as a JSON-able Python value (number, bool, list, dict or str)."""
    if not isinstance(text, str):
        return text
    value = text.strip()
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        return number if np.isfinite(number) else value
    if value[:1] in "[{(" and len(value) < 100_000:
        try:
            literal = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return value
        try:
            json.dumps(literal, allow_nan=False)
        except (TypeError, ValueError):
            return value
        return list(literal) if isinstance(literal, tuple) else literal
    parts = value.split()
    if len(parts) > 1:
        try:
            return [float(p) for p in parts]
        except ValueError:
            return value
    return value


def oqparam_json(raw: Mapping[str, Any], *, imtls: Mapping[str, Any] | None = None,
                 job_ini: str | None = None) -> dict[str, Any]:
    """The flat JSON object of job parameters that ``WebExtractor`` puts on its ``OqParam``.

    Parameters
    ----------
    raw : mapping
        The job.ini keys and their text values (``JobParams.raw``, or the datastore's
        ``oqparam``).
    imtls : mapping, optional
        IMT -> levels; added as ``hazard_imtls`` (what ``OqParam.imtls`` reads).
    job_ini : str, optional
        Path of the job file; added as ``inputs = {"job_ini": ...}`` and ``base_path``.
    """
    out = {str(key): _typed(value) for key, value in raw.items()}
    if imtls is not None:
        out["hazard_imtls"] = {str(k): [float(x) for x in v] for k, v in imtls.items()}
    if job_ini:
        out.setdefault("inputs", {"job_ini": job_ini})
        out.setdefault("base_path", str(Path(job_ini).parent))
    return out


@extractors.add("oqparam")
def extract_oqparam(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``json``: the job parameters (see :func:`oqparam_json`)."""
    _no_rest("oqparam", rest)
    if "oqparam" not in reader:
        raise NotFound(f"datastore {reader.path}: no 'oqparam'")
    raw = reader.get_json("oqparam") or {}
    imtls = reader.get_json("imtls") if "imtls" in reader else None
    job_ini = reader.get_attrs("/").get("job_ini")
    obj = oqparam_json(raw, imtls=imtls, job_ini=job_ini)
    return {"json": np.bytes_(json.dumps(obj).encode("utf-8"))}


# -- sites and realizations -------------------------------------------------------------------
_SITECOL_FIELDS = (
    ("sids", np.uint32), ("lon", np.float64), ("lat", np.float64), ("depth", np.float64),
    ("backarc", np.uint8), ("vs30", np.float64), ("vs30measured", np.bool_),
    ("z1pt0", np.float64), ("z2pt5", np.float64),
)


@extractors.add("sitecol")
def extract_sitecol(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``array``: one record per site."""
    _no_rest("sitecol", rest)
    if "sitecol" not in reader:
        raise NotFound(f"datastore {reader.path}: no 'sitecol'")
    sc = reader["sitecol"]
    n = len(sc["lon"])
    arr = np.zeros(n, dtype=list(_SITECOL_FIELDS))
    for name, _ in _SITECOL_FIELDS:
        if name == "sids":
            arr[name] = sc.get("sids", np.arange(n))
        elif name in sc:
            arr[name] = sc[name]
    return {"array": arr}


def _realizations(reader: Datastore) -> np.ndarray:
    if "realizations" not in reader:
        raise NotFound(f"datastore {reader.path}: no 'realizations'")
    return reader["realizations"]


@extractors.add("realizations")
def extract_realizations(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``array``: (rlz_id u4, branch_path S, weight f4)."""
    _no_rest("realizations", rest)
    rlzs = _realizations(reader)
    paths = [str(p).encode("utf-8") for p in rlzs["branch_path"]]
    width = max([1, *(len(p) for p in paths)])
    arr = np.zeros(len(rlzs), dtype=[("rlz_id", np.uint32), ("branch_path", f"S{width}"),
                                     ("weight", np.float32)])
    arr["rlz_id"] = rlzs["rlz_id"]
    arr["branch_path"] = paths
    arr["weight"] = rlzs["weight"]
    return {"array": arr}


@extractors.add("weights")
def extract_weights(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``array``: the realization weights, float64."""
    _no_rest("weights", rest)
    return {"array": np.asarray(_realizations(reader)["weight"], dtype=np.float64)}


# -- hazard curves, maps, spectra -------------------------------------------------------------
def _hazard(reader: Datastore) -> HazardOutputs:
    if "hcurves-rlzs" not in reader:
        raise NotFound(f"datastore {reader.path}: the calculation has no hazard curves")
    return load_hazard(reader)


def _kinds(o: HazardOutputs, kind: str | None, stats: list[str]
           ) -> tuple[list[tuple[str, str, int, bool]], bool]:
    """[(npz key, kind label, k, is_rlz)] for the ``kind`` query; and the ``rlzs`` flag."""
    n_rlzs = o.n_rlzs
    rlz_ids = [r.rlz_id for r in o.realizations]

    def rlz(i: int, label: str | None = None) -> tuple[str, str, int, bool]:
        key = f"rlz-{rlz_ids[i]:03d}"
        return key, label or key, i, True

    def stat(name: str) -> tuple[str, str, int, bool]:
        if name in stats:
            return name, name, stats.index(name), False
        if name == "mean" and n_rlzs == 1:  # one realization: its mean is itself
            return "mean", "mean", 0, True
        raise NotFound(f"statistic {name!r} was not computed; available: "
                       f"{stats or ['(none)']} and realizations rlz-0..rlz-{n_rlzs - 1}")

    if kind is None or kind == "":
        if stats:
            return [stat(s) for s in stats], False
        return ([stat("mean")], False) if n_rlzs == 1 else ([rlz(i) for i in range(n_rlzs)],
                                                              True)
    if kind == "stats":
        if stats:
            return [stat(s) for s in stats], False
        return [stat("mean")], False
    if kind == "rlzs":
        return [rlz(i) for i in range(n_rlzs)], True
    if kind.startswith("rlz-"):
        try:
            index = int(kind[4:])
        except ValueError:
            raise InputError(f"kind={kind!r}: expected rlz-<number>") from None
        if index not in rlz_ids:
            raise NotFound(f"kind={kind!r}: there are {n_rlzs} realizations")
        return [rlz(rlz_ids.index(index), kind)], True
    if kind in ("mean", "max", "min", "std") or kind.startswith("quantile-"):
        return [stat(kind)], False
    raise InputError(f"kind={kind!r}: expected mean, stats, rlzs, rlz-<n>, quantile-<q>, "
                     "max, min or std")


def _imt_index(o: HazardOutputs, imt: str | None) -> list[int]:
    if imt is None or imt == "":
        return list(range(len(o.imts)))
    from toolkit.engine.hazard.imt import from_string

    try:
        name = str(from_string(imt))
    except (InputError, ValueError, KeyError):
        raise InputError(f"imt={imt!r}: not an intensity measure type; the calculation has "
                         f"{o.imts}") from None
    if name not in o.imts:
        raise NotFound(f"imt={imt!r}: not computed; the calculation has {o.imts}")
    return [o.imts.index(name)]


def _labels(entries: list[tuple[str, str, int, bool]], rlzs: bool) -> dict[str, np.ndarray]:
    return {
        "kind": np.array([label for _, label, _, _ in entries]),
        "k": np.array([k for _, _, k, _ in entries], dtype=np.int64),
        "rlzs": np.bool_(rlzs),
    }


def _curves_nml(o: HazardOutputs, flat: np.ndarray, imts: list[int]) -> np.ndarray:
    """(N, L_total) curves -> (N, M, L) float32, NaN-padded to the longest IMT."""
    slices = list(o.imt_slices.values())
    width = max(slices[m].stop - slices[m].start for m in imts)
    out = np.full((flat.shape[0], len(imts), width), np.nan, dtype=np.float32)
    for j, m in enumerate(imts):
        sl = slices[m]
        out[:, j, : sl.stop - sl.start] = flat[:, sl]
    return out


@extractors.add("hcurves")
def extract_hcurves(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """One (N, M, L) float32 array of probabilities of exceedance per kind."""
    _no_rest("hcurves", rest)
    o = _hazard(reader)
    entries, rlzs = _kinds(o, _one(query, "kind"), list(o.curves_stats))
    imt = _one(query, "imt")
    imts = _imt_index(o, imt)
    out: dict[str, np.ndarray] = {}
    for key, _, k, is_rlz in entries:
        flat = o.curves_rlzs[:, k] if is_rlz else o.curves_stats[key]
        out[key] = _curves_nml(o, flat, imts)
    out.update(_labels(entries, rlzs))
    if imt:
        out["imt"] = np.array([o.imts[m] for m in imts])
    return out


def _maps(o: HazardOutputs) -> None:
    if not o.poes or (o.maps_rlzs is None and not o.maps_stats):
        raise NotFound("the calculation has no hazard maps (no poes in the job.ini)")


def _map_array(o: HazardOutputs, key: str, k: int, is_rlz: bool) -> np.ndarray:
    if is_rlz:
        if o.maps_rlzs is None:
            raise NotFound("the hazard maps of the realizations were not stored")
        return o.maps_rlzs[:, k]
    return o.maps_stats[key]


@extractors.add("hmaps")
def extract_hmaps(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """One (N, M, P) float32 array of intensity levels per kind."""
    _no_rest("hmaps", rest)
    o = _hazard(reader)
    _maps(o)
    entries, rlzs = _kinds(o, _one(query, "kind"), list(o.maps_stats))
    imt = _one(query, "imt")
    imts = _imt_index(o, imt)
    out: dict[str, np.ndarray] = {}
    for key, _, k, is_rlz in entries:
        out[key] = _map_array(o, key, k, is_rlz)[:, imts, :].astype(np.float32)
    out.update(_labels(entries, rlzs))
    if imt:
        out["imt"] = np.array([o.imts[m] for m in imts])
    return out


@extractors.add("uhs")
def extract_uhs(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """One (N,) structured array per kind: a field per PoE (``%.6f``), each a structure of the
    PGA and SA levels (float32)."""
    _no_rest("uhs", rest)
    o = _hazard(reader)
    _maps(o)
    idx = [i for i, imt in enumerate(o.imts) if imt == "PGA" or imt.startswith("SA(")]
    if not idx:
        raise NotFound("no uniform hazard spectra: the calculation has no PGA or SA")
    entries, rlzs = _kinds(o, _one(query, "kind"), list(o.maps_stats))
    poe_names = [f"{p:.6f}" for p in o.poes]
    dtype = np.dtype([(name, [(o.imts[m], np.float32) for m in idx]) for name in poe_names])
    out: dict[str, np.ndarray] = {}
    for key, _, k, is_rlz in entries:
        maps = _map_array(o, key, k, is_rlz)
        arr = np.zeros(o.n_sites, dtype=dtype)
        for p, name in enumerate(poe_names):
            for m in idx:
                arr[name][o.imts[m]] = maps[:, m, p]
        out[key] = arr
    out.update(_labels(entries, rlzs))
    return out


# -- ground motion fields ---------------------------------------------------------------------
def _gmf(reader: Datastore) -> Any:
    from toolkit.store.gmf import load_gmf

    if "gmf_data" not in reader:
        raise NotFound(f"datastore {reader.path}: the calculation has no ground motion fields")
    return load_gmf(reader)


@extractors.add("gmf_data")
def extract_gmf_data(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``rlz-<nnn>``: the ground motion values of one event (``event_id``, default 0) at the
    sites where it reached the minimum intensity."""
    _no_rest("gmf_data", rest)
    o = _gmf(reader)
    eid = _int(query, "event_id", 0)
    match = np.flatnonzero(o.events["event_id"] == eid)
    if match.size == 0:
        raise NotFound(f"event_id={eid}: no such event; there are {o.n_events} events")
    rlz = int(o.events["rlz_id"][match[0]])
    rows = np.flatnonzero(o.gmf_event_id == eid)
    sids = o.gmf_site_id[rows]
    dtype = [("custom_site_id", "S8"), ("lon", np.float64), ("lat", np.float64)]
    dtype += [(imt, np.float32) for imt in o.imts]
    arr = np.zeros(len(rows), dtype=dtype)
    lons, lats = o.sites.lons[sids], o.sites.lats[sids]
    arr["custom_site_id"] = np.char.encode(custom_site_ids(lons, lats).astype(str), "ascii")
    arr["lon"], arr["lat"] = lons, lats
    for m, imt in enumerate(o.imts):
        arr[imt] = o.gmf_gmv[rows, m]
    return {f"rlz-{rlz:03d}": arr}


@extractors.add("events")
def extract_events(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``array``: the events by id."""
    _no_rest("events", rest)
    if "events" not in reader:
        raise NotFound(f"datastore {reader.path}: the calculation has no events")
    ev = reader["events"]
    ev = ev[np.argsort(ev["event_id"], kind="stable")]
    arr = np.zeros(len(ev), dtype=[("id", np.uint32), ("rup_id", np.int64),
                                   ("rlz_id", np.uint16), ("year", np.uint32),
                                   ("ses_id", np.uint32)])
    arr["id"] = ev["event_id"]
    for name in ("rup_id", "rlz_id", "year", "ses_id"):
        arr[name] = ev[name]
    return {"array": arr}


@extractors.add("num_events")
def extract_num_events(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``num_events``: the number of events."""
    _no_rest("num_events", rest)
    if "events" not in reader:
        raise NotFound(f"datastore {reader.path}: the calculation has no events")
    return {"num_events": np.int64(len(reader["events"]))}


@extractors.add("ruptures")
def extract_ruptures(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``array``: the text of the ruptures CSV export (bytes)."""
    from toolkit.store.exporters import ExportMeta
    from toolkit.store.gmf_exporters import export_ruptures

    _no_rest("ruptures", rest)
    o = _gmf(reader)
    if o.from_file:
        raise NotFound("the ground motion fields were read from a file: there are no ruptures")
    attrs = reader.get_attrs("/")
    meta = ExportMeta(checksum=int(attrs.get("checksum", 0)),
                      start_date=str(attrs.get("start_date", "")) or None).resolved()
    with tempfile.TemporaryDirectory(prefix="toolkit-extract-") as tmp:
        path = export_ruptures(o, 0, Path(tmp), meta)
        text = path.read_bytes()
    return {"array": np.bytes_(text)}


@extractors.add("avg_gmf")
def extract_avg_gmf(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """The average ground motion per site (``custom_site_id``, ``lon``, ``lat``, one float32
    array per IMT; query ``imt`` keeps one)."""
    from toolkit.store.gmf_exporters import avg_gmf

    _no_rest("avg_gmf", rest)
    o = _gmf(reader)
    sids, values = avg_gmf(o)
    imt = _one(query, "imt")
    names = o.imts
    if imt:
        if imt not in names:
            raise NotFound(f"imt={imt!r}: not computed; the calculation has {names}")
        names = [imt]
    lons, lats = o.sites.lons[sids], o.sites.lats[sids]
    out = {"custom_site_id": custom_site_ids(lons, lats).astype("U8"),
           "lon": np.asarray(lons, dtype=np.float64), "lat": np.asarray(lats, dtype=np.float64)}
    for name in names:
        out[name] = values[:, o.imts.index(name)].astype(np.float32)
    return out


@extractors.add("event_based_mfd")
def extract_event_based_mfd(reader: Datastore, rest: str, query: Query
                            ) -> dict[str, np.ndarray]:
    """``mag``, ``freq``: annual frequency of events per magnitude (event based)."""
    from toolkit.store.gmf_exporters import event_based_mfd

    _no_rest("event_based_mfd", rest)
    o = _gmf(reader)
    if o.mode != "event_based" or o.from_file:
        raise NotFound("event_based_mfd exists only for event-based calculations")
    mags, freqs = event_based_mfd(o)
    return {"mag": np.asarray(mags, dtype=np.float64), "freq": np.asarray(freqs, np.float64)}



# -- risk -------------------------------------------------------------------------------------
def _risk(reader: Datastore) -> Any:
    from toolkit.store.risk import load_risk

    if "risk_meta" not in reader:
        raise NotFound(f"datastore {reader.path}: the calculation has no risk outputs")
    return load_risk(reader)


def _loss_type(o: Any, name: str, rest: str) -> str:
    if not rest:
        raise NotFound(f"extract spec {name}: give the loss type, {name}/<loss type> "
                       f"(the calculation has {o.loss_types})")
    if rest not in o.loss_types:
        raise NotFound(f"extract spec {name}/{rest}: unknown loss type; the calculation has "
                       f"{o.loss_types}")
    return rest


def _selected_assets(o: Any, query: Query) -> np.ndarray:
    """Boolean mask of the assets whose tags match the query (``taxonomy=RC&OCC=res``; the
    value ``*`` matches any)."""
    mask = np.ones(len(o.assets.asset_id), dtype=bool)
    for tag, values in query.items():
        if tag in ("kind",):
            continue
        if tag == "taxonomy":
            column = np.asarray(o.assets.taxonomy).astype(str)
        elif tag in o.assets.tags:
            column = np.asarray(o.assets.tags[tag]).astype(str)
        else:
            raise InputError(f"query parameter {tag!r}: not a tag of the exposure; tags: "
                             f"{['taxonomy', *o.assets.tag_names]}")
        if values != ["*"]:
            mask &= np.isin(column, values)
    return mask


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean over the realization axis (axis 0) with the realization weights."""
    w = weights / weights.sum()
    return np.tensordot(w, values, axes=(0, 0))


@extractors.add("agg_losses")
def extract_agg_losses(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``agg_losses/<loss type>``: the average loss summed over the assets (all, or those
    whose tags match the query), ``array`` float32 per statistic (``stats = ['mean']``) or
    per realization (``kind=rlzs``)."""
    o = _risk(reader)
    lt = _loss_type(o, "agg_losses", rest)
    if o.damage:
        raise NotFound(f"{o.mode} computes damage, not losses: use agg_damages/{lt}")
    totals = o.avg[lt][_selected_assets(o, query)].sum(axis=0)  # (R,)
    kind = _one(query, "kind", "mean")
    if kind == "rlzs":
        labels = [f"rlz-{r.rlz_id:03d}" for r in o.realizations]
        return {"array": totals.astype(np.float32), "stats": np.array(labels),
                "selected": np.zeros(0)}
    if kind != "mean":
        raise InputError(f"kind={kind!r}: expected mean or rlzs")
    mean = _weighted_mean(totals, o.weights)
    return {"array": np.array([mean], dtype=np.float32), "stats": np.array(["mean"]),
            "selected": np.zeros(0)}


@extractors.add("agg_damages")
def extract_agg_damages(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``agg_damages/<loss type>``: buildings per damage state summed over the assets (all,
    or those whose tags match the query), ``array`` float32 (R, D)."""
    o = _risk(reader)
    lt = _loss_type(o, "agg_damages", rest)
    if not o.damage:
        raise NotFound(f"{o.mode} computes losses, not damage: use agg_losses/{lt}")
    totals = o.avg[lt][_selected_assets(o, query)].sum(axis=0)  # (R, D)
    return {"array": totals.astype(np.float32), "stats": np.array(b""),
            "selected": np.zeros(0)}


def _asset_records(o: Any, columns: list[str]) -> np.ndarray:
    """(A,) records ``id, <tags>, taxonomy, lon, lat`` and float32 ``columns``."""
    a = o.assets
    tags = [t for t in a.tag_names if t != "taxonomy"]

    def width(values: Any) -> int:
        return max([1, *(len(str(v).encode("utf-8")) for v in values)])

    dtype = [("id", f"S{width(a.asset_id)}")]
    dtype += [(t, f"S{width(a.tags[t])}") for t in tags]
    dtype += [("taxonomy", f"S{width(a.taxonomy)}"), ("lon", np.float32), ("lat", np.float32)]
    dtype += [(c, np.float32) for c in columns]
    arr = np.zeros(len(a.asset_id), dtype=dtype)
    arr["id"] = [str(v).encode("utf-8") for v in a.asset_id]
    for t in tags:
        arr[t] = [str(v).encode("utf-8") for v in a.tags[t]]
    arr["taxonomy"] = [str(v).encode("utf-8") for v in a.taxonomy]
    arr["lon"], arr["lat"] = a.lon, a.lat
    return arr


def _per_rlz(o: Any, fill: Callable[[np.ndarray, int], None], columns: list[str]
             ) -> dict[str, np.ndarray]:
    out = {}
    for r, rlz in enumerate(o.realizations):
        arr = _asset_records(o, columns)
        fill(arr, r)
        out[f"rlz-{rlz.rlz_id:03d}"] = arr
    return out


@extractors.add("damages-rlzs")
def extract_damages_rlzs(reader: Datastore, rest: str, query: Query) -> dict[str, np.ndarray]:
    """``rlz-<nnn>``: per asset, its tags and the buildings in each damage state
    (``<loss type>-<damage state>`` float32)."""
    _no_rest("damages-rlzs", rest)
    o = _risk(reader)
    if not o.damage:
        raise NotFound(f"{o.mode} computes losses, not damage: use avg_losses-rlzs")
    columns = [f"{lt}-{ds}" for lt in o.loss_types for ds in o.damage_states]

    def fill(arr: np.ndarray, r: int) -> None:
        for lt in o.loss_types:
            for d, ds in enumerate(o.damage_states):
                arr[f"{lt}-{ds}"] = o.avg[lt][:, r, d]

    return _per_rlz(o, fill, columns)


@extractors.add("avg_losses-rlzs")
def extract_avg_losses_rlzs(reader: Datastore, rest: str, query: Query
                            ) -> dict[str, np.ndarray]:
    """``rlz-<nnn>``: per asset, its tags and its average loss per loss type (float32)."""
    _no_rest("avg_losses-rlzs", rest)
    o = _risk(reader)
    if o.damage:
        raise NotFound(f"{o.mode} computes damage, not losses: use damages-rlzs")

    def fill(arr: np.ndarray, r: int) -> None:
        for lt in o.loss_types:
            arr[lt] = o.avg[lt][:, r]

    return _per_rlz(o, fill, list(o.loss_types))
