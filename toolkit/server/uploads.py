"""Safe unpacking of uploaded job inputs into ``<data_dir>/calc_inputs/<uuid>/``.

A job arrives as one zip archive, or as several plain files (the ``archive`` form field of
``POST /v1/calc/run``, as OpenQuake's WebAPI). Nothing in an upload may escape its fresh
directory or exhaust the disk:

* zip members with an absolute path (``/etc/x``, ``C:\\x``, ``\\\\host\\x``), a ``..`` component,
  a NUL byte, a symbolic-link mode, encryption, or a name used twice are refused (400);
* an archive with more than ``max_zip_entries`` members, or whose members *declare* more than
  ``max_unzipped_mb`` in total, is refused before anything is written (413), and the *actual*
  bytes are counted while streaming, so a member that inflates beyond what it declares (a zip
  bomb with a forged header) is stopped there (413 for the total, 400 for the lie);
* plain files keep only their base name.

On any error the directory is deleted. Sizes are in MB of 10**6 bytes (as ``size_mb``).
"""

from __future__ import annotations

import re
import shutil
import stat
import uuid
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from toolkit.config import Settings
from toolkit.errors import InputError
from toolkit.server.errors import PayloadTooLarge

__all__ = ["Upload", "UploadedFile", "store_upload", "extract_zip", "find_job_file",
           "new_input_dir", "set_job_parameter", "adler32_head", "INPUTS_DIRNAME"]

#: Sub-directory of the data directory that holds the uploaded inputs of every job.
INPUTS_DIRNAME = "calc_inputs"
_MB = 1_000_000
_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class UploadedFile:
    """A file of a multipart upload: its client-side name and an open binary file."""

    filename: str
    file: BinaryIO


@dataclass(frozen=True)
class Upload:
    """An unpacked upload: its directory, every file in it (relative POSIX paths), and the
    job file picked."""

    directory: Path
    files: list[str]
    job_ini: Path


def new_input_dir(data_dir: Path) -> Path:
    """A fresh, empty directory ``<data_dir>/calc_inputs/<uuid>``."""
    path = Path(data_dir) / INPUTS_DIRNAME / uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


def _safe_name(name: str) -> PurePosixPath:
    """The relative path of a zip member, or InputError if it could escape the directory."""
    if "\x00" in name:
        raise InputError(f"zip member {name!r}: the name contains a NUL byte")
    text = name.replace("\\", "/")
    if text.startswith("/") or _DRIVE.match(text):
        raise InputError(f"zip member {name!r}: absolute paths are not allowed")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise InputError(f"zip member {name!r}: '..' in a path is not allowed")
    if not parts:
        raise InputError(f"zip member {name!r}: empty name")
    return PurePosixPath(*parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def extract_zip(
    source: BinaryIO | Path, dest: Path, *, max_bytes: int, max_entries: int,
    label: str = "archive",
) -> list[str]:
    """Unpack the zip ``source`` into ``dest`` safely (see the module docstring).

    Returns
    -------
    list of str
        The files written, as POSIX paths relative to ``dest``.

    Raises
    ------
    InputError
        Not a zip file, an unsafe or duplicate member name, a corrupt member, a member larger
        than it declares.
    PayloadTooLarge
        Too many members, or too many bytes once unpacked (declared or actual).
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{label}: File is not a zip file ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise PayloadTooLarge(
                f"{label}: {len(infos)} members; at most {max_entries} are accepted "
                "(setting max_zip_entries)")
        declared = sum(info.file_size for info in infos)
        if declared > max_bytes:
            raise PayloadTooLarge(
                f"{label}: the members declare {declared / _MB:.1f} MB once unpacked; at most "
                f"{max_bytes / _MB:g} MB are accepted (setting max_unzipped_mb)")
        written: list[str] = []
        seen: set[str] = set()
        total = 0
        root = dest.resolve()
        for info in infos:
            rel = _safe_name(info.filename)
            if rel.parts[0] == "__MACOSX":
                continue
            if info.is_dir():
                (dest / rel).mkdir(parents=True, exist_ok=True)
                continue
            if _is_symlink(info):
                raise InputError(f"{label}: member {info.filename!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise InputError(f"{label}: member {info.filename!r} is encrypted")
            key = rel.as_posix().lower()
            if key in seen:
                raise InputError(f"{label}: member {info.filename!r} appears twice")
            seen.add(key)
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.resolve().is_relative_to(root):  # defence in depth
                raise InputError(f"{label}: member {info.filename!r} escapes the directory")
            size = 0
            try:
                with archive.open(info) as src, open(target, "xb") as out:
                    while chunk := src.read(_CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if total > max_bytes:
                            raise PayloadTooLarge(
                                f"{label}: more than {max_bytes / _MB:g} MB once unpacked "
                                "(setting max_unzipped_mb)")
                        if size > info.file_size:
                            raise InputError(
                                f"{label}: member {info.filename!r} holds more than the "
                                f"{info.file_size} bytes it declares")
                        out.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                    RuntimeError) as exc:
                raise InputError(
                    f"{label}: member {info.filename!r} cannot be read ({exc})") from None
            except FileExistsError:
                raise InputError(f"{label}: member {info.filename!r} appears twice") from None
            written.append(rel.as_posix())
    return written


def _plain_name(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    if name in ("", ".", "..") or "\x00" in name:
        raise InputError(f"uploaded file {filename!r}: not a valid file name")
    return name


def _copy(src: BinaryIO, target: Path, limit: int, total: int) -> int:
    with open(target, "xb") as out:
        while chunk := src.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise PayloadTooLarge(f"the uploaded files exceed {limit / _MB:g} MB")
            out.write(chunk)
    return total


def _looks_like_zip(item: UploadedFile) -> bool:
    if item.filename.lower().endswith(".zip"):
        return True
    try:
        item.file.seek(0)
        magic = item.file.read(4)
        item.file.seek(0)
    except (OSError, ValueError):
        return False
    return magic == b"PK\x03\x04"


def find_job_file(files: Sequence[str], suffix: str, label: str = "archive") -> str:
    """The one file of ``files`` (relative POSIX paths) whose name ends with ``suffix``.

    Several candidates are narrowed to those named exactly ``suffix``, then to the
    shallowest; if more than one remains the choice is ambiguous (InputError).
    """
    candidates = [f for f in files if f.endswith(suffix)]
    if not candidates:
        raise InputError(f"There are no {suffix} files in the {label}")
    if len(candidates) > 1:
        exact = [f for f in candidates if PurePosixPath(f).name == suffix]
        if exact:
            candidates = exact
    if len(candidates) > 1:
        depth = min(f.count("/") for f in candidates)
        candidates = [f for f in candidates if f.count("/") == depth]
    if len(candidates) > 1:
        raise InputError(
            f"ambiguous upload: several job files match {suffix!r} ({', '.join(candidates)}); "
            "give the form field job_ini to pick one")
    return candidates[0]


def store_upload(
    files: Sequence[UploadedFile], settings: Settings, *, suffix: str = ".ini",
    directory: Path | None = None,
) -> Upload:
    """Unpack an upload (one zip, or several plain files) into a fresh input directory and pick
    its job file (the one name ending with ``suffix``).

    Parameters
    ----------
    files : sequence of UploadedFile
        The files of the ``archive`` field.
    settings : Settings
        Data directory and the limits ``max_unzipped_mb``, ``max_zip_entries``.
    suffix : str
        How the job file's name ends (the ``job_ini`` form field; default ``.ini``).
    directory : Path, optional
        Unpack there instead of a fresh ``<data_dir>/calc_inputs/<uuid>`` (it must be empty).

    Raises
    ------
    InputError, PayloadTooLarge
        No file, an unsafe archive, no job file or several (the directory is then deleted).
    """
    if not files:
        raise InputError("no input files: upload a zip archive or the job files in the form "
                         "field 'archive'")
    if not suffix:
        raise InputError("job_ini: give the name (or the end of the name) of the job file")
    dest = directory if directory is not None else new_input_dir(settings.data_dir)
    limit = int(settings.max_unzipped_mb * _MB)
    try:
        if len(files) == 1 and _looks_like_zip(files[0]):
            item = files[0]
            names = extract_zip(item.file, dest, max_bytes=limit,
                                max_entries=int(settings.max_zip_entries),
                                label=item.filename or "archive")
            label = "archive"
        else:
            names, total = [], 0
            for item in files:
                name = _plain_name(item.filename)
                if name in names:
                    raise InputError(f"uploaded file {name!r} appears twice")
                total = _copy(item.file, dest / name, limit, total)
                names.append(name)
            label = "uploaded files"
        job = find_job_file(names, suffix, label)
        return Upload(directory=dest, files=names, job_ini=dest / job)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def set_job_parameter(job_ini: Path, key: str, value: object) -> None:
    """Set ``key = value`` in an uploaded job file (replacing the key's line, or appending it);
    used for ``hazard_job_id``, which OpenQuake passes to the job as
    ``hazard_calculation_id``."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*[=:]", re.IGNORECASE)
    lines = job_ini.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    kept, replaced = [], False
    skipping = False
    for line in lines:
        if skipping and line[:1] in (" ", "\t") and line.strip():
            continue  # a continuation line of the value replaced
        skipping = False
        if pattern.match(line):
            if not replaced:
                kept.append(f"{key} = {value}")
                replaced = True
            skipping = True
            continue
        kept.append(line)
    if not replaced:
        kept.append(f"{key} = {value}")
    job_ini.write_text("\n".join(kept) + "\n", encoding="utf-8", errors="surrogateescape")


def adler32_head(path: Path, nbytes: int = 32) -> int:
    """Adler-32 checksum of the first ``nbytes`` bytes of ``path`` (``/v1/on_same_fs``)."""
    with open(path, "rb") as f:
        return zlib.adler32(f.read(nbytes))
