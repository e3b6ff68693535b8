"""The outputs of a calculation as the WebAPI lists and downloads them.

``GET /v1/calc/:id/results`` lists one output per exportable kind of the calculation, with
OpenQuake's output types (``hcurves``, ``gmf_data``, ``avg_losses-rlzs`` ...), sorted by type;
``GET /v1/calc/result/:output_id?export_type=csv`` exports one of them with the CSV exporters
of :mod:`toolkit.store` (one file as is, several zipped).

Output ids are stable integers: ``calc_id * 1000 + k``, where ``k`` is the fixed number of the
output type in :data:`OUTPUT_NUMBERS` (types not in that table get ``500 + crc32(type) % 499``).
So the id of an output never changes and can be computed without a database table; a
calculation id up to 9 * 10**15 keeps output ids within 64 bits.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import NotFound
from toolkit.store.datastore import Datastore

__all__ = ["OutputKind", "OUTPUT_NUMBERS", "output_kind", "output_id", "split_output_id",
           "available_outputs", "export_output", "zip_files", "EXPORT_TYPES"]

#: Output type -> (k, OpenQuake's display name). Never renumber: ids are derived from k.
OUTPUT_NUMBERS: dict[str, tuple[int, str]] = {
    "hcurves": (1, "Hazard Curves"),
    "hmaps": (2, "Hazard Maps"),
    "hmaps-stats": (3, "Hazard Maps Statistics"),
    "uhs": (4, "Uniform Hazard Spectra"),
    "realizations": (5, "Realizations"),
    "gmf_data": (11, "Ground Motion Fields"),
    "events": (12, "Events"),
    "ruptures": (13, "Earthquake Ruptures"),
    "avg_gmf": (14, "Average Ground Motion Field"),
    "event_based_mfd": (15, "Annual Frequency of Events"),
    "aggrisk": (21, "Aggregate Risk"),
    "aggrisk-stats": (22, "Aggregate Risk Statistics"),
    "avg_losses-rlzs": (23, "Average Asset Losses"),
    "avg_losses-stats": (24, "Average Asset Losses Statistics"),
    "avg_losses_by": (25, "Average Losses By"),
    "damages-rlzs": (26, "Asset Risk Distributions"),
    "damages-stats": (27, "Asset Risk Statistics"),
    "risk_by_event": (28, "Aggregated Risk By Event"),
    "aggcurves": (29, "Aggregate Risk Curves"),
    "aggcurves-stats": (30, "Aggregate Risk Curves Statistics"),
    "loss_curves-rlzs": (31, "Asset Loss Curves"),
    "loss_curves-stats": (32, "Asset Loss Curves Statistics"),
    "loss_maps-rlzs": (33, "Asset Loss Maps"),
    "loss_maps-stats": (34, "Asset Loss Maps Statistics"),
    "exposure": (35, "Exposure"),
    "site_model": (36, "Site Model"),
}
#: The export types offered (the toolkit exports CSV only).
EXPORT_TYPES = ("csv",)
_STRIDE = 1000


@dataclass(frozen=True)
class OutputKind:
    """One output type: its number ``k``, OpenQuake name and display name."""

    k: int
    name: str
    display: str
    outtypes: tuple[str, ...] = EXPORT_TYPES


def output_kind(name: str) -> OutputKind:
    """The :class:`OutputKind` of an output type (any name gets a stable number)."""
    if name in OUTPUT_NUMBERS:
        k, display = OUTPUT_NUMBERS[name]
    else:
        k = 500 + zlib.crc32(name.encode("utf-8")) % 499
        display = name.replace("_", " ").replace("-", " ").title()
    return OutputKind(k, name, display)


def output_id(calc_id: int, name: str) -> int:
    """The id of output ``name`` of calculation ``calc_id``."""
    return int(calc_id) * _STRIDE + output_kind(name).k


def split_output_id(oid: int) -> tuple[int, int]:
    """(calc_id, k) of an output id."""
    return divmod(int(oid), _STRIDE)


# -- which outputs a datastore holds -----------------------------------------------------------
def _mode(reader: Datastore) -> str:
    oq = reader.get_json("oqparam") if "oqparam" in reader else {}
    return str((oq or {}).get("calculation_mode", "classical"))


def _load(reader: Datastore) -> tuple[str, Any]:
    """("hazard" | "gmf" | "risk", outputs) of a datastore."""
    from toolkit.store.gmf import load_gmf
    from toolkit.store.hazard import load_hazard

    if "risk_meta" in reader:
        from toolkit.store.risk import load_risk

        return "risk", load_risk(reader)
    if "gmf_data" in reader:
        return "gmf", load_gmf(reader)
    if "hcurves-rlzs" in reader:
        return "hazard", load_hazard(reader)
    raise NotFound(f"datastore {reader.path}: the calculation ({_mode(reader)}) has no outputs")


def _registries(family: str, outputs: Any) -> list[tuple[Any, Any, list[str]]]:
    """[(registry, outputs, names)] of every output family in a datastore: a risk
    calculation also exports the hazard it computed (or read from a file) in the same job."""
    from toolkit.store.exporters import available_exports, exporters
    from toolkit.store.gmf import GmfOutputs
    from toolkit.store.gmf_exporters import available_gmf_exports, gmf_exporters

    if family == "hazard":
        return [(exporters, outputs, available_exports(outputs))]
    if family == "gmf":
        return [(gmf_exporters, outputs, available_gmf_exports(outputs))]
    from toolkit.store.risk_exporters import available_risk_exports, risk_exporters

    out = []
    if isinstance(outputs.hazard, GmfOutputs):
        out.append((gmf_exporters, outputs.hazard, available_gmf_exports(outputs.hazard)))
    elif outputs.hazard is not None:
        out.append((exporters, outputs.hazard, available_exports(outputs.hazard)))
    out.append((risk_exporters, outputs, available_risk_exports(outputs)))
    return out


def available_outputs(reader: Datastore) -> list[OutputKind]:
    """The outputs of the calculation in ``reader``, sorted by type (as OpenQuake lists them).

    Raises
    ------
    NotFound
        The datastore holds no exportable output.
    """
    family, outputs = _load(reader)
    names = {n for _, _, found in _registries(family, outputs) for n in found}
    return sorted((output_kind(n) for n in names), key=lambda kind: kind.name)


def export_output(reader: Datastore, calc_id: int, name: str, dest: Path) -> list[Path]:
    """Export output ``name`` of the calculation in ``reader`` as CSV files into ``dest``."""
    from toolkit.store.exporters import ExportMeta

    family, outputs = _load(reader)
    attrs = reader.get_attrs("/")
    meta = ExportMeta(checksum=int(attrs.get("checksum", 0)),
                      start_date=str(attrs.get("start_date", "")) or None).resolved()
    for registry, part, names in _registries(family, outputs):
        if name in names:
            return list(registry.get(name)(part, int(calc_id), dest, meta))
    raise NotFound(f"calculation {calc_id} has no output {name!r}")


def zip_files(paths: list[Path], target: Path) -> Path:
    """Zip ``paths`` (by base name) into ``target``."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, arcname=path.name)
    return target
