"""CSV exporters of classical hazard outputs, in OpenQuake 3.26's formats and file names.

Each exporter is registered in :data:`exporters` under the OpenQuake output name and writes one
or more files into an export directory::

    paths = export("hcurves", reader, calc_id=3, export_dir="out", checksum=3617874260)
    paths = export_all(3, outputs, "out", {"checksum": 3617874260})

============== ======================================== ===========================================
output         files (``<id>`` = calculation id)        header
============== ======================================== ===========================================
hcurves        ``hazard_curve-<kind>-<IMT>_<id>.csv``,  ``lon,lat,depth,poe-0.1000000,...``
               ``quantile_curve-<q>-<IMT>_<id>.csv``    (levels ``%.7f``)
hmaps          ``hazard_map-<kind>_<id>.csv``,          ``lon,lat,PGA-0.02,PGA-0.1,SA(0.1)-0.02``
               ``quantile_map-<q>_<id>.csv``            (IMT-major, PoE as Python prints it)
hmaps-stats    ``hazard_map-mean-<T>y_<id>.csv``,       ``lon,lat,PGA,SA(0.1),...`` one file per
               ``quantile_map-<q>-<T>y_<id>.csv``       statistic and PoE; T = return period
uhs            ``hazard_uhs-<kind>_<id>.csv``,          ``lon,lat,0.020000~PGA,0.020000~SA(0.1)``
               ``quantile_uhs-<q>_<id>.csv``            (PoE-major, ``%.6f``; PGA and SA only)
realizations   ``realizations_<id>.csv``                ``rlz_id,branch_path,weight`` (``%.7e``)
============== ======================================== ===========================================

``<kind>`` is ``mean`` (or ``max``, ``min``, ``std``) or ``rlz-000``, ``rlz-001`` ...

Which kinds are written (as OpenQuake does, checked against its exports of calculations with 1
and 2 realizations): all statistics, plus one file per realization only when there is more than
one realization and ``individual_rlzs`` is set. A single realization is exported as ``mean``
(its mean is itself), even if the calculator stored no statistics; with several realizations
and no statistics at all, the realizations are exported. (The sample folder
``cli-exports/calc_3`` holds only ``hazard_curve-rlz-000-PGA``, but the WebAPI's zip of the same
output lists every realization and IMT: the folder is a subset.)

Unverified choices (no OpenQuake sample with several PoEs): hazard-map columns are IMT-major
(``PGA-0.1,PGA-0.02,SA(0.1)-0.1,...``) and UHS columns PoE-major; the return period in the
``hmaps-stats`` names is ``round(-investigation_time / ln(1 - poe))`` (4950 for 0.02 in 100 years,
as in the sample). ``start_date`` is UTC, ``generated_by`` says ``toolkit <version>``.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.engine.hazard.imt import from_string, level_label
from toolkit.errors import InputError, StoreError
from toolkit.registry import Registry
from toolkit.store.csvformat import read_oq_csv, write_oq_csv
from toolkit.store.datastore import Datastore
from toolkit.store.geohash import custom_site_ids
from toolkit.store.hazard import HazardOutputs, load_hazard

__all__ = [
    "ExportMeta",
    "exporters",
    "export",
    "export_all",
    "available_exports",
    "input_checksum",
    "read_oq_csv",
]

Exporter = Callable[[HazardOutputs, int, Path, "ExportMeta"], list[Path]]

#: Exporters by OpenQuake output name: ``fn(outputs, calc_id, export_dir, meta) -> [paths]``.
exporters: Registry[Exporter] = Registry("exporter")


@dataclass(frozen=True)
class ExportMeta:
    """What goes into the comment line of every exported file.

    Attributes
    ----------
    checksum : int
        A stable 32-bit checksum of the calculation inputs (see :func:`input_checksum`).
    start_date : str or datetime, optional
        Start of the calculation, UTC; default: now. Written as ``YYYY-MM-DDTHH:MM:SS``.
    generated_by : str, optional
        Default ``"toolkit <version>"``.
    """

    checksum: int = 0
    start_date: str | datetime | None = None
    generated_by: str | None = None

    def resolved(self) -> ExportMeta:
        """A copy with the defaults filled in (so that all files of one export agree)."""
        from toolkit import __version__

        start = self.start_date or datetime.now(UTC)
        if isinstance(start, datetime):
            if start.tzinfo is not None:
                start = start.astimezone(UTC).replace(tzinfo=None)
            start = start.isoformat(timespec="seconds")
        checksum = int(self.checksum)
        if not 0 <= checksum < 2**32:
            raise InputError(f"export checksum must be a 32-bit unsigned integer, got {checksum}")
        return ExportMeta(checksum, start, self.generated_by or f"toolkit {__version__}")

    def comment(self, **extra: Any) -> dict[str, Any]:
        return {
            "generated_by": self.generated_by,
            "start_date": self.start_date,
            "checksum": self.checksum,
            **extra,
        }


def _meta(meta: ExportMeta | Mapping[str, Any] | None) -> ExportMeta:
    if meta is None:
        return ExportMeta().resolved()
    if isinstance(meta, ExportMeta):
        return meta.resolved()
    allowed = {f.name for f in fields(ExportMeta)}
    unknown = sorted(set(meta) - allowed)
    if unknown:
        raise InputError(f"unknown export metadata {unknown}; allowed: {sorted(allowed)}")
    return ExportMeta(**meta).resolved()


def _outputs(source: HazardOutputs | Datastore) -> HazardOutputs:
    if isinstance(source, HazardOutputs):
        return source
    if isinstance(source, Datastore):
        return load_hazard(source)
    raise InputError(
        f"cannot export from a {type(source).__name__}: expected HazardOutputs or a Datastore"
    )


def _export_dir(export_dir: str | os.PathLike[str]) -> Path:
    path = Path(export_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create export directory {path}: {exc}") from exc
    return path


def export(
    name: str,
    source: HazardOutputs | Datastore,
    calc_id: int,
    export_dir: str | os.PathLike[str],
    **meta: Any,
) -> list[Path]:
    """Export the output ``name`` (``"hcurves"``, ``"hmaps"``, ``"hmaps-stats"``, ``"uhs"``,
    ``"realizations"``) of calculation ``calc_id`` into ``export_dir``.

    Parameters
    ----------
    source : HazardOutputs or Datastore
        The outputs, or a datastore reader holding them.
    **meta
        ``checksum``, ``start_date``, ``generated_by`` (see :class:`ExportMeta`).

    Returns
    -------
    list of Path
        The files written (empty if the calculation has nothing for this output).
    """
    exporter = exporters.get(name, where=f"export of calculation {calc_id}")
    return exporter(_outputs(source), int(calc_id), _export_dir(export_dir), _meta(meta))


def available_exports(outputs: HazardOutputs) -> list[str]:
    """Names of the outputs that :func:`export_all` writes for ``outputs``."""
    names = ["hcurves"]
    if _map_kinds(outputs):
        names.append("hmaps")
        if _map_kinds(outputs, stats_only=True):
            names.append("hmaps-stats")
        if _uhs_imts(outputs):
            names.append("uhs")
    names.append("realizations")
    return names


def export_all(
    calc_id: int,
    outputs: HazardOutputs | Datastore,
    export_dir: str | os.PathLike[str],
    meta: ExportMeta | Mapping[str, Any] | None = None,
) -> list[Path]:
    """Export every available output (see :func:`available_exports`); return the files."""
    o = _outputs(outputs)
    m = _meta(meta)
    out = _export_dir(export_dir)
    paths: list[Path] = []
    for name in available_exports(o):
        paths.extend(exporters.get(name)(o, int(calc_id), out, m))
    return paths


def input_checksum(paths: Iterable[str | os.PathLike[str]]) -> int:
    """A stable 32-bit checksum (CRC-32) of the contents of ``paths``, in the order given."""
    crc = 0
    for p in paths:
        try:
            with open(p, "rb") as f:
                while chunk := f.read(1 << 20):
                    crc = zlib.crc32(chunk, crc)
        except OSError as exc:
            raise StoreError(f"cannot read {p} for the checksum: {exc}") from exc
    return crc & 0xFFFFFFFF


# -- which kinds to write --------------------------------------------------------------------
def _rlz_kind(outputs: HazardOutputs, index: int) -> str:
    return f"rlz-{outputs.realizations[index].rlz_id:03d}"


def _curve_kinds(o: HazardOutputs) -> list[tuple[str, np.ndarray]]:
    """(kind, curves (N, L)) to export."""
    kinds = list(o.curves_stats.items())
    if o.n_rlzs == 1:
        return kinds or [("mean", o.curves_rlzs[:, 0])]
    if o.individual_rlzs or not kinds:
        kinds += [(_rlz_kind(o, i), o.curves_rlzs[:, i]) for i in range(o.n_rlzs)]
    return kinds


def _map_kinds(o: HazardOutputs, stats_only: bool = False) -> list[tuple[str, np.ndarray]]:
    """(kind, maps (N, M, P)) to export."""
    if not o.poes:
        return []
    kinds = list(o.maps_stats.items())
    if o.maps_rlzs is None:
        return kinds
    if o.n_rlzs == 1:
        return kinds or [("mean", o.maps_rlzs[:, 0])]
    if not stats_only and (o.individual_rlzs or not kinds):
        kinds += [(_rlz_kind(o, i), o.maps_rlzs[:, i]) for i in range(o.n_rlzs)]
    return kinds


def _uhs_imts(o: HazardOutputs) -> list[int]:
    """Indices of the IMTs of a uniform hazard spectrum (PGA and SA)."""
    return [i for i, imt in enumerate(o.imts) if imt == "PGA" or imt.startswith("SA(")]


def _prefix(kind: str, what: str) -> str:
    if kind.startswith("quantile-"):
        return f"quantile_{what}-{kind[len('quantile-'):]}"
    return f"hazard_{what}-{kind}"


def _site_columns(o: HazardOutputs, depth: bool) -> list[tuple[np.ndarray, str]]:
    cols = [(o.sites.lons, "%.5f"), (o.sites.lats, "%.5f")]
    if depth:
        cols.append((o.sites.depths, "%.5f"))
    return cols


def return_period(poe: float, investigation_time: float) -> int:
    """Return period in years of probability ``poe`` in ``investigation_time`` (Poisson):
    ``T = -t / ln(1 - poe)``, rounded to an integer."""
    return int(round(-investigation_time / math.log1p(-poe)))


# -- the exporters ---------------------------------------------------------------------------
@exporters.add("hcurves")
def export_hcurves(
    o: HazardOutputs,
    calc_id: int,
    export_dir: Path,
    meta: ExportMeta,
    *,
    custom_site_id: bool = False,
) -> list[Path]:
    """One file per kind and IMT: ``lon,lat,depth,poe-<level>...``, values ``%.6E``; the
    levels as :func:`~toolkit.engine.hazard.imt.level_label` writes them.

    With ``custom_site_id=True`` the first column is the site's geohash, ``custom_site_id``
    (as OpenQuake writes the curves of event-based calculations).
    """
    site_id = ["custom_site_id"] if custom_site_id else []
    id_cols = [(custom_site_ids(o.sites.lons, o.sites.lats), "%s")] if custom_site_id else []
    paths = []
    for kind, curves in _curve_kinds(o):
        for imt, sl in o.imt_slices.items():
            levels = [level_label(from_string(imt), x) for x in o.imtls[imt]]
            header = site_id + ["lon", "lat", "depth"] + [f"poe-{x}" for x in levels]
            comment = meta.comment(
                kind=kind, investigation_time=o.investigation_time, imt=imt
            )
            path = export_dir / f"{_prefix(kind, 'curve')}-{imt}_{calc_id}.csv"
            cols = id_cols + _site_columns(o, depth=True) + [(curves[:, sl], "%.6E")]
            paths.append(write_oq_csv(path, header, cols, comment))
    return paths


def _map_header(o: HazardOutputs) -> list[str]:
    return ["lon", "lat"] + [f"{imt}-{p}" for imt in o.imts for p in o.poes]


@exporters.add("hmaps")
def export_hmaps(o: HazardOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> list[Path]:
    """One file per kind: ``lon,lat,<IMT>-<poe>...`` (IMT-major), values ``%.6E``."""
    paths = []
    header = _map_header(o)
    for kind, maps in _map_kinds(o):
        comment = meta.comment(kind=kind, investigation_time=o.investigation_time)
        path = export_dir / f"{_prefix(kind, 'map')}_{calc_id}.csv"
        cols = _site_columns(o, depth=False) + [(maps.reshape(o.n_sites, -1), "%.6E")]
        paths.append(write_oq_csv(path, header, cols, comment))
    return paths


@exporters.add("hmaps-stats")
def export_hmaps_stats(
    o: HazardOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
) -> list[Path]:
    """One file per statistic and PoE, named by return period: ``lon,lat,<IMT>...``."""
    paths = []
    header = ["lon", "lat", *o.imts]
    for kind, maps in _map_kinds(o, stats_only=True):
        for p, poe in enumerate(o.poes):
            period = return_period(poe, o.investigation_time)
            path = export_dir / f"{_prefix(kind, 'map')}-{period}y_{calc_id}.csv"
            cols = _site_columns(o, depth=False) + [(maps[:, :, p], "%.6E")]
            paths.append(write_oq_csv(path, header, cols, meta.comment()))
    return paths


@exporters.add("uhs")
def export_uhs(o: HazardOutputs, calc_id: int, export_dir: Path, meta: ExportMeta) -> list[Path]:
    """One file per kind: ``lon,lat,<poe %.6f>~<IMT>...`` (PoE-major; PGA and SA only)."""
    idx = _uhs_imts(o)
    if not idx:
        return []
    imts = [o.imts[i] for i in idx]
    header = ["lon", "lat"] + [f"{p:.6f}~{imt}" for p in o.poes for imt in imts]
    paths = []
    for kind, maps in _map_kinds(o):
        spectra = np.transpose(maps[:, idx, :], (0, 2, 1)).reshape(o.n_sites, -1)
        comment = meta.comment(kind=kind, investigation_time=o.investigation_time)
        path = export_dir / f"{_prefix(kind, 'uhs')}_{calc_id}.csv"
        cols = _site_columns(o, depth=False) + [(spectra, "%.6E")]
        paths.append(write_oq_csv(path, header, cols, comment))
    return paths


@exporters.add("realizations")
def export_realizations(
    o: HazardOutputs, calc_id: int, export_dir: Path, meta: ExportMeta
) -> list[Path]:
    """``rlz_id,branch_path,weight`` with weights ``%.7e``."""
    rlzs = o.realizations
    cols = [
        (np.array([r.rlz_id for r in rlzs]), "%d"),
        (np.array([r.branch_path for r in rlzs], dtype=object), "%s"),
        (np.array([r.weight for r in rlzs]), "%.7e"),
    ]
    path = export_dir / f"realizations_{calc_id}.csv"
    return [write_oq_csv(path, ["rlz_id", "branch_path", "weight"], cols, meta.comment())]
