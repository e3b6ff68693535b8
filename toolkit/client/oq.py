"""Client of the OpenQuake engine WebAPI: ``toolkit serve`` or a real OpenQuake server.

The protocol is OpenQuake 3.26.2's, as measured on the real server
(``shared/reference/openquake/NOTES.md`` sections 4 and 5): jobs are uploaded as the multipart
field ``archive`` of ``POST /v1/calc/run``; results are listed by ``/v1/calc/:id/results`` and
downloaded by output id with an explicit ``export_type`` (OpenQuake's default, ``xml``, fails for
most outputs); arrays come from ``/v1/calc/:id/extract/<spec>`` as an npz read with
``numpy.load(allow_pickle=False)``; logging in (restricted servers) is a form ``POST
/accounts/ajax_login/`` whose session cookie authorises the rest, as OpenQuake's
``WebExtractor`` does.

Return types
------------
:meth:`Client.hazard_curves`
    :class:`xarray.DataArray` ``poe`` with dims ``(kind, site, imt, level)``. ``level`` is the
    position of the intensity level; the levels themselves are the 2-D coordinate ``iml``
    ``(imt, level)``, NaN-padded where an IMT has fewer levels than the longest (then ``poe`` is
    NaN there too). ``kind`` holds ``"mean"``, ``"quantile-0.15"``, ``"rlz-000"`` ...;
    coordinates ``lon``, ``lat`` on ``site``; attribute ``investigation_time`` (years). One
    curve: ``curves.sel(kind="mean", imt="PGA").isel(site=0)`` with x = its ``iml``.
:meth:`Client.hazard_maps`
    ``iml`` with dims ``(kind, site, imt, poe)``; coordinate ``units`` on ``imt``.
:meth:`Client.uhs`
    ``sa`` with dims ``(kind, site, poe, period)``; coordinate ``imt`` on ``period``
    (PGA at period 0).
:meth:`Client.gmfs`
    :class:`xarray.Dataset` with dims ``(event, site)``, one variable per IMT (``"PGA"``,
    ``"SA(1.0)"``, units g, cm/s for PGV); coordinates ``event`` (event ids), ``rlz`` on
    ``event``, ``site`` (0..N-1 in site-mesh order), ``lon``, ``lat``, ``custom_site_id``.
    Sites where an event stayed below ``minimum_intensity`` hold 0.
:meth:`Client.losses`, :meth:`Client.damages`, :meth:`Client.output_table`
    :class:`pandas.DataFrame` read from OpenQuake's CSV exports (or the ``damages-rlzs``
    extract).

The functions :func:`curves_dataarray`, :func:`maps_dataarray`, :func:`uhs_dataarray` and
:func:`gmfs_dataset` build these objects from plain arrays, so that in-process results can take
the same shape.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.client.errors import (
    PermissionDenied,
    ServerError,
    describe_body,
    filename_from_headers,
    save_response,
    send,
)
from toolkit.errors import InputError, NotFound, ToolkitError

__all__ = [
    "Client",
    "DEFAULT_URL",
    "parse_npz",
    "zip_job",
    "imt_units",
    "curves_dataarray",
    "maps_dataarray",
    "uhs_dataarray",
    "gmfs_dataset",
    "read_oq_csv",
]

#: Where ``toolkit serve`` (and ``oq webui start``) listen by default.
DEFAULT_URL = "http://127.0.0.1:8800"

#: Statuses of a calculation that is over.
FINAL_STATUSES = frozenset({"complete", "failed", "aborted", "shared", "deleted"})

#: Folders never zipped with a job.
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".ipynb_checkpoints",
                        ".pytest_cache", ".mypy_cache", ".ruff_cache"})
#: Most files zipped from a job folder (a job.ini in a home folder would zip everything).
MAX_JOB_FILES = 5000

_META_KEYS = frozenset({"kind", "k", "rlzs", "imt", "extra", "investigation_time", "all"})


# -- helpers ------------------------------------------------------------------------------------
def imt_units(imt: str) -> str:
    """Units of an intensity measure type: ``"g"`` for PGA and SA, ``"cm/s"`` for PGV, ``"cm"``
    for PGD, ``"s"`` for durations, ``""`` for the others (Arias intensity in m/s, CAV ...)."""
    name = str(imt).strip().upper()
    if name == "PGA" or name.startswith("SA(") or name.startswith("AVGSA"):
        return "g"
    if name == "PGV":
        return "cm/s"
    if name == "PGD":
        return "cm"
    if name.startswith("RSD"):
        return "s"
    if name == "IA":
        return "m/s"
    return ""


def _period(imt: str) -> float:
    """Period of PGA (0) or SA(T) (T)."""
    if imt.upper() == "PGA":
        return 0.0
    match = re.fullmatch(r"SA\(\s*([0-9.eE+-]+)\s*\)", imt.strip())
    if not match:
        raise InputError(f"{imt!r} is not PGA or SA(T): uniform hazard spectra need spectral "
                         "accelerations")
    return float(match.group(1))


def parse_npz(content: bytes, where: str) -> dict[str, np.ndarray]:
    """The arrays of an npz body, loaded as OpenQuake's ``WebExtractor`` does
    (``numpy.load(allow_pickle=False)``, numpy's default header limit).

    Raises
    ------
    ToolkitError
        Not an npz, or a key that needs pickles (object arrays) or has a too large header;
        the message names ``where`` (method and URL) and the key.
    """
    try:
        npz = np.load(io.BytesIO(content), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ServerError(f"{where}: the answer is not an npz file ({exc})") from None
    if not hasattr(npz, "files"):  # a plain .npy
        raise ServerError(f"{where}: the answer is an npy array, not an npz file")
    out: dict[str, np.ndarray] = {}
    with npz:
        for key in npz.files:
            try:
                out[key] = npz[key]
            except ValueError as exc:
                first = str(exc).splitlines()[0]
                raise ServerError(f"{where}: key {key!r} cannot be read without pickles "
                                  f"({first}); OpenQuake's own client cannot read it either"
                                  ) from None
    return out


def _text(value: Any) -> str:
    """A 0-d bytes/str array or scalar as str."""
    if isinstance(value, np.ndarray):
        value = value.item() if value.ndim == 0 else value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _strings(values: Any) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v)
            for v in np.asarray(values).ravel().tolist()]


def zip_job(path: str | Path) -> tuple[bytes, str]:
    """Zip a job for ``POST /v1/calc/run``.

    Parameters
    ----------
    path : str or Path
        A job file (``job.ini``: its folder is zipped, recursively), a folder holding
        ``job.ini``, or a ``.zip`` archive (sent as is).

    Returns
    -------
    (bytes, str)
        The archive and the name of the job file inside it (``""`` for a given zip).

    Notes
    -----
    Symbolic links, special files and tool folders (``.git``, ``__pycache__``,
    ``.ipynb_checkpoints`` ...) are left out; names are relative POSIX paths, so nothing in the
    archive points outside it. More than :data:`MAX_JOB_FILES` files is refused: a job belongs
    in a folder of its own.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path}: no such job file, folder or zip archive")
    if path.is_dir():
        ini = path / "job.ini"
        if not ini.is_file():
            raise InputError(f"{path}: a folder without job.ini; give the job file itself")
        folder, name = path, "job.ini"
    elif path.suffix.lower() == ".zip":
        data = path.read_bytes()
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise InputError(f"{path}: not a zip archive")
        return data, ""
    else:
        folder, name = path.parent, path.name
    files: list[tuple[Path, str]] = []
    root = folder.resolve()
    for current, dirs, names in os.walk(root, followlinks=False):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not (here / d).is_symlink())
        for filename in sorted(names):
            file = here / filename
            if file.is_symlink() or not file.is_file():
                continue
            files.append((file, file.relative_to(root).as_posix()))
            if len(files) > MAX_JOB_FILES:
                raise InputError(f"{folder}: more than {MAX_JOB_FILES} files next to {name}; "
                                 "put the job and its inputs in a folder of their own")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file, arcname in files:
            archive.write(file, arcname)
    return buf.getvalue(), name


def read_oq_csv(data: bytes | str, where: str = "") -> Any:
    """A CSV export of OpenQuake (or the toolkit) as a :class:`pandas.DataFrame`: the first
    line is skipped when it is the ``#,,"generated_by=..."`` comment; its ``key=value`` pairs
    go to ``DataFrame.attrs``."""
    import pandas as pd

    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    attrs: dict[str, Any] = {}
    if text.startswith("#"):
        first, _, text = text.partition("\n")
        for key, value in re.findall(r"(\w+)=('[^']*'|[^,\"]+)", first):
            value = value.strip("'")
            try:
                attrs[key] = float(value) if key == "investigation_time" else value
            except ValueError:
                attrs[key] = value
    try:
        frame = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
    except (ValueError, pd.errors.ParserError) as exc:
        raise ServerError(f"{where}: not a CSV table ({exc})") from None
    frame.attrs.update(attrs)
    return frame


# -- builders (shared with in-process results) ---------------------------------------------------
def _levels_matrix(imts: Sequence[str], imtls: Mapping[str, Sequence[float]], width: int
                   ) -> np.ndarray:
    iml = np.full((len(imts), width), np.nan)
    for m, imt in enumerate(imts):
        levels = np.asarray(imtls[imt], dtype=float).ravel()
        if levels.size > width:
            raise InputError(f"IMT {imt}: {levels.size} levels in the job, but curves of only "
                             f"{width} values")
        iml[m, : levels.size] = levels
    return iml


def curves_dataarray(curves: Mapping[str, np.ndarray], imtls: Mapping[str, Sequence[float]],
                     lons: Sequence[float], lats: Sequence[float], *,
                     imts: Sequence[str] | None = None,
                     investigation_time: float | None = None) -> Any:
    """Hazard curves as the :class:`xarray.DataArray` that :meth:`Client.hazard_curves` returns.

    Parameters
    ----------
    curves : mapping
        ``{kind: array (N, M, L)}`` probabilities of exceedance; kinds in order (``"mean"``,
        ``"quantile-0.15"``, ``"rlz-000"`` ...).
    imtls : mapping
        ``{imt: levels}`` of the calculation.
    lons, lats : sequence of float
        The N sites.
    imts : sequence of str, optional
        The M IMTs of the arrays (default: the keys of ``imtls``).
    investigation_time : float, optional
        Years (an attribute).

    Returns
    -------
    xarray.DataArray
        ``poe``, dims ``(kind, site, imt, level)``, coordinates ``kind``, ``site``, ``lon``,
        ``lat``, ``imt``, ``level`` and ``iml`` (``imt``, ``level``: NaN where an IMT has fewer
        levels).
    """
    import xarray as xr

    if not curves:
        raise NotFound("no hazard curves")
    kinds = list(curves)
    arrays = [np.asarray(curves[k], dtype=np.float64) for k in kinds]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays) or len(shape) != 3:
        raise InputError(f"hazard curves: expected (N, M, L) arrays of one shape, got "
                         f"{[a.shape for a in arrays]}")
    imts = list(imts if imts is not None else imtls)
    if len(imts) != shape[1]:
        raise InputError(f"hazard curves have {shape[1]} IMTs, but {len(imts)} are named: {imts}")
    iml = _levels_matrix(imts, imtls, shape[2])
    data = np.stack(arrays)
    data[np.broadcast_to(np.isnan(iml)[None, None], data.shape)] = np.nan
    da = xr.DataArray(
        data, dims=("kind", "site", "imt", "level"), name="poe",
        coords={"kind": kinds, "site": np.arange(shape[0]),
                "lon": ("site", np.asarray(lons, dtype=float)),
                "lat": ("site", np.asarray(lats, dtype=float)),
                "imt": imts, "level": np.arange(shape[2]), "iml": (("imt", "level"), iml),
                "units": ("imt", [imt_units(i) for i in imts])},
        attrs={"long_name": "probability of exceedance", "units": ""})
    if investigation_time is not None:
        da.attrs["investigation_time"] = float(investigation_time)
    return da


def maps_dataarray(maps: Mapping[str, np.ndarray], poes: Sequence[float],
                   lons: Sequence[float], lats: Sequence[float], imts: Sequence[str], *,
                   investigation_time: float | None = None) -> Any:
    """Hazard maps as :meth:`Client.hazard_maps` returns them: ``iml`` with dims
    ``(kind, site, imt, poe)`` from ``{kind: array (N, M, P)}``."""
    import xarray as xr

    if not maps:
        raise NotFound("no hazard maps")
    kinds = list(maps)
    data = np.stack([np.asarray(maps[k], dtype=np.float64) for k in kinds])
    poes = [float(p) for p in np.atleast_1d(np.asarray(poes, dtype=float))]
    if data.shape[2] != len(imts) or data.shape[3] != len(poes):
        raise InputError(f"hazard maps of shape {data.shape[1:]} for {len(imts)} IMTs and "
                         f"{len(poes)} PoEs")
    da = xr.DataArray(
        data, dims=("kind", "site", "imt", "poe"), name="iml",
        coords={"kind": kinds, "site": np.arange(data.shape[1]),
                "lon": ("site", np.asarray(lons, dtype=float)),
                "lat": ("site", np.asarray(lats, dtype=float)),
                "imt": list(imts), "poe": poes, "units": ("imt", [imt_units(i) for i in imts])},
        attrs={"long_name": "intensity measure level"})
    if investigation_time is not None:
        da.attrs["investigation_time"] = float(investigation_time)
    return da


def uhs_dataarray(spectra: Mapping[str, np.ndarray], poes: Sequence[float],
                  imts: Sequence[str], lons: Sequence[float], lats: Sequence[float], *,
                  investigation_time: float | None = None) -> Any:
    """Uniform hazard spectra as :meth:`Client.uhs` returns them: ``sa`` with dims
    ``(kind, site, poe, period)`` from ``{kind: array (N, P, T)}``; periods sorted."""
    import xarray as xr

    if not spectra:
        raise NotFound("no uniform hazard spectra")
    kinds = list(spectra)
    periods = np.array([_period(i) for i in imts])
    order = np.argsort(periods, kind="stable")
    data = np.stack([np.asarray(spectra[k], dtype=np.float64)[..., order] for k in kinds])
    da = xr.DataArray(
        data, dims=("kind", "site", "poe", "period"), name="sa",
        coords={"kind": kinds, "site": np.arange(data.shape[1]),
                "lon": ("site", np.asarray(lons, dtype=float)),
                "lat": ("site", np.asarray(lats, dtype=float)),
                "poe": [float(p) for p in poes], "period": periods[order],
                "imt": ("period", [imts[i] for i in order])},
        attrs={"long_name": "spectral acceleration", "units": "g"})
    da.coords["period"].attrs["units"] = "s"
    if investigation_time is not None:
        da.attrs["investigation_time"] = float(investigation_time)
    return da


def gmfs_dataset(event_ids: Sequence[int], site_ids: Sequence[int], gmv: Mapping[str, np.ndarray],
                 lons: Sequence[float], lats: Sequence[float], *,
                 events: Sequence[int] | None = None, n_sites: int | None = None,
                 rlz: Sequence[int] | None = None,
                 custom_site_ids: Sequence[str] | None = None) -> Any:
    """Ground motion fields as :meth:`Client.gmfs` returns them, from OpenQuake's long format.

    Parameters
    ----------
    event_ids, site_ids : sequence of int
        One row per (event, site) with a value (``gmf-data``); ``site_ids`` index ``lons``.
    gmv : mapping
        ``{imt: values}`` aligned with the rows.
    lons, lats : sequence of float
        All sites of the calculation.
    events : sequence of int, optional
        All event ids (events without rows get zeros); default: those of the rows.
    rlz : sequence of int, optional
        Realization of each event of ``events``.

    Returns
    -------
    xarray.Dataset
        Dims ``(event, site)``, a variable per IMT, zeros where no value was stored.
    """
    import xarray as xr

    event_ids = np.asarray(event_ids, dtype=np.int64)
    site_ids = np.asarray(site_ids, dtype=np.int64)
    all_events = np.unique(event_ids) if events is None else np.asarray(events, dtype=np.int64)
    order = np.argsort(all_events, kind="stable")
    all_events = all_events[order]
    if rlz is not None:
        rlz = np.asarray(rlz, dtype=np.int64)[order]
    n = len(lons) if n_sites is None else n_sites
    row = np.searchsorted(all_events, event_ids)
    if event_ids.size and (np.any(row >= all_events.size)
                           or np.any(all_events[np.minimum(row, all_events.size - 1)]
                                     != event_ids)):
        raise InputError("ground motion fields: rows of events that the event list lacks")
    if site_ids.size and (site_ids.min() < 0 or site_ids.max() >= n):
        raise InputError(f"ground motion fields: site ids outside 0..{n - 1}")
    variables = {}
    for imt, values in gmv.items():
        dense = np.zeros((all_events.size, n), dtype=np.float32)
        dense[row, site_ids] = np.asarray(values, dtype=np.float32)
        variables[imt] = xr.Variable(("event", "site"), dense,
                                     attrs={"units": imt_units(imt), "long_name": imt})
    coords: dict[str, Any] = {"event": all_events, "site": np.arange(n),
                              "lon": ("site", np.asarray(lons, dtype=float)),
                              "lat": ("site", np.asarray(lats, dtype=float))}
    if rlz is not None:
        coords["rlz"] = ("event", np.asarray(rlz, dtype=np.int64))
    if custom_site_ids is not None:
        coords["custom_site_id"] = ("site", np.asarray(custom_site_ids, dtype=str))
    return xr.Dataset(variables, coords=coords)


# -- the client ---------------------------------------------------------------------------------
class _Progress:
    """The progress of a job from its status (``progress`` field) or its log lines.

    The toolkit's workers log ``progress 40%``; OpenQuake logs ``<task> 40% [...]`` per phase.
    """

    _TOOLKIT = re.compile(r"\bprogress\s+(\d{1,3}(?:\.\d+)?)\s*%")
    _PHASE = re.compile(r"^#?\s*([A-Za-z_][\w-]*)\s+(\d{1,3})\s*%")

    def __init__(self, client: Client, calc_id: int) -> None:
        self.client, self.calc_id = client, calc_id
        self.offset = 0
        self.fraction = 0.0
        self.phase = ""

    def update(self, status: Mapping[str, Any]) -> float:
        value = status.get("progress")
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            self.fraction = min(max(float(value) / (100.0 if value > 1 else 1.0), 0.0), 1.0)
            return self.fraction
        try:
            lines = self.client.log(self.calc_id, start=self.offset)
        except ToolkitError:
            return self.fraction
        self.offset += len(lines)
        for line in lines:
            message = str(line[-1]) if line else ""
            match = self._TOOLKIT.search(message)
            if match:
                self.fraction, self.phase = min(float(match.group(1)) / 100, 1.0), ""
                continue
            match = self._PHASE.search(message)
            if match:
                self.fraction = min(int(match.group(2)) / 100, 1.0)
                self.phase = match.group(1)
        return self.fraction


class Client:
    """Client of an OpenQuake engine WebAPI server (``toolkit serve``, or ``oq webui``).

    Parameters
    ----------
    base_url : str
        Server root, e.g. ``"http://127.0.0.1:8800"`` (paths ``/v1/...`` are appended).
    auth : (str, str) or requests auth, optional
        ``(username, password)`` logs in with ``POST /accounts/ajax_login/`` on the first
        request (restricted servers), as OpenQuake's ``WebExtractor``; a ``requests`` auth
        object is set on the session instead.
    timeout : float
        Seconds to wait for a connection and for each read.
    session : requests.Session, optional
        The transport (tests mount adapters on it); default a new session.

    Raises
    ------
    toolkit.errors.ToolkitError
        Every method raises the classes of :mod:`toolkit.client.errors`, whose message starts
        with the method and the URL: ``NotFound`` (404), ``PermissionDenied`` (401/403),
        ``InputError`` (400, ...), ``ServerError`` (5xx), ``ServerUnreachable`` ("server
        unreachable at <url>").

    Examples
    --------
    >>> client = toolkit.Client("http://127.0.0.1:8800")           # doctest: +SKIP
    >>> calc = client.run("job.ini"); client.wait(calc)            # doctest: +SKIP
    >>> curves = client.hazard_curves(calc, kind="stats")          # doctest: +SKIP
    """

    def __init__(self, base_url: str = DEFAULT_URL, auth: Any = None, timeout: float = 30.0, *,
                 session: Any = None) -> None:
        import requests

        self.base_url = str(base_url).rstrip("/")
        if not re.match(r"^https?://", self.base_url):
            raise InputError(f"base_url={base_url!r}: expected http://host:port or https://...")
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self._login: tuple[str, str] | None = None
        self._logged_in = False
        if isinstance(auth, tuple | list) and len(auth) == 2 and all(
                isinstance(x, str) for x in auth):
            self._login = (auth[0], auth[1])
        elif auth is not None:
            self.session.auth = auth

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- transport --------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """The absolute URL of a server path (``/v1/calc/list``)."""
        return path if re.match(r"^https?://", path) else f"{self.base_url}{path}"

    def login(self) -> None:
        """Log in with the ``(username, password)`` given as ``auth`` (done automatically)."""
        if self._login is None:
            return
        username, password = self._login
        send(self.session, "POST", self.url("/accounts/ajax_login/"), timeout=self.timeout,
             data={"username": username, "password": password})
        self._logged_in = True

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._login is not None and not self._logged_in:
            self.login()
        try:
            return send(self.session, method, self.url(path), timeout=self.timeout, **kwargs)
        except PermissionDenied:
            if self._login is None:
                raise
            self.login()  # the session may have expired: once more
            return send(self.session, method, self.url(path), timeout=self.timeout, **kwargs)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ServerError(f"{method} {response.url}: expected JSON, got "
                              f"{response.headers.get('Content-Type', '?')}: "
                              f"{describe_body(response.text)[:200]}") from None

    # -- calculations -----------------------------------------------------------------------
    def engine_version(self) -> str:
        """The OpenQuake API version the server implements (``"3.26.2"``)."""
        return self._request("GET", "/v1/engine_version").text.strip()

    def run(self, job_ini_or_zip: str | Path, *, hazard_job_id: int | None = None,
            job_ini: str | None = None) -> int:
        """Upload a job and start it; return the calculation id.

        Parameters
        ----------
        job_ini_or_zip : str or Path
            A ``job.ini`` (its folder is zipped with every file next to it, recursively; see
            :func:`zip_job`), a folder holding ``job.ini``, or a ``.zip``.
        hazard_job_id : int, optional
            Calculation whose hazard a risk job reuses.
        job_ini : str, optional
            Which ``.ini`` of the archive to run (the end of its name; default: the given job
            file, else the server's default ``.ini`` / ``risk.ini``).

        Raises
        ------
        InputError
            The server refused the job (the message ends with the last traceback line).
        """
        data, name = zip_job(job_ini_or_zip)
        form: dict[str, str] = {}
        if job_ini or name:
            form["job_ini"] = job_ini or name
        if hazard_job_id is not None:
            form["hazard_job_id"] = str(int(hazard_job_id))
        archive = Path(job_ini_or_zip).name if not name else "job.zip"
        try:
            body = self._json("POST", "/v1/calc/run", data=form,
                              files={"archive": (archive, data, "application/zip")})
        except ServerError as exc:
            said = describe_body(exc.body)
            if '"traceback"' in exc.body:  # OpenQuake: 500 + {"traceback", "job_id"}
                raise InputError(f"the server refused the job ({exc.method} {exc.url}): {said}"
                                 ) from None
            raise
        except InputError as exc:
            raise InputError(f"the server refused the job: {exc}") from None
        try:
            return int(body["job_id"])
        except (KeyError, TypeError, ValueError):
            raise ServerError(f"POST {self.url('/v1/calc/run')}: no job_id in the answer "
                              f"{str(body)[:200]}") from None

    def status(self, calc_id: int) -> dict:
        """``/v1/calc/:id/status``: ``{id, status, is_running, calculation_mode, description,
        owner, ...}`` (statuses ``created``, ``executing``, ``complete``, ``failed``,
        ``aborted``, ``shared``)."""
        return self._json("GET", f"/v1/calc/{int(calc_id)}/status")

    def info(self, calc_id: int) -> dict:
        """``/v1/calc/:id``: details (``start_time``, ``stop_time``, ``hazard_calculation_id``)."""
        return self._json("GET", f"/v1/calc/{int(calc_id)}")

    def list(self, **filters: Any) -> list[dict]:
        """``/v1/calc/list``: calculations, newest first. Filters as OpenQuake's:
        ``calculation_mode``, ``is_running``, ``limit`` (default 100), ``offset``, ``order_by``,
        ``order_dir``, ``user_name_like``, ``start_time``, ``filter_by_tag`` ..."""
        params = {k: (("true" if v else "false") if isinstance(v, bool) else v)
                  for k, v in filters.items() if v is not None}
        return self._json("GET", "/v1/calc/list", params=params)

    def progress(self, calc_id: int) -> float:
        """Fraction done (0..1) of a calculation, from its status or its log."""
        status = self.status(calc_id)
        if not status.get("is_running", False) and status.get("status") == "complete":
            return 1.0
        return _Progress(self, calc_id).update(status)

    def wait(self, calc_id: int, *, progress: bool = True, timeout: float | None = None,
             poll: float = 0.5, callback: Callable[[float, dict], Any] | None = None) -> str:
        """Wait until a calculation is over; return its final status.

        Parameters
        ----------
        progress : bool
            Show a tqdm bar (``tqdm.auto``: a widget in notebooks) bound to the job's progress:
            the status' ``progress`` field when the server gives one, else the progress lines
            of its log (``progress 40%`` from the toolkit, ``<phase> 40% ...`` from
            OpenQuake).
        timeout : float, optional
            Seconds; raise :class:`~toolkit.errors.ToolkitError` if still running then.
        poll : float
            Seconds between status requests.
        callback : callable, optional
            ``callback(fraction, status)`` after every poll (progress bars of widgets).

        Returns
        -------
        str
            ``"complete"``, ``"failed"``, ``"aborted"`` ... (no exception for a failed job:
            see :meth:`traceback`).
        """
        tracker = _Progress(self, calc_id)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=100, desc=f"calc {calc_id}", unit="%", leave=True,
                       bar_format="{desc}{percentage:3.0f}%|{bar}| [{elapsed}]")
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                status = self.status(calc_id)
                state = str(status.get("status", ""))
                running = bool(status.get("is_running", state not in FINAL_STATUSES))
                fraction = 1.0 if state == "complete" and not running else tracker.update(status)
                if bar is not None:
                    bar.n = round(100 * fraction)
                    bar.set_description(f"calc {calc_id} {tracker.phase or state}".rstrip(),
                                        refresh=False)
                    bar.refresh()
                if callback is not None:
                    callback(fraction, status)
                if not running:
                    return state
                if deadline is not None and time.monotonic() > deadline:
                    raise ToolkitError(f"calculation {calc_id} still {state} after {timeout} s "
                                       f"(GET {self.url(f'/v1/calc/{int(calc_id)}/status')})")
                time.sleep(poll)
        finally:
            if bar is not None:
                bar.close()

    def log(self, calc_id: int, start: int = 0, stop: int | None = None) -> list[list[str]]:
        """Log lines ``[timestamp, level, process, message]`` from ``start`` to ``stop``."""
        span = f"{int(start)}:{'' if stop is None else int(stop)}"
        return self._json("GET", f"/v1/calc/{int(calc_id)}/log/{span}")

    def traceback(self, calc_id: int) -> list[str]:
        """The traceback lines of a failed calculation (``[]`` otherwise)."""
        return self._json("GET", f"/v1/calc/{int(calc_id)}/traceback")

    def abort(self, calc_id: int) -> str:
        """Abort a running calculation; return the server's message (``"Killing job 9"``, or
        ``"Job 9 is not running"``).

        Raises
        ------
        NotFound
            The server does not know the calculation (``"Unknown job 9"``).
        """
        path = f"/v1/calc/{int(calc_id)}/abort"
        body = self._json("POST", path)
        if isinstance(body, dict) and "success" in body:
            return str(body["success"])
        message = str(body.get("error", body)) if isinstance(body, dict) else str(body)
        if message.lower().startswith("unknown job"):
            raise NotFound(f"POST {self.url(path)}: {message}")
        return message

    def remove(self, calc_id: int) -> dict:
        """Delete a calculation and its files: ``{"success": "<id>", "hdf5paths": [...]}``."""
        return self._json("POST", f"/v1/calc/{int(calc_id)}/remove")

    # -- outputs ----------------------------------------------------------------------------
    def results(self, calc_id: int) -> list[dict]:
        """Outputs ``[{id, name, type, outtypes, url, size_mb}]`` of a complete calculation
        (NotFound for a running or failed one)."""
        return self._json("GET", f"/v1/calc/{int(calc_id)}/results")

    def _result(self, calc_id: int, output_type: str) -> dict:
        outputs = self.results(calc_id)
        for out in outputs:
            if out.get("type") == output_type:
                return out
        raise NotFound(f"GET {self.url(f'/v1/calc/{int(calc_id)}/results')}: calculation "
                       f"{calc_id} has no {output_type!r} output; it has "
                       f"{[o.get('type') for o in outputs]}")

    def _get_output(self, result: int | Mapping[str, Any], export_type: str, **kwargs: Any
                    ) -> Any:
        oid = int(result["id"]) if isinstance(result, Mapping) else int(result)
        return self._request("GET", f"/v1/calc/result/{oid}",
                             params={"export_type": export_type}, **kwargs), oid

    def download(self, result_id: int | Mapping[str, Any], export_type: str = "csv",
                 dest: str | Path = ".", *, progress: bool = False) -> Path:
        """Download an output (an id of :meth:`results`, or one of its items).

        Parameters
        ----------
        export_type : str
            ``"csv"`` (always sent: OpenQuake's default, ``xml``, fails for most outputs).
        dest : str or Path
            A folder (the server's file name is kept: ``output-6-hcurves-csv.zip``) or a file.
        progress : bool
            Show a download bar.
        """
        response, oid = self._get_output(result_id, export_type, stream=True)
        name = filename_from_headers(response.headers, f"output-{oid}.{export_type}")
        dest = Path(dest).expanduser()
        target = dest / name if dest.is_dir() or str(dest).endswith(("/", os.sep)) else dest
        return save_response(response, target, progress=progress, description=name)

    def output_table(self, calc_id: int, output_type: str) -> Any:
        """One output exported as CSV and read as a :class:`pandas.DataFrame`.

        Several files (a zip: one per realization, statistic or IMT) are concatenated; the
        column ``file`` names the file of each row, and ``kind`` its ``rlz-000`` / ``mean`` /
        ``quantile-0.15`` when the file name has one.
        """
        import pandas as pd

        response, oid = self._get_output(self._result(calc_id, output_type), "csv")
        where = f"GET {response.url}"
        frames = _csv_members(response.content, where)
        if len(frames) == 1:
            return next(iter(frames.values()))
        parts = []
        for name, frame in frames.items():
            frame = frame.copy()
            frame.insert(0, "file", name)
            match = re.search(r"(rlz-\d+|mean|quantile-[0-9.]+|max|min|std)", name)
            if match:
                frame.insert(1, "kind", match.group(1))
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def extract(self, calc_id: int, spec: str, **params: Any) -> dict[str, np.ndarray]:
        """``/v1/calc/:id/extract/<spec>`` as a dict of arrays.

        Parameters
        ----------
        spec : str
            ``"sitecol"``, ``"hcurves?kind=mean&imt=PGA"``, ``"agg_losses/structural"`` ...
            (the query string is passed through verbatim, as ``WebExtractor`` does).
        **params
            More query parameters (``kind="stats"``).
        """
        path, _, query = spec.partition("?")
        if params:
            extra = urllib.parse.urlencode(params)
            query = f"{query}&{extra}" if query else extra
        url = f"/v1/calc/{int(calc_id)}/extract/{urllib.parse.quote(path, safe='/-_.()')}"
        if query:
            url += f"?{query}"
        response = self._request("GET", url)
        return parse_npz(response.content, f"GET {response.url}")

    def oqparam(self, calc_id: int) -> dict:
        """The job parameters (``extract/oqparam``: ``calculation_mode``, ``hazard_imtls``,
        ``investigation_time``, ``poes`` ...)."""
        arrays = self.extract(calc_id, "oqparam")
        try:
            params = json.loads(_text(arrays["json"]))
        except (KeyError, ValueError) as exc:
            raise ServerError(f"GET {self.url(f'/v1/calc/{int(calc_id)}/extract/oqparam')}: "
                              f"no JSON of parameters ({exc})") from None
        return params

    def sites(self, calc_id: int) -> Any:
        """The site collection (``extract/sitecol``) as a :class:`pandas.DataFrame` indexed by
        site id: ``lon``, ``lat``, ``depth``, ``vs30`` ..."""
        import pandas as pd

        array = self.extract(calc_id, "sitecol")["array"]
        frame = pd.DataFrame({name: array[name] for name in array.dtype.names})
        if "sids" in frame:
            frame = frame.set_index("sids")
        frame.index.name = "site"
        return frame

    def realizations(self, calc_id: int) -> Any:
        """``rlz_id``, ``branch_path``, ``weight`` of the realizations."""
        import pandas as pd

        array = self.extract(calc_id, "realizations")["array"]
        return pd.DataFrame({"rlz_id": array["rlz_id"].astype(int),
                             "branch_path": _strings(array["branch_path"]),
                             "weight": array["weight"].astype(float)})

    def _hazard_meta(self, calc_id: int) -> tuple[dict, Any]:
        params = self.oqparam(calc_id)
        sites = self.sites(calc_id)
        return params, sites

    @staticmethod
    def _kind_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: v for k, v in arrays.items() if k not in _META_KEYS}

    def _imts(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
              where: str) -> tuple[list[str], dict[str, list[float]]]:
        imtls = params.get("hazard_imtls") or params.get("imtls")
        if not isinstance(imtls, Mapping) or not imtls:
            levels = params.get("intensity_measure_types_and_levels")
            imtls = levels if isinstance(levels, Mapping) else None
        if not imtls:
            raise ServerError(f"{where}: the job parameters (extract/oqparam) have no "
                              "hazard_imtls: the intensity levels are unknown")
        imts = _strings(arrays["imt"]) if "imt" in arrays else list(imtls)
        return imts, {str(k): list(v) for k, v in imtls.items()}

    def hazard_curves(self, calc_id: int, *, kind: str = "mean", imt: str | None = None) -> Any:
        """Hazard curves as an :class:`xarray.DataArray` ``poe`` with dims
        ``(kind, site, imt, level)`` (see the module docstring).

        Parameters
        ----------
        kind : str
            ``"mean"``, ``"stats"`` (mean and quantiles), ``"rlzs"``, ``"rlz-0"``,
            ``"quantile-0.15"``, ``"max"`` ...
        imt : str, optional
            Only this IMT.
        """
        query = {"kind": kind, **({"imt": imt} if imt else {})}
        spec = "hcurves?" + urllib.parse.urlencode(query)
        arrays = self.extract(calc_id, spec)
        where = f"GET {self.url(f'/v1/calc/{int(calc_id)}/extract/{spec}')}"
        params, sites = self._hazard_meta(calc_id)
        imts, imtls = self._imts(params, arrays, where)
        curves = self._kind_arrays(arrays)
        return curves_dataarray(curves, imtls, sites["lon"].to_numpy(), sites["lat"].to_numpy(),
                                imts=imts, investigation_time=params.get("investigation_time"))

    def hazard_maps(self, calc_id: int, *, kind: str = "mean", imt: str | None = None) -> Any:
        """Hazard maps as an :class:`xarray.DataArray` ``iml`` with dims
        ``(kind, site, imt, poe)``: the intensity with each probability of exceedance
        (``poes`` of the job) in the investigation time."""
        query = {"kind": kind, **({"imt": imt} if imt else {})}
        spec = "hmaps?" + urllib.parse.urlencode(query)
        arrays = self.extract(calc_id, spec)
        where = f"GET {self.url(f'/v1/calc/{int(calc_id)}/extract/{spec}')}"
        params, sites = self._hazard_meta(calc_id)
        imts, _ = self._imts(params, arrays, where)
        poes = params.get("poes")
        if poes is None:
            raise ServerError(f"{where}: the job parameters have no poes")
        return maps_dataarray(self._kind_arrays(arrays), np.atleast_1d(poes),
                              sites["lon"].to_numpy(), sites["lat"].to_numpy(), imts,
                              investigation_time=params.get("investigation_time"))

    def uhs(self, calc_id: int, *, kind: str = "mean") -> Any:
        """Uniform hazard spectra as an :class:`xarray.DataArray` ``sa`` (g) with dims
        ``(kind, site, poe, period)``."""
        spec = "uhs?" + urllib.parse.urlencode({"kind": kind})
        arrays = self.extract(calc_id, spec)
        params, sites = self._hazard_meta(calc_id)
        spectra: dict[str, np.ndarray] = {}
        poes: list[float] = []
        imts: list[str] = []
        for key, array in self._kind_arrays(arrays).items():
            names = array.dtype.names or ()
            if not names:
                raise ServerError(f"GET .../extract/{spec}: {key!r} is not a structured array")
            poes = [float(n) for n in names]
            imts = list(array.dtype[names[0]].names or ())
            values = np.stack([np.stack([array[p][i].astype(np.float64) for i in imts], axis=-1)
                               for p in names], axis=1)  # (N, P, T)
            spectra[key] = values
        return uhs_dataarray(spectra, poes, imts, sites["lon"].to_numpy(),
                             sites["lat"].to_numpy(),
                             investigation_time=params.get("investigation_time"))

    def gmfs(self, calc_id: int, *, max_values: int = 100_000_000) -> Any:
        """Ground motion fields as an :class:`xarray.Dataset` with dims ``(event, site)`` and
        one variable per IMT (see the module docstring).

        Read from the ``gmf_data`` CSV export (``gmf-data`` and ``sitemesh``: one request),
        with the realization of each event from ``extract/events``. A calculation without that
        output (an OpenQuake server configured otherwise) is read event by event with
        ``extract/gmf_data?event_id=``.

        Parameters
        ----------
        max_values : int
            Refuse more than this many values (events x sites x IMTs) in memory.
        """
        try:
            result = self._result(calc_id, "gmf_data")
        except NotFound:
            result = None
        events, rlz = self._events(calc_id)
        if result is None:
            return self._gmfs_by_event(calc_id, events, rlz, max_values)
        response, _ = self._get_output(result, "csv")
        where = f"GET {response.url}"
        frames = _csv_members(response.content, where)
        data = next((f for n, f in frames.items() if n.startswith("gmf-data")), None)
        mesh = next((f for n, f in frames.items() if n.startswith("sitemesh")), None)
        if data is None:
            raise ServerError(f"{where}: no gmf-data file in {list(frames)}")
        if mesh is None:  # no site mesh to map custom_site_id: read event by event
            return self._gmfs_by_event(calc_id, events, rlz, max_values)
        imts = [c[4:] for c in data.columns if c.startswith("gmv_")]
        if "custom_site_id" in data.columns and "custom_site_id" in mesh.columns:
            index = {sid: i for i, sid in enumerate(mesh["custom_site_id"].astype(str))}
            mapped = data["custom_site_id"].astype(str).map(index)
            if mapped.isna().any():
                raise ServerError(f"{where}: gmf-data names sites missing from the site mesh")
            site_ids = mapped.to_numpy()
        elif "site_id" in data.columns:
            site_ids = data["site_id"].to_numpy()
        else:
            raise ServerError(f"{where}: gmf-data has neither custom_site_id nor site_id")
        if events is None:
            events = np.unique(data["event_id"].to_numpy())
        n_values = len(events) * len(mesh) * max(len(imts), 1)
        if n_values > max_values:
            raise InputError(f"calculation {calc_id}: {len(events)} events x {len(mesh)} sites x "
                             f"{len(imts)} IMTs is more than max_values={max_values}; read "
                             "single events with extract('gmf_data?event_id=...')")
        ds = gmfs_dataset(data["event_id"].to_numpy(), site_ids.astype(np.int64),
                          {imt: data[f"gmv_{imt}"].to_numpy() for imt in imts},
                          mesh["lon"].to_numpy(), mesh["lat"].to_numpy(), events=events,
                          rlz=rlz, custom_site_ids=(mesh["custom_site_id"].astype(str).to_numpy()
                                                    if "custom_site_id" in mesh else None))
        ds.attrs["calc_id"] = int(calc_id)
        return ds

    def _events(self, calc_id: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        try:
            array = self.extract(calc_id, "events")["array"]
        except (NotFound, ServerError, KeyError):
            return None, None
        order = np.argsort(array["id"], kind="stable")
        return array["id"][order].astype(np.int64), array["rlz_id"][order].astype(np.int64)

    def _gmfs_by_event(self, calc_id: int, events: np.ndarray | None, rlz: np.ndarray | None,
                       max_values: int) -> Any:
        if events is None:
            raise NotFound(f"calculation {calc_id} has no ground motion fields (no gmf_data "
                           "output and no events)")
        sites = self.sites(calc_id)
        keys = _geohash_free_ids(sites)
        if len(events) * len(sites) > max_values:
            raise InputError(f"calculation {calc_id}: {len(events)} events x {len(sites)} sites "
                             f"is more than max_values={max_values}")
        rows_e: list[np.ndarray] = []
        rows_s: list[np.ndarray] = []
        values: dict[str, list[np.ndarray]] = {}
        lookup = {(round(lo, 5), round(la, 5)): i
                  for i, (lo, la) in enumerate(zip(keys["lon"], keys["lat"], strict=True))}
        for eid in events:
            arrays = self.extract(calc_id, f"gmf_data?event_id={int(eid)}")
            for key, array in self._kind_arrays(arrays).items():
                if not key.startswith("rlz-") or array.dtype.names is None:
                    continue
                idx = np.array([lookup.get((round(lo, 5), round(la, 5)), -1)
                                for lo, la in zip(array["lon"], array["lat"], strict=True)],
                               dtype=np.int64)
                if (idx < 0).any():
                    raise ServerError(f"extract/gmf_data?event_id={eid}: sites not in sitecol")
                rows_e.append(np.full(idx.size, eid, dtype=np.int64))
                rows_s.append(idx)
                for imt in array.dtype.names[3:]:
                    values.setdefault(imt, []).append(array[imt])
        return gmfs_dataset(np.concatenate(rows_e) if rows_e else [],
                            np.concatenate(rows_s) if rows_s else [],
                            {k: np.concatenate(v) for k, v in values.items()},
                            keys["lon"].to_numpy(), keys["lat"].to_numpy(), events=events,
                            rlz=rlz)

    def losses(self, calc_id: int, *, by: str = "asset") -> Any:
        """Losses of a risk calculation as a :class:`pandas.DataFrame` (the CSV exports).

        Parameters
        ----------
        by : {"asset", "event", "aggregate", "curve"}
            ``asset``: average loss per asset and loss type (``avg_losses-rlzs``: columns
            ``asset_id``, tags, ``taxonomy``, ``lon``, ``lat``, one per loss type; ``kind``
            with several realizations); ``event``: ``risk_by_event`` (``event_id``, ``loss``,
            ``loss_type``); ``aggregate``: ``aggrisk`` (``loss_type``, ``loss_value``,
            ``loss_ratio``); ``curve``: ``aggcurves`` (``return_period``, ``loss_type``,
            ``loss_value`` ...; event-based risk).
        """
        types = {"asset": "avg_losses-rlzs", "event": "risk_by_event", "aggregate": "aggrisk",
                 "curve": "aggcurves"}
        if by not in types:
            raise InputError(f"by={by!r}: expected one of {sorted(types)}")
        return self.output_table(calc_id, types[by])

    def damages(self, calc_id: int, *, by: str = "asset") -> Any:
        """Damage distributions of a damage calculation as a :class:`pandas.DataFrame`.

        Parameters
        ----------
        by : {"asset", "event", "aggregate"}
            ``asset``: ``extract/damages-rlzs``, one row per asset and realization (``rlz``),
            columns ``id``, tags, ``taxonomy``, ``lon``, ``lat`` and
            ``<loss type>-<damage state>`` (buildings); ``event``: ``risk_by_event``;
            ``aggregate``: ``aggrisk`` (``loss_type`` and one column per damage state).
        """
        import pandas as pd

        if by == "event":
            return self.output_table(calc_id, "risk_by_event")
        if by == "aggregate":
            return self.output_table(calc_id, "aggrisk")
        if by != "asset":
            raise InputError(f"by={by!r}: expected 'asset', 'event' or 'aggregate'")
        arrays = self._kind_arrays(self.extract(calc_id, "damages-rlzs"))
        parts = []
        for key, array in arrays.items():
            columns = {}
            for name in array.dtype.names or ():
                column = array[name]
                columns[name] = _strings(column) if column.dtype.kind in "SU" else column
            frame = pd.DataFrame(columns)
            frame.insert(0, "rlz", int(key[4:]) if key.startswith("rlz-") else key)
            parts.append(frame)
        if not parts:
            raise NotFound(f"calculation {calc_id}: no damages-rlzs")
        return pd.concat(parts, ignore_index=True)


def _geohash_free_ids(sites: Any) -> Any:
    """A site mesh frame (``lon``, ``lat``) from :meth:`Client.sites`, for the GMF readers."""
    import pandas as pd

    return pd.DataFrame({"lon": sites["lon"].to_numpy(), "lat": sites["lat"].to_numpy()})


def _csv_members(content: bytes, where: str) -> dict[str, Any]:
    """``{file name: DataFrame}`` of an export: a zip of CSV files or a single CSV."""
    if content[:2] == b"PK":
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile as exc:
            raise ServerError(f"{where}: a broken zip ({exc})") from None
        with archive:
            return {Path(info.filename).name: read_oq_csv(archive.read(info), where)
                    for info in archive.infolist()
                    if not info.is_dir() and info.filename.lower().endswith(".csv")}
    return {"output.csv": read_oq_csv(content, where)}

