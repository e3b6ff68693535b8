"""Client of the Lizard API v4 scenario results: ``toolkit serve`` (``/api/v4``) or Lizard itself.

The protocol is Lizard's, as documented and as its clients use it
(``shared/reference/lizard/NOTES.md``):

- authentication: HTTP Basic with the user ``__key__`` and a personal API key as password,
  sent only to the API's own host (never to presigned S3 URLs, which reject it);
- lists are paginated (``count``, ``next``, ``previous``, ``results``): every page is followed
  through ``next``, which the official downloader and QGIS plugin do not do;
- results of a scenario come from ``/scenarios/{uuid}/results/`` or a family sub-endpoint
  (``raw``, ``basic``, ``arrival``, ``damage``); a result has ``code``, ``family``, ``raster``
  (a raster URL or null) and ``attachment_url`` (a file: legacy API URL or presigned S3);
- a raster window is exported asynchronously: ``GET /rasters/{uuid}/data/?bbox=&width=&height=
  &projection=&format=geotiff&async=true`` answers a task ``{task_id, url}``; ``GET
  /tasks/{uuid}/`` is polled until ``status`` is ``SUCCESS`` and ``result`` is the URL of the
  GeoTIFF (``FAILURE``/``REVOKED`` stop), with a timeout (the downloader polls forever).

:meth:`ScenarioClient.raster` returns an :class:`xarray.DataArray` with dims ``(y, x)``
(``(band, y, x)`` for several bands), pixel-centre coordinates ``x``/``y`` in the requested
projection, NaN for nodata, and attributes ``crs``, ``transform``, ``units`` (the raster's
observation type), ``long_name``; :meth:`ScenarioClient.open_raw` downloads the raw 3Di files
and opens them with :func:`toolkit.scenarios.threedi.open_threedi`.
"""

from __future__ import annotations

import json
import re
import time as _time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from toolkit.client.errors import (
    ServerError,
    describe_body,
    filename_from_headers,
    save_response,
    send,
)
from toolkit.errors import InputError, NotFound, ToolkitError

__all__ = ["ScenarioClient", "open_scenario", "DEFAULT_URL", "FAMILIES", "RAW_CODES",
           "read_geotiff"]

#: The Lizard API of ``toolkit serve``.
DEFAULT_URL = "http://127.0.0.1:8800/api/v4"
#: Result families (sub-endpoints of ``/scenarios/{uuid}/results/``).
FAMILIES = ("raw", "basic", "arrival", "damage", "tiles")
#: Raw 3Di files by result code.
RAW_CODES = {"grid-admin": "gridadmin.h5", "results-3di": "results_3di.nc",
             "aggregate-results-3di": "aggregate_results_3di.nc", "logfiles": "log_files.zip"}
_PENDING = {"PENDING", "STARTED", "RETRY", "RECEIVED", "UNKNOWN", "QUEUED", "PROGRESS"}
_FAILED = {"FAILURE", "REVOKED", "FAILED", "ERROR"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")
_MANIFEST = ".toolkit-downloads.json"


def read_geotiff(content: bytes | str | Path, where: str = "") -> Any:
    """A GeoTIFF (bytes, or a file path) as an :class:`xarray.DataArray`: dims ``(y, x)`` or
    ``(band, y, x)``, pixel-centre coordinates, NaN for nodata and masked pixels.

    Attributes: ``crs`` (WKT or ``EPSG:n``), ``transform`` (the affine coefficients
    ``a, b, c, d, e, f``), ``nodata``, ``units`` and the other GDAL tags of the file; the band
    descriptions (ISO times of temporal rasters) are the coordinate ``band`` when present.
    """
    import rasterio
    import xarray as xr
    from rasterio.errors import RasterioError

    if isinstance(content, str | Path):
        where = where or str(content)
        try:
            content = Path(content).read_bytes()
        except OSError as exc:
            raise InputError(f"{content}: cannot read the GeoTIFF ({exc})") from None
    try:
        with rasterio.MemoryFile(content) as memory, memory.open() as src:
            data = src.read(masked=True)
            transform, crs = src.transform, src.crs
            tags = dict(src.tags())
            descriptions = list(src.descriptions)
            nodata = src.nodata
    except RasterioError as exc:
        raise ServerError(f"{where}: not a readable GeoTIFF ({exc})") from None
    if transform.b != 0 or transform.d != 0:
        raise InputError(f"{where}: a rotated raster (transform {tuple(transform)[:6]}) is not "
                         "supported")
    values = np.ma.filled(data.astype(np.float64), np.nan)
    _, height, width = values.shape
    x = transform.c + transform.a * (np.arange(width) + 0.5)
    y = transform.f + transform.e * (np.arange(height) + 0.5)
    attrs: dict[str, Any] = {k: v for k, v in tags.items() if k not in ("AREA_OR_POINT",)}
    attrs.update(crs=crs.to_string() if crs is not None else "",
                 transform=tuple(float(v) for v in tuple(transform)[:6]),
                 nodata=np.nan if nodata is None else float(nodata))
    geographic = bool(crs is not None and crs.is_geographic)
    coords: dict[str, Any] = {"x": ("x", x), "y": ("y", y)}
    if values.shape[0] == 1:
        da = xr.DataArray(values[0], dims=("y", "x"), coords=coords, attrs=attrs)
    else:
        if all(descriptions):
            coords["band"] = ("band", [str(d) for d in descriptions])
        else:
            coords["band"] = ("band", np.arange(1, values.shape[0] + 1))
        da = xr.DataArray(values, dims=("band", "y", "x"), coords=coords, attrs=attrs)
    unit = "degrees" if geographic else "m"
    da.coords["x"].attrs.update(units=unit, long_name="longitude" if geographic else "x")
    da.coords["y"].attrs.update(units=unit, long_name="latitude" if geographic else "y")
    return da


def _utc(value: Any) -> datetime:
    """A time as a naive UTC datetime (ISO strings with ``Z`` or offsets, datetimes,
    numpy.datetime64)."""
    from datetime import UTC

    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").astype(datetime)
    elif isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"time={value!r}: not an ISO 8601 time") from None
    if not isinstance(value, datetime):
        raise InputError(f"time={value!r}: expected an ISO string, datetime or "
                         "numpy.datetime64")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _iso(value: Any) -> str:
    """A time as Lizard writes it: ``2024-01-01T02:00:00Z`` (UTC)."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class ScenarioClient:
    """Client of the Lizard API v4 scenario results (``toolkit serve`` or Lizard).

    Parameters
    ----------
    base_url : str
        API root, e.g. ``"http://127.0.0.1:8800/api/v4"`` or ``"https://demo.lizard.net/api/v4"``.
    api_key : str, optional
        Personal API key: sent as HTTP Basic ``__key__:<key>`` to the API's host only.
    timeout : float
        Seconds to wait for a connection and for each read.
    session : requests.Session, optional
        The transport (tests mount adapters on it).
    page_size : int
        Items asked per page (Lizard's default is 10); every page is read anyway.

    Examples
    --------
    >>> lizard = toolkit.ScenarioClient("http://127.0.0.1:8800/api/v4")   # doctest: +SKIP
    >>> first = next(lizard.scenarios(name__icontains="dike"))            # doctest: +SKIP
    >>> raw = lizard.open_raw(first["uuid"], "downloads/")                # doctest: +SKIP
    """

    def __init__(self, base_url: str = DEFAULT_URL, api_key: str | None = None,
                 timeout: float = 30.0, *, session: Any = None, page_size: int = 100) -> None:
        import requests

        self.base_url = str(base_url).rstrip("/")
        if not re.match(r"^https?://", self.base_url):
            raise InputError(f"base_url={base_url!r}: expected http(s)://host/api/v4")
        self.api_key = api_key
        self.timeout = timeout
        self.page_size = int(page_size)
        self.session = session if session is not None else requests.Session()
        self._host = urlsplit(self.base_url).netloc.lower()

    def __repr__(self) -> str:
        return f"ScenarioClient({self.base_url!r})"

    def __enter__(self) -> ScenarioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- transport --------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of an API path (``scenarios/``) or a URL as is."""
        if re.match(r"^https?://", path):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _auth(self, url: str) -> tuple[str, str] | None:
        """Basic ``__key__`` auth for the API's own host only (never for S3 and others)."""
        if self.api_key and urlsplit(url).netloc.lower() == self._host:
            return ("__key__", self.api_key)
        return None

    def _get(self, path: str, **kwargs: Any) -> Any:
        url = self.url(path)
        return send(self.session, "GET", url, timeout=self.timeout, auth=self._auth(url),
                    **kwargs)

    def _json(self, path: str, **kwargs: Any) -> Any:
        response = self._get(path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ServerError(f"GET {response.url}: expected JSON, got "
                              f"{response.headers.get('Content-Type', '?')}: "
                              f"{describe_body(response.text)[:200]}") from None

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict]:
        """Every item of a paginated list, following ``next`` until it is null."""
        url: str | None = self.url(path)
        query: Mapping[str, Any] | None = params
        seen: set[str] = set()
        while url:
            body = self._json(url, params=query)
            if isinstance(body, list):  # an unpaginated list
                yield from body
                return
            if not isinstance(body, dict) or "results" not in body:
                raise ServerError(f"GET {url}: expected a page (count, next, results), got "
                                  f"{str(body)[:200]}")
            yield from body["results"]
            following = body.get("next")
            if not following:
                return
            if following in seen:
                raise ServerError(f"GET {url}: the pages loop back to {following}")
            seen.add(following)
            url, query = following, None

    # -- scenarios and results --------------------------------------------------------------
    def scenarios(self, **filters: Any) -> Iterator[dict]:
        """Every scenario matching Lizard's filters (``name__icontains``, ``model_name``,
        ``organisation``, ``ordering="-created"`` ...), across all pages."""
        params = {"page_size": self.page_size} if not ({"limit", "page_size"} & set(filters)) \
            else {}
        params.update({k: v for k, v in filters.items() if v is not None})
        yield from self.pages("scenarios/", params)

    def scenario(self, uuid: str) -> dict:
        """One scenario: ``uuid``, ``name``, ``model_name``, ``simulation_start`` ...,
        the extent (``projection``, ``origin_x`` ...)."""
        return self._json(f"scenarios/{self._uuid(uuid)}/")

    def results(self, uuid: str, family: str | None = None) -> list[dict]:
        """Results of a scenario (all pages), optionally of one family (``raw``, ``basic``,
        ``arrival``, ``damage``)."""
        path = f"scenarios/{self._uuid(uuid)}/results/"
        if family is not None:
            name = str(family).strip().lower()
            if name not in FAMILIES:
                raise InputError(f"family={family!r}: expected one of {', '.join(FAMILIES)}")
            path += f"{name}/"
        params = {"page_size": self.page_size}
        return list(self.pages(path, params))

    def result(self, uuid: str, code: str) -> dict:
        """The result of a scenario with a given code (``depth-max-dtri``, ``results-3di``)."""
        found = self.results(uuid)
        for item in found:
            if item.get("code") == code:
                return item
        raise NotFound(f"GET {self.url(f'scenarios/{uuid}/results/')}: scenario {uuid} has no "
                       f"result {code!r}; codes: {sorted({str(r.get('code')) for r in found})}")

    def open_scenario(self, uuid: str) -> dict:
        """The scenario (:meth:`scenario`) with its results (:meth:`results`) under
        ``"results"``: what :func:`toolkit.open_scenario` returns in-process."""
        return {**self.scenario(uuid), "results": self.results(uuid)}

    @staticmethod
    def _uuid(uuid: Any) -> str:
        if isinstance(uuid, Mapping):
            uuid = uuid.get("uuid", "")
        text = str(uuid).strip()
        if not text or "/" in text or "?" in text:
            raise InputError(f"scenario uuid {uuid!r}: expected a uuid")
        return text

    # -- attachments ------------------------------------------------------------------------
    def download(self, result: Mapping[str, Any], dest: str | Path,
                 progress: bool = True) -> Path:
        """Download the attachment of a result (``attachment_url``).

        Parameters
        ----------
        result : dict
            An item of :meth:`results`.
        dest : str or Path
            A folder (the file keeps its name: ``gridadmin.h5``) or a file path.
        progress : bool
            Show a tqdm bar (bytes).

        Raises
        ------
        NotFound
            The result has no attachment (a raster: use :meth:`raster`).
        ServerUnreachable
            The connection dropped or the file arrived incomplete (nothing is left behind).
        """
        url = result.get("attachment_url") if isinstance(result, Mapping) else None
        if not url:
            code = result.get("code") if isinstance(result, Mapping) else result
            raise NotFound(f"result {code!r} has no attachment_url"
                           + (" (it is a raster: use raster())"
                              if isinstance(result, Mapping) and result.get("raster") else ""))
        dest = Path(dest).expanduser()
        if str(url).startswith("file://"):  # a result of open_scenario (in-process)
            import shutil

            source = Path(unquote(urlsplit(url).path))
            if not source.is_file():
                raise NotFound(f"{source}: the attachment of result {result.get('code')!r} "
                               "is gone")
            target = dest / source.name if dest.is_dir() or str(dest).endswith(
                ("/", "\\")) else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            return target
        response = self._get(url, stream=True)
        default = unquote(Path(urlsplit(url).path).name) or f"result-{result.get('id', 'file')}"
        name = filename_from_headers(response.headers, default)
        target = dest / name if dest.is_dir() or str(dest).endswith(("/", "\\")) else dest
        return save_response(response, target, progress=progress, description=name)

    # -- rasters ----------------------------------------------------------------------------
    def _raster_url(self, raster: Any) -> str:
        if isinstance(raster, Mapping):
            if raster.get("raster"):  # a result
                raster = raster["raster"]
            elif raster.get("url") and "/rasters/" in str(raster.get("url")):
                raster = raster["url"]
            elif raster.get("uuid"):
                raster = raster["uuid"]
            else:
                raise NotFound(f"result {raster.get('code')!r} has no raster")
        text = str(raster).strip()
        if re.match(r"^https?://", text):
            return text if text.endswith("/") else text + "/"
        if not _UUID.match(text):
            raise InputError(f"raster {raster!r}: expected a raster uuid, URL or result")
        return self.url(f"rasters/{text}/")

    def raster_info(self, raster: Any) -> dict:
        """The raster object (``name``, ``projection``, ``temporal``, ``observation_type``,
        ``spatial_bounds`` ...) of a raster uuid, URL or result."""
        return self._json(self._raster_url(raster))

    def timesteps(self, raster: Any) -> list[str]:
        """ISO times of a temporal raster (``/rasters/{uuid}/timesteps/``)."""
        body = self._json(self._raster_url(raster) + "timesteps/")
        steps = body.get("steps", []) if isinstance(body, dict) else body
        return [str(s) for s in steps]

    def raster(self, raster_uuid_or_url: Any, bbox: Sequence[float], width: int, height: int,
               *, projection: str | None = None, time: Any = None, poll: float = 1.0,
               timeout: float = 600.0) -> Any:
        """A raster window as an :class:`xarray.DataArray`, through Lizard's asynchronous
        GeoTIFF export.

        Parameters
        ----------
        raster_uuid_or_url : str or dict
            A raster uuid, a raster URL, or a result with a ``raster``.
        bbox : (x1, y1, x2, y2)
            The window, in ``projection`` units.
        width, height : int
            Pixels.
        projection : str, optional
            ``"EPSG:28992"``...; default the raster's own projection.
        time : str, datetime or numpy.datetime64, optional
            Time step of a temporal raster (``start=``; Lizard snaps to the nearest step).
        poll, timeout : float
            Seconds between task polls, and in all.

        Returns
        -------
        xarray.DataArray
            See :func:`read_geotiff`; plus ``long_name`` (the raster's name), ``units`` (its
            observation type), and a scalar ``time`` coordinate when ``time`` was given.
        """
        if len(bbox) != 4:
            raise InputError(f"bbox={bbox!r}: expected (x1, y1, x2, y2)")
        width, height = int(width), int(height)
        if width < 1 or height < 1:
            raise InputError(f"width={width}, height={height}: expected positive pixel counts")
        url = self._raster_url(raster_uuid_or_url)
        info = self._json(url)
        projection = projection or info.get("projection") or "EPSG:4326"
        params: dict[str, Any] = {
            "bbox": ",".join(f"{float(v):.10g}" for v in bbox), "width": width,
            "height": height, "projection": projection, "format": "geotiff", "async": "true",
        }
        if time is not None:
            params["start"] = _iso(time)
        response = self._get(url + "data/", params=params)
        kind = response.headers.get("Content-Type", "")
        if "tiff" in kind or response.content[:4] in (b"II*\x00", b"MM\x00*"):
            content, where = response.content, f"GET {response.url}"  # a synchronous answer
        else:
            try:
                task = response.json()
            except ValueError:
                raise ServerError(f"GET {response.url}: expected a task or a GeoTIFF, got "
                                  f"{kind or '?'}") from None
            result_url = self._wait_task(task, f"GET {response.url}", poll, timeout)
            download = self._get(result_url)
            content, where = download.content, f"GET {download.url}"
        da = read_geotiff(content, where)
        da.name = str(info.get("name") or "raster")
        da.attrs["long_name"] = str(info.get("name") or da.attrs.get("name", ""))
        observation = info.get("observation_type") or {}
        if isinstance(observation, Mapping) and observation.get("unit"):
            da.attrs["units"] = str(observation["unit"])
        da.attrs.setdefault("units", "")
        da.attrs["raster"] = url
        if time is not None and "band" not in da.dims:
            da = da.assign_coords(time=np.datetime64(_utc(time), "ns"))
        return da

    def _wait_task(self, task: Any, where: str, poll: float, timeout: float) -> str:
        if not isinstance(task, Mapping):
            raise ServerError(f"{where}: expected a task object, got {str(task)[:200]}")
        task_url = task.get("url")
        task_id = task.get("task_id") or task.get("uuid")
        if not task_url:
            if not task_id:
                raise ServerError(f"{where}: the task has neither url nor task_id: {task}")
            task_url = self.url(f"tasks/{task_id}/")
        deadline = _time.monotonic() + timeout
        body: Any = task
        while True:
            status = str(body.get("status", "")).upper() if isinstance(body, Mapping) else ""
            if status == "SUCCESS":
                result = body.get("result")
                if isinstance(result, Mapping):
                    result = result.get("url") or result.get("download_url")
                if not result:
                    raise ServerError(f"GET {task_url}: task SUCCESS without a result URL")
                return str(result)
            if status in _FAILED:
                detail = body.get("detail") or body.get("result") or ""
                raise ServerError(f"GET {task_url}: the raster export task {status}"
                                  + (f": {detail}" if detail else ""))
            if status and status not in _PENDING:
                raise ServerError(f"GET {task_url}: unknown task status {status!r}")
            if _time.monotonic() > deadline:
                raise ToolkitError(f"GET {task_url}: the raster export task is still "
                                   f"{status or 'pending'} after {timeout} s")
            if body is not task:
                _time.sleep(poll)
            body = self._json(task_url)

    # -- raw 3Di results --------------------------------------------------------------------
    def open_raw(self, uuid: str, dest_dir: str | Path, *, aggregate: bool = True,
                 progress: bool = True, overwrite: bool = False) -> Any:
        """Download a scenario's raw 3Di results and open them.

        Parameters
        ----------
        uuid : str
            The scenario.
        dest_dir : str or Path
            Folder for ``gridadmin.h5``, ``results_3di.nc`` (and
            ``aggregate_results_3di.nc``); files downloaded before for the same scenario
            result and of the same size are reused unless ``overwrite``.
        aggregate : bool
            Also the aggregate results when the scenario has them.
        progress : bool
            Show download bars.

        Returns
        -------
        toolkit.scenarios.threedi.ThreediResult
            Open for reading (close it, or use ``with``).

        Raises
        ------
        NotFound
            The scenario has no raw results (``grid-admin`` and ``results-3di``).
        """
        from toolkit.scenarios.threedi import open_threedi

        uuid = self._uuid(uuid)
        dest = Path(dest_dir).expanduser()
        dest.mkdir(parents=True, exist_ok=True)
        raw = {r.get("code"): r for r in self.results(uuid, "raw")}
        missing = [c for c in ("grid-admin", "results-3di")
                   if not (raw.get(c) or {}).get("attachment_url")]
        if missing:
            raise NotFound(f"GET {self.url(f'scenarios/{uuid}/results/raw/')}: scenario {uuid} "
                           f"has no raw result {' or '.join(missing)} (codes: "
                           f"{sorted(str(c) for c in raw)})")
        codes = ["grid-admin", "results-3di"]
        if aggregate and (raw.get("aggregate-results-3di") or {}).get("attachment_url"):
            codes.append("aggregate-results-3di")
        paths = {code: self._fetch(uuid, raw[code], dest, progress, overwrite) for code in codes}
        return open_threedi(paths["grid-admin"], paths["results-3di"],
                            paths.get("aggregate-results-3di"))

    def _fetch(self, uuid: str, result: Mapping[str, Any], dest: Path, progress: bool,
               overwrite: bool) -> Path:
        manifest_path = dest / _MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            manifest = {}
        key = f"{uuid}/{result.get('id')}/{result.get('code')}"
        entry = manifest.get(key)
        if entry and not overwrite:
            path = dest / entry.get("file", "")
            if path.is_file() and path.stat().st_size == entry.get("size"):
                return path
        path = self.download(result, dest, progress=progress)
        manifest[key] = {"file": path.name, "size": path.stat().st_size}
        manifest_path.write_text(json.dumps(manifest, indent=1))
        return path


def _iso_z(ts: str | None) -> str | None:
    return ts.replace(".000000Z", "Z") if ts else ts


def open_scenario(uuid: str, *, data_dir: str | Path | None = None) -> dict:
    """A scenario of the local store, in-process (no server), shaped as
    :meth:`ScenarioClient.open_scenario` returns it from ``/api/v4``.

    Parameters
    ----------
    uuid : str
        The scenario.
    data_dir : path, optional
        The toolkit's data directory (default: the settings, ``~/toolkit_data`` or
        ``TOOLKIT_DATA``).

    Returns
    -------
    dict
        Lizard's scenario fields (``uuid``, ``name``, ``organisation`` ``{name}``,
        ``simulation_start``, ``model_name``, the extent ``projection``, ``origin_x`` ...;
        ``url`` is None) and ``results``: a list of result dicts with Lizard's fields (``id``,
        ``name``, ``code``, ``description``, ``family``; ``raster`` is the raster's uuid,
        ``attachment_url`` a ``file://`` URI, ``url`` and ``upload_url`` None) plus the local
        paths ``file`` (attachment) and ``raster_file`` (GeoTIFF: read it with
        :func:`read_geotiff`) and the raster ``unit``. :meth:`ScenarioClient.download` copies
        such an attachment; :meth:`ScenarioClient.raster` takes the result for a window only
        over HTTP.

    Raises
    ------
    NotFound
        No such scenario in the store.
    """
    from toolkit.config import load_settings
    from toolkit.store.catalogue import Catalogue
    from toolkit.store.scenarios import ScenarioStore

    settings = load_settings()
    if data_dir is not None:
        settings = settings.with_(data_dir=Path(data_dir).expanduser())
    if not settings.catalogue_path.is_file():
        raise NotFound(f"scenario {uuid}: no catalogue at {settings.catalogue_path}")
    with Catalogue(settings.catalogue_path) as catalogue:
        store = ScenarioStore(catalogue, settings.data_dir)
        s = store.get(str(uuid))
        rows = store.list_results(s.uuid)
        rasters = {}
        for row in rows:
            if row.raster_uuid and row.raster_uuid not in rasters:
                rasters[row.raster_uuid] = store.get_raster(row.raster_uuid)[0]
        paths = {row.id: store.path(row.file) if row.file else None for row in rows}
        raster_paths = {k: store.path(r.file) if r.file else None for k, r in rasters.items()}
    results = []
    for row in rows:
        raster = rasters.get(row.raster_uuid) if row.raster_uuid else None
        path = paths[row.id]
        results.append({
            "url": None, "id": row.id, "name": row.name, "code": row.code,
            "description": row.description, "family": row.family,
            "raster": row.raster_uuid, "attachment_url": path.as_uri() if path else None,
            "upload_url": None, "file": path,
            "raster_file": raster_paths.get(row.raster_uuid) if raster else None,
            "unit": raster.unit if raster else "",
        })
    return {
        "url": None, "uuid": s.uuid, "name": s.name, "source": s.source,
        "description": s.description,
        "organisation": {"url": None, "uuid": None, "name": s.organisation}
        if s.organisation else None,
        "access_modifier": s.access_modifier, "created": _iso_z(s.created),
        "last_modified": _iso_z(s.last_modified),
        "simulation_identifier": s.simulation_identifier,
        "simulation_start": _iso_z(s.simulation_start),
        "simulation_end": _iso_z(s.simulation_end), "supplier": s.supplier or None,
        "model_identifier": s.model_identifier, "model_revision": s.model_revision,
        "model_name": s.model_name, "has_raw_results": s.has_raw_results,
        "total_size": s.total_size, "extra_metadata": s.extra_metadata, "project": s.project,
        "projection": s.projection, "origin_x": s.origin_x, "origin_y": s.origin_y,
        "upper_bound_x": s.upper_bound_x, "upper_bound_y": s.upper_bound_y,
        "pixelsize_x": s.pixelsize_x, "pixelsize_y": s.pixelsize_y,
        "results": results,
    }
