"""toolkit.store: where calculations and their results live.

* :mod:`~toolkit.store.catalogue` -- the SQLite catalogue of calculations (``db.sqlite3``):
  status, progress, logs; safe for several processes.
* :mod:`~toolkit.store.datastore` -- one HDF5 file per calculation (``calc_<id>.hdf5``), a thin
  dict-like facade written through a temporary file and published on commit.
* :mod:`~toolkit.store.hazard` -- :class:`HazardOutputs`, the classical hazard results, and their
  datastore layout (:func:`save_hazard`, :func:`load_hazard`).
* :mod:`~toolkit.store.risk` and :mod:`~toolkit.store.risk_exporters` -- risk outputs
  (:class:`RiskOutputs`, :func:`save_risk`, :func:`load_risk`) and their CSV exports
  (:func:`export_risk`).
* :mod:`~toolkit.store.exporters` -- CSV exports in OpenQuake's formats and file names, and
  :func:`read_oq_csv` to read them back.

This package is the only importer of ``h5py`` and ``sqlite3`` (apart from the 3Di readers).
"""

from __future__ import annotations

from toolkit.store.catalogue import STATUSES, CalcRecord, Catalogue, LogRecord
from toolkit.store.csvformat import read_oq_csv, write_oq_csv
from toolkit.store.datastore import (
    Datastore,
    DatastoreWriter,
    datastore_path,
    open_reader,
    open_writer,
    remove_datastore,
)
from toolkit.store.exporters import (
    ExportMeta,
    available_exports,
    export,
    export_all,
    exporters,
    input_checksum,
)
from toolkit.store.geohash import custom_site_ids
from toolkit.store.gmf import GmfOutputs, load_gmf, save_gmf
from toolkit.store.gmf_exporters import available_gmf_exports, export_gmf, gmf_exporters
from toolkit.store.hazard import HazardOutputs, Realization, load_hazard, quantile_name, save_hazard
from toolkit.store.risk import RiskOutputs, load_risk, save_risk
from toolkit.store.risk_exporters import available_risk_exports, export_risk, risk_exporters

__all__ = [
    "STATUSES",
    "CalcRecord",
    "Catalogue",
    "Datastore",
    "DatastoreWriter",
    "ExportMeta",
    "HazardOutputs",
    "LogRecord",
    "Realization",
    "available_exports",
    "datastore_path",
    "export",
    "export_all",
    "exporters",
    "input_checksum",
    "load_hazard",
    "open_reader",
    "open_writer",
    "quantile_name",
    "read_oq_csv",
    "remove_datastore",
    "save_hazard",
    "write_oq_csv",
    "GmfOutputs",
    "available_gmf_exports",
    "custom_site_ids",
    "export_gmf",
    "gmf_exporters",
    "load_gmf",
    "save_gmf",
    "RiskOutputs",
    "available_risk_exports",
    "export_risk",
    "load_risk",
    "risk_exporters",
    "save_risk",
]
