"""The OpenQuake CSV dialect: writing and reading export files.

What OpenQuake 3.26 writes (measured, see ``shared/reference/openquake/NOTES.md``):

* CRLF line endings (also on Linux), including after the last row;
* line 1 a metadata comment padded with commas so that it has as many fields as the header,
  the last field being the quoted ``key=value`` list::

      #,,,,"generated_by='toolkit 0.1.0', start_date='2026-11-22T15:17:58', checksum=361787, ..."

* then the header row and one row per site; coordinates ``%.5f``, hazard values ``%.6E``.

:func:`read_oq_csv` reads these files and OpenQuake's own (its QA ``expected`` files have LF
line endings), returning the metadata as a dict and the table as a pandas DataFrame.
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit.errors import InputError, NotFound, StoreError

if TYPE_CHECKING:  # pandas (0.5 s) is imported only when a CSV is read
    import pandas as pd

__all__ = ["CRLF", "format_comment", "parse_comment", "read_oq_csv", "write_oq_csv"]

CRLF = "\r\n"
#: Rows formatted per ``%`` operation when writing (bounds the memory of the row strings).
_CHUNK_ROWS = 20_000
_META_ITEM = re.compile(r"\s*(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^,]*)\s*(?:,|$)")
_STRING_COLUMNS = ("custom_site_id", "branch_path", "source_id", "imt", "loss_type", "asset_id")


def format_comment(meta: Mapping[str, Any]) -> str:
    """The ``key=value`` text of the comment line: strings quoted, numbers as Python writes them.

    >>> format_comment({"kind": "mean", "investigation_time": 1.0, "checksum": 42})
    "kind='mean', investigation_time=1.0, checksum=42"
    """
    parts = []
    for key, value in meta.items():
        if isinstance(value, np.generic):
            value = value.item()
        parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_oq_csv(
    path: str | os.PathLike[str],
    header: Sequence[str],
    columns: Sequence[tuple[np.ndarray | Sequence[Any], str]],
    comment: Mapping[str, Any] | None,
) -> Path:
    """Write one CSV file in OpenQuake's dialect.

    Parameters
    ----------
    path : path-like
        Output file (overwritten).
    header : sequence of str
        Column names.
    columns : sequence of (values, format)
        One entry per column (or per block of columns): a 1-D array of N values, or a 2-D array
        (N, k) of k columns, with a ``%``-format (``"%.5f"``, ``"%.6E"``, ``"%d"``, ``"%s"``).
        String values are quoted as CSV requires.
    comment : mapping or None
        Metadata for the comment line (see :func:`format_comment`); None writes no comment line.

    Notes
    -----
    Rows are formatted with one ``%`` operation per block of rows (no Python loop per site).
    """
    path = Path(path)
    blocks: list[np.ndarray] = []
    fmts: list[str] = []
    n_rows: int | None = None
    for values, fmt in columns:
        arr = np.asarray(values)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise InputError(f"{path.name}: column values must be 1-D or 2-D, got {arr.shape}")
        if n_rows is None:
            n_rows = arr.shape[0]
        elif arr.shape[0] != n_rows:
            raise InputError(f"{path.name}: columns have {arr.shape[0]} and {n_rows} rows")
        if fmt == "%s":
            arr = np.vectorize(_csv_field, otypes=[object])(arr.astype(str))
        elif arr.dtype.kind == "f":
            arr = arr + 0.0  # turn -0.0 into 0.0, as "-0.00000" is not what anyone wants
        blocks.append(arr.astype(object))
        fmts.extend([fmt] * arr.shape[1])
    if len(fmts) != len(header):
        raise InputError(f"{path.name}: {len(header)} header names for {len(fmts)} columns")
    lines = []
    if comment is not None:
        pad = "#" + "," * max(len(header) - 1, 1)
        lines.append(pad + _csv_field_always(format_comment(comment)))
    lines.append(",".join(_csv_field(h) for h in header))
    text = CRLF.join(lines) + CRLF
    row_fmt = ",".join(fmts)
    table = np.concatenate(blocks, axis=1) if blocks else np.empty((0, 0), dtype=object)
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            for start in range(0, n_rows or 0, _CHUNK_ROWS):
                chunk = table[start : start + _CHUNK_ROWS]
                fmt = CRLF.join([row_fmt] * len(chunk)) + CRLF
                f.write(fmt % tuple(chunk.ravel().tolist()))
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc}") from exc
    return path


def _csv_field_always(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _parse_value(text: str) -> Any:
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_comment(text: str) -> dict[str, Any]:
    """Parse ``generated_by='...', checksum=123, investigation_time=1.0`` into a dict."""
    meta: dict[str, Any] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _META_ITEM.match(text, pos)
        if not match or match.end() == pos:
            break
        meta[match.group(1)] = _parse_value(match.group(2))
        pos = match.end()
    return meta


def read_oq_csv(path: str | os.PathLike[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Read an OpenQuake-style CSV export (ours or OpenQuake's; CRLF or LF line endings).

    Returns
    -------
    meta : dict
        The ``key=value`` items of the ``#`` comment line (empty if there is none), with
        strings unquoted and numbers converted.
    table : pandas.DataFrame
        The rows, with the header names as columns. ``custom_site_id``, ``branch_path`` and a
        few other identifier columns are kept as strings.

    Raises
    ------
    NotFound
        The file does not exist.
    InputError
        The file has no header row.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"CSV file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    if lines and lines[0].startswith("#"):
        fields = next(csv.reader([lines[0]]))
        comment = next((f for f in reversed(fields) if f and f != "#"), "")
        meta = parse_comment(comment)
        lines = lines[1:]
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: no header row after the comment line")
    header = next(csv.reader([lines[0]]))
    dtypes = {name: str for name in header if name in _STRING_COLUMNS}
    import pandas as pd

    table = pd.read_csv(io.StringIO("\n".join(lines)), dtype=dtypes or None)
    return meta, table
