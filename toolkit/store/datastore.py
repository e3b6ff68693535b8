"""The datastore: one HDF5 file per calculation, behind a thin dict-like facade.

A :class:`Datastore` wraps one HDF5 file (``<data_dir>/calc_<id>.hdf5``) the way h5py wraps
files, but hands out plain numpy arrays and raises :mod:`toolkit.errors` exceptions that name
the file and the key::

    with open_writer(data_dir, 7) as ds:        # writes calc_7.hdf5.tmp
        ds["poes"] = np.array([0.1, 0.02])
        ds.set_json("oqparam", params)
        ds.set_attrs("poes", unit="1")
    # leaving the block without an exception renamed the file to calc_7.hdf5

    with open_reader(data_dir, 7) as ds:
        ds["poes"], ds.get_json("oqparam"), ds.get_attrs("poes")

Values
------
``ds[key] = value`` creates the dataset ``key`` (replacing an existing one). ``value`` may be a
numpy array or anything :func:`numpy.asarray` accepts, a ``str`` (a UTF-8 string dataset), or a
mapping, which becomes a group with one dataset per item (``ds["sitecol"] = {"lon": ...}``).
Unicode and structured arrays with unicode fields are stored as variable-length UTF-8 strings.
Arrays of at least :data:`COMPRESS_MIN_BYTES` bytes are gzip-compressed (level 4, with shuffle).
``ds[key]`` returns a numpy array (0-d for scalars; strings come back as ``str`` dtype), or a
dict of arrays for a group. Keys may be paths (``"sitecol/lon"``).

Single writer, many readers: the commit protocol
------------------------------------------------
HDF5's SWMR mode needs every dataset to exist before readers attach, which does not fit a
calculation that creates its outputs as it goes. We use a simpler protocol instead:

* a writer (:func:`open_writer`) writes ``calc_<id>.hdf5.tmp``; :meth:`DatastoreWriter.commit`
  closes it and atomically renames it (:func:`os.replace`) to ``calc_<id>.hdf5``;
  :meth:`DatastoreWriter.abort` deletes the temporary file. A calculation that fails or is killed
  therefore never leaves a half-written ``calc_<id>.hdf5``: the committed file is always complete
  and is never modified in place afterwards (``open_writer(..., append=True)`` works on a copy
  and renames it over the old file on commit; readers that hold the old file keep reading it).
* readers (:func:`open_reader`, or ``Datastore(path, "r")``) open files read-only with HDF5 file
  locking disabled (``locking=False``), so any number of processes can read a committed file, also
  on file systems without lock support. Progress and logs of a running calculation live in the
  catalogue, not here. ``open_reader(..., partial=True)`` reads the temporary file of a running
  calculation as a best effort: the writer's last :meth:`Datastore.flush` is what is visible, and
  a read racing a write may fail with :class:`~toolkit.errors.StoreError`.
* one writer per calculation: :class:`DatastoreWriter` holds an exclusive ``flock`` on
  ``calc_<id>.hdf5.lock`` (POSIX only) from before it touches the temporary file until commit,
  abort or close; a second writer of the same calculation, in any process, fails at once with
  :class:`~toolkit.errors.StoreError`. (HDF5's own file locking is not enough: opening a file in
  mode ``"w"`` truncates it *before* HDF5 notices the other writer's lock.) The lock is released
  by the kernel if the writing process dies; the next writer then overwrites the stale
  temporary file. Plain ``Datastore(path, "w")`` takes no such lock.
* HDF5 keeps per-process state about open files, which a forked child inherits: fork worker
  processes before opening datastores (or use the ``spawn`` start method).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from toolkit.errors import InputError, NotFound, StoreError

if sys.platform != "win32":
    import fcntl
else:  # pragma: no cover - no writer lock on Windows
    fcntl = None

__all__ = [
    "COMPRESS_MIN_BYTES",
    "Datastore",
    "DatastoreWriter",
    "datastore_path",
    "open_reader",
    "open_writer",
    "remove_datastore",
]

#: Arrays with at least this many bytes are stored gzip-compressed.
COMPRESS_MIN_BYTES = 1 << 16

_MODES = ("r", "w", "a")
_STR = h5py.string_dtype("utf-8")
_H5_ERRORS = (OSError, ValueError, TypeError, KeyError, RuntimeError)


def datastore_path(data_dir: str | os.PathLike[str], calc_id: int) -> Path:
    """Path of the committed datastore of calculation ``calc_id``: ``<data_dir>/calc_<id>.hdf5``."""
    return Path(data_dir) / f"calc_{int(calc_id)}.hdf5"


def _temp_path(final: Path) -> Path:
    return final.with_name(final.name + ".tmp")


def _lock_path(final: Path) -> Path:
    return final.with_name(final.name + ".lock")


def _acquire_lock(path: Path, target: Path) -> int | None:
    """Open ``path`` and take an exclusive, non-blocking flock on it; return the descriptor."""
    if fcntl is None:  # pragma: no cover
        return None
    for _ in range(10):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the writer lock {path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(
                f"datastore {target} is being written by another writer (lock {path.name} "
                "is held)"
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the previous holder removed the file meanwhile: lock the new one
    raise StoreError(f"cannot take the writer lock {path}")  # pragma: no cover


def _release_lock(path: Path, fd: int | None) -> None:
    if fd is None:
        return
    try:
        path.unlink(missing_ok=True)
    finally:
        os.close(fd)


class Datastore:
    """A dict-like, context-managed view of one HDF5 file.

    Parameters
    ----------
    path : path-like
        The HDF5 file.
    mode : {"r", "w", "a"}
        Read only (the file must exist), create or truncate, read/write (create if missing).
    locking : bool or "best-effort", optional
        HDF5 file locking. Default ``False`` for readers, ``"best-effort"`` for writers
        (:class:`DatastoreWriter` uses its own lock file instead; see the module docstring).

    Raises
    ------
    NotFound
        Mode ``"r"`` and the file does not exist.
    StoreError
        The file cannot be opened (not HDF5, locked by a writer, no permission).
    """

    def __init__(
        self, path: str | os.PathLike[str], mode: str = "r", *, locking: bool | str | None = None
    ) -> None:
        if mode not in _MODES:
            raise InputError(f"datastore {path}: mode must be one of {_MODES}, got {mode!r}")
        self.path = Path(path)
        self.mode = mode
        self._file: h5py.File | None = None
        if mode == "r" and not self.path.is_file():
            raise NotFound(f"datastore {self.path} not found")
        if locking is None:
            locking = False if mode == "r" else "best-effort"
        try:
            if mode != "r":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = h5py.File(self.path, mode, locking=locking)
        except _H5_ERRORS as exc:
            raise StoreError(
                f"cannot open datastore {self.path} in mode {mode!r}: {exc}"
                + ("" if mode == "r" else " (is another process writing it?)")
            ) from exc

    # -- context manager and life cycle ---------------------------------------------------
    def __enter__(self) -> Datastore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._file is None or not self._file.id.valid

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._file is not None:
            try:
                if self._file.id.valid:
                    self._file.close()
            except _H5_ERRORS as exc:
                raise StoreError(f"datastore {self.path}: error while closing: {exc}") from exc
            finally:
                self._file = None

    def flush(self) -> None:
        """Write buffered data to disk, so that ``partial`` readers can see it."""
        try:
            self._h5.flush()
        except _H5_ERRORS as exc:
            raise StoreError(f"datastore {self.path}: cannot flush: {exc}") from exc

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"mode {self.mode!r}"
        return f"<{type(self).__name__} {self.path} ({state})>"

    @property
    def _h5(self) -> h5py.File:
        if self.closed:
            raise StoreError(f"datastore {self.path} is closed")
        assert self._file is not None
        return self._file

    def _writable(self, key: str) -> h5py.File:
        f = self._h5
        if self.mode == "r":
            raise StoreError(f"datastore {self.path}: cannot write {key!r}, opened read-only")
        return f

    def _node(self, key: str) -> h5py.Group | h5py.Dataset:
        f = self._h5
        if key in ("", "/"):
            return f
        try:
            node = f.get(_check_key(self.path, key))
        except _H5_ERRORS as exc:
            raise StoreError(f"datastore {self.path}: cannot read {key!r}: {exc}") from exc
        if node is None:
            raise NotFound(f"datastore {self.path}: no dataset or group {key!r}")
        return node

    # -- mapping protocol -----------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        f = self._writable(key)
        key = _check_key(self.path, key)
        try:
            if key in f:
                del f[key]
            _write(f, key, value)
        except StoreError:
            raise
        except _H5_ERRORS as exc:
            raise StoreError(f"datastore {self.path}: cannot write {key!r}: {exc}") from exc

    def __getitem__(self, key: str) -> Any:
        node = self._node(key)
        try:
            return _read(node)
        except _H5_ERRORS as exc:
            raise StoreError(f"datastore {self.path}: cannot read {key!r}: {exc}") from exc

    def __delitem__(self, key: str) -> None:
        f = self._writable(key)
        self._node(key)
        try:
            del f[key]
        except _H5_ERRORS as exc:
            raise StoreError(f"datastore {self.path}: cannot delete {key!r}: {exc}") from exc

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or not key.strip("/"):
            return False
        try:
            return key in self._h5
        except _H5_ERRORS:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._h5)

    def keys(self) -> list[str]:
        """Names of the top-level datasets and groups (sorted)."""
        return sorted(self._h5.keys())

    def get(self, key: str, default: Any = None) -> Any:
        """``ds[key]``, or ``default`` if there is no such key."""
        return self[key] if key in self else default

    def shape(self, key: str) -> tuple[int, ...]:
        """Shape of the dataset ``key`` without reading it."""
        node = self._node(key)
        if not isinstance(node, h5py.Dataset):
            raise StoreError(f"datastore {self.path}: {key!r} is a group, not a dataset")
        return tuple(node.shape)

    def tree(self) -> dict[str, str]:
        """Every group and dataset path with a short description.

        Returns
        -------
        dict
            ``{"sitecol": "group (8 members)", "sitecol/lon": "dataset float64 (4,)", ...}``.
        """
        out: dict[str, str] = {}

        def visit(name: str, obj: h5py.Group | h5py.Dataset) -> None:
            if isinstance(obj, h5py.Dataset):
                kind = "str" if h5py.check_string_dtype(obj.dtype) else str(obj.dtype)
                if obj.dtype.names:
                    kind = "compound[" + ",".join(obj.dtype.names) + "]"
                out[name] = f"dataset {kind} {tuple(obj.shape)}"
            else:
                out[name] = f"group ({len(obj)} members)"

        self._h5.visititems(visit)
        return dict(sorted(out.items()))

    # -- attributes and JSON --------------------------------------------------------------
    def set_attrs(self, key: str, **attrs: Any) -> None:
        """Set HDF5 attributes of ``key`` (``""`` or ``"/"`` for the file itself).

        Values may be numbers, booleans, strings, or sequences of them.
        """
        self._writable(key)
        node = self._node(key)
        for name, value in attrs.items():
            try:
                node.attrs[name] = _attr_value(value)
            except (*_H5_ERRORS, StoreError) as exc:
                raise StoreError(
                    f"datastore {self.path}: cannot set attribute {name!r} of {key!r} "
                    f"to {value!r}: {exc}"
                ) from exc

    def get_attrs(self, key: str) -> dict[str, Any]:
        """Attributes of ``key`` as Python values (str, int, float, bool or lists)."""
        node = self._node(key)
        try:
            return {name: _python_value(value) for name, value in node.attrs.items()}
        except _H5_ERRORS as exc:
            raise StoreError(
                f"datastore {self.path}: cannot read attributes of {key!r}: {exc}"
            ) from exc

    def set_json(self, key: str, obj: Any) -> None:
        """Store ``obj`` as JSON text in a UTF-8 string dataset with attribute ``format='json'``.

        numpy scalars and arrays are converted to Python numbers and lists.
        """
        try:
            text = json.dumps(obj, default=_json_default, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"datastore {self.path}: cannot store {key!r} as JSON: {exc}"
            ) from exc
        self[key] = text
        self.set_attrs(key, format="json")

    def get_json(self, key: str) -> Any:
        """The object stored with :meth:`set_json`."""
        node = self._node(key)
        if (
            not isinstance(node, h5py.Dataset)
            or node.shape != ()
            or not h5py.check_string_dtype(node.dtype)
        ):
            raise StoreError(f"datastore {self.path}: {key!r} is not a JSON dataset")
        try:
            return json.loads(node.asstr()[()])
        except (*_H5_ERRORS, json.JSONDecodeError) as exc:
            raise StoreError(f"datastore {self.path}: invalid JSON in {key!r}: {exc}") from exc


class DatastoreWriter(Datastore):
    """A datastore being written to a temporary file, published by :meth:`commit`.

    Used as a context manager it commits when the block ends normally and aborts when it raises.
    ``path`` is the temporary file, ``final_path`` the committed one.

    Parameters
    ----------
    final_path : path-like
        Where the committed file goes (``calc_<id>.hdf5``).
    append : bool
        Start from a copy of the existing committed file instead of an empty one.
    """

    def __init__(self, final_path: str | os.PathLike[str], *, append: bool = False) -> None:
        self.final_path = Path(final_path)
        self.state = "open"
        self._file = None
        tmp = _temp_path(self.final_path)
        self._lock_path = _lock_path(self.final_path)
        self._lock_fd = _acquire_lock(self._lock_path, self.final_path)
        try:
            if append:
                if not self.final_path.is_file():
                    raise NotFound(f"datastore {self.final_path} not found: nothing to append to")
                try:
                    shutil.copyfile(self.final_path, tmp)
                except OSError as exc:
                    raise StoreError(f"cannot copy {self.final_path} to {tmp}: {exc}") from exc
            # our lock file excludes other writers; no HDF5 lock, so that this process can
            # also open the temporary file read-only (HDF5 wants equal locking flags)
            super().__init__(tmp, "a" if append else "w", locking=False)
        except BaseException:
            self._unlock()
            raise

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        _release_lock(self._lock_path, fd)

    def close(self) -> None:
        """Close the file and release the writer lock, without committing.

        The temporary file stays behind (as after a crash); the next writer overwrites it.
        """
        try:
            super().close()
        finally:
            self._unlock()
            if self.state == "open":
                self.state = "closed"

    def commit(self) -> Path:
        """Close the file and rename it to ``final_path``; return ``final_path``."""
        if self.state != "open":
            raise StoreError(f"datastore {self.final_path}: cannot commit, writer is {self.state}")
        try:
            Datastore.close(self)
            os.replace(self.path, self.final_path)
        except (OSError, StoreError) as exc:
            self.state = "failed"
            self._unlock()
            raise StoreError(f"cannot commit {self.path} to {self.final_path}: {exc}") from exc
        self.state = "committed"
        self._unlock()
        return self.final_path

    def abort(self) -> None:
        """Close and delete the temporary file (idempotent; a committed file is kept)."""
        if self.state == "committed":
            return
        try:
            Datastore.close(self)
        finally:
            if self._lock_fd is not None or self.state == "open":
                self.path.unlink(missing_ok=True)
            self.state = "aborted"
            self._unlock()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.state != "open":
            self.close()
        elif exc_type is None:
            self.commit()
        else:
            self.abort()

    def __repr__(self) -> str:
        return f"<DatastoreWriter {self.final_path} ({self.state})>"


def open_writer(
    data_dir: str | os.PathLike[str], calc_id: int, *, append: bool = False
) -> DatastoreWriter:
    """Open the datastore of ``calc_id`` for writing (into ``calc_<id>.hdf5.tmp``).

    A stale temporary file left by a killed process is overwritten (unless ``append``).
    """
    return DatastoreWriter(datastore_path(data_dir, calc_id), append=append)


def open_reader(
    data_dir: str | os.PathLike[str], calc_id: int, *, partial: bool = False
) -> Datastore:
    """Open the committed datastore of ``calc_id`` read-only.

    Parameters
    ----------
    partial : bool
        If the calculation has not committed yet, read its temporary file instead
        (best effort, see the module docstring).

    Raises
    ------
    NotFound
        There is no committed datastore (and no temporary one when ``partial``).
    """
    final = datastore_path(data_dir, calc_id)
    tmp = _temp_path(final)
    if final.is_file():
        return Datastore(final, "r")
    if tmp.is_file():
        if partial:
            return Datastore(tmp, "r")
        raise NotFound(
            f"calculation {calc_id} has no committed datastore {final} yet; it is being "
            f"written to {tmp.name} (pass partial=True to read it)"
        )
    raise NotFound(f"calculation {calc_id} has no datastore {final}")


def remove_datastore(data_dir: str | os.PathLike[str], calc_id: int) -> list[Path]:
    """Delete the committed and temporary datastore files of ``calc_id``; return those deleted."""
    removed = []
    final = datastore_path(data_dir, calc_id)
    for path in (final, _temp_path(final)):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot remove {path}: {exc}") from exc
        removed.append(path)
    return removed


# -- conversions ------------------------------------------------------------------------------
def _check_key(path: Path, key: object) -> str:
    if not isinstance(key, str) or not key.strip("/"):
        raise InputError(f"datastore {path}: keys must be non-empty strings, got {key!r}")
    return key


def _storable(value: Any, path: str) -> tuple[np.ndarray, Any]:
    """Array and HDF5 dtype for ``value`` (unicode becomes variable-length UTF-8)."""
    if isinstance(value, str):
        return np.array(value, dtype=object), _STR
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "U":
        return arr.astype(object), _STR
    if kind == "O":
        if all(isinstance(v, str) for v in arr.flat):
            return arr, _STR
        raise StoreError(
            f"cannot store {path!r}: object arrays other than strings are not supported"
        )
    if arr.dtype.names:
        fields = []
        for name in arr.dtype.names:
            sub = arr.dtype.fields[name][0]
            if sub.kind in "UO":
                fields.append((name, _STR))
            elif sub.kind in "Mm" or sub.names:
                raise StoreError(f"cannot store field {name!r} of {path!r} (dtype {sub})")
            else:
                fields.append((name, sub))
        dtype = np.dtype(fields)
        return arr.astype(dtype), dtype
    if kind in "Mm" or kind == "V":
        raise StoreError(f"cannot store {path!r}: unsupported dtype {arr.dtype}")
    return arr, arr.dtype


def _write(group: h5py.Group, key: str, value: Any) -> None:
    if isinstance(value, Mapping):
        sub = group.create_group(key)
        for name, item in value.items():
            _write(sub, _check_key(Path(group.file.filename), name), item)
        return
    arr, dtype = _storable(value, key)
    kwargs: dict[str, Any] = {}
    if arr.ndim > 0 and not arr.dtype.hasobject and arr.nbytes >= COMPRESS_MIN_BYTES:
        kwargs = {"compression": "gzip", "compression_opts": 4, "shuffle": True, "chunks": True}
    group.create_dataset(key, data=arr, dtype=dtype, **kwargs)


def _read(node: h5py.Group | h5py.Dataset) -> Any:
    if isinstance(node, h5py.Group):
        return {name: _read(child) for name, child in node.items()}
    if h5py.check_string_dtype(node.dtype):
        data = node.asstr()[()]
        if isinstance(data, str):
            return np.array(data)
        return np.array(data.tolist(), dtype=str).reshape(data.shape)
    data = node[()]
    names = node.dtype.names
    if names and any(node.dtype.fields[n][0].kind == "O" for n in names):
        return _decode_struct(data)
    return np.asarray(data)


def _decode_struct(data: np.ndarray) -> np.ndarray:
    """Turn object (bytes/str) fields of a structured array into unicode fields."""
    fields = []
    columns = {}
    for name in data.dtype.names:
        sub = data.dtype.fields[name][0]
        if sub.kind == "O":
            col = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in data[name].flat]
            width = max((len(v) for v in col), default=1) or 1
            columns[name] = np.array(col, dtype=f"U{width}").reshape(data.shape)
            fields.append((name, columns[name].dtype))
        else:
            columns[name] = data[name]
            fields.append((name, sub))
    out = np.empty(data.shape, dtype=fields)
    for name, col in columns.items():
        out[name] = col
    return out


def _attr_value(value: Any) -> Any:
    if value is None or isinstance(value, Mapping):
        raise StoreError("attribute values must be numbers, booleans, strings or sequences of them")
    if isinstance(value, str):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind in "UO":
        return np.array([str(v) for v in arr.flat], dtype=_STR).reshape(arr.shape)
    return arr


def _python_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [_python_value(v) for v in value.tolist()] if value.ndim else _python_value(
            value.item()
        )
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_python_value(v) for v in value]
    return value


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")
