"""Settings: the one place that reads the environment.

A :class:`Settings` object is built from defaults, an optional settings file
(``<data_dir>/settings.toml``) and ``TOOLKIT_*`` environment variables, in that order of
precedence (environment wins). Library code receives a ``Settings`` object; it never reads
``os.environ`` itself.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from toolkit.errors import InputError

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """Toolkit settings.

    Attributes
    ----------
    data_dir : Path
        Where the catalogue (``db.sqlite3``) and the datastores (``calc_<id>.hdf5``) live.
        Default ``~/toolkit_data``; environment ``TOOLKIT_DATA``.
    executor : str
        ``"serial"``, ``"processpool"``, ``"dask"`` (a local dask cluster) or
        ``"dask://host:port"`` (a running dask scheduler; see docs/dask.md)
        (environment ``TOOLKIT_EXECUTOR``).
    num_workers : int
        Worker processes of the process pool or the local dask cluster; 0 means one per core.
    require_shared : bool
        Tests of shared verification data fail instead of skipping (``TOOLKIT_REQUIRE_SHARED``).
    require_browser : bool
        Browser tests fail instead of skipping (``TOOLKIT_REQUIRE_BROWSER``).
    host, port : str, int
        Where ``toolkit serve`` listens (default 127.0.0.1:8800: local only).
    auth_mode : str
        ``"public"`` (no authentication, local single user) or ``"restricted"`` (users log
        in; each sees their own and shared calculations, an admin sees all)
        (``TOOLKIT_AUTH_MODE``).
    max_concurrent_jobs : int
        Calculations run at once by the server; others queue (``TOOLKIT_MAX_CONCURRENT_JOBS``).
    max_upload_mb : float
        Largest accepted upload (request body), MB.
    max_unzipped_mb : float
        Largest total uncompressed size of an uploaded zip archive, MB (zip bombs).
    max_zip_entries : int
        Most files in an uploaded zip archive.
    server_url : str
        Server the notebooks and Voila apps talk to (``TOOLKIT_SERVER_URL``); empty means
        in-process (no server needed, as on Binder).
    """

    data_dir: Path = field(default_factory=lambda: Path.home() / "toolkit_data")
    executor: str = "serial"
    num_workers: int = 0
    host: str = "127.0.0.1"
    port: int = 8800
    require_shared: bool = False
    require_browser: bool = False
    auth_mode: str = "public"
    max_concurrent_jobs: int = 2
    max_upload_mb: float = 200.0
    max_unzipped_mb: float = 1000.0
    max_zip_entries: int = 10_000
    server_url: str = ""

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    @property
    def catalogue_path(self) -> Path:
        return self.data_dir / "db.sqlite3"


_ENV = {
    "TOOLKIT_DATA": "data_dir",
    "TOOLKIT_EXECUTOR": "executor",
    "TOOLKIT_NUM_WORKERS": "num_workers",
    "TOOLKIT_HOST": "host",
    "TOOLKIT_PORT": "port",
    "TOOLKIT_REQUIRE_SHARED": "require_shared",
    "TOOLKIT_REQUIRE_BROWSER": "require_browser",
    "TOOLKIT_AUTH_MODE": "auth_mode",
    "TOOLKIT_MAX_CONCURRENT_JOBS": "max_concurrent_jobs",
    "TOOLKIT_MAX_UPLOAD_MB": "max_upload_mb",
    "TOOLKIT_SERVER_URL": "server_url",
}
_EXECUTORS = ("serial", "processpool")
_AUTH_MODES = ("public", "restricted")


def _convert(name: str, value: object, source: str) -> object:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    try:
        if kind == "Path":
            return Path(str(value)).expanduser()
        if kind == "int":
            return int(value)  # type: ignore[arg-type]
        if kind == "float":
            return float(value)  # type: ignore[arg-type]
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        return str(value)
    except (TypeError, ValueError):
        raise InputError(f"{source}: setting {name!r} has invalid value {value!r}") from None


def load_settings(
    environ: Mapping[str, str] | None = None, settings_file: Path | None = None
) -> Settings:
    """Build the settings from defaults, a settings file and the environment.

    Parameters
    ----------
    environ : mapping, optional
        Environment to read (default: ``os.environ``).
    settings_file : Path, optional
        TOML file with a ``[toolkit]`` table; default ``<data_dir>/settings.toml`` if present.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    data_dir = env.get("TOOLKIT_DATA")
    base = Settings() if data_dir is None else Settings(data_dir=Path(data_dir).expanduser())
    path = settings_file or base.data_dir / "settings.toml"
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("toolkit", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: invalid TOML: {exc}") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        known = {f.name for f in fields(Settings)}
        for key, value in table.items():
            if key not in known:
                raise InputError(f"{path}: unknown setting {key!r}; known: {sorted(known)}")
            values[key] = _convert(key, value, str(path))
    for var, name in _ENV.items():
        if var in env:
            values[name] = _convert(name, env[var], f"environment variable {var}")
    settings = replace(base, **values)
    if settings.num_workers < 0:
        raise InputError(f"setting 'num_workers' must be >= 0, got {settings.num_workers}")
    if not 0 < settings.port < 65536:
        raise InputError(f"setting 'port' must be in 1-65535, got {settings.port}")
    if settings.auth_mode not in _AUTH_MODES:
        raise InputError(
            f"setting 'auth_mode' must be one of {_AUTH_MODES}, got {settings.auth_mode!r}"
        )
    for name in ("max_concurrent_jobs", "max_upload_mb", "max_unzipped_mb", "max_zip_entries"):
        if getattr(settings, name) <= 0:
            raise InputError(f"setting {name!r} must be positive, got {getattr(settings, name)}")
    check_executor(settings.executor)
    return settings


def check_executor(spec: str) -> str:
    """``spec`` if it names an executor: ``serial``, ``processpool``, ``dask`` or
    ``dask://host[:port]`` (checked by the dask executor's own parser); InputError otherwise."""
    if spec not in _EXECUTORS:
        if not spec.startswith("dask"):
            raise InputError(f"setting 'executor' must be one of {_EXECUTORS}, 'dask' or "
                             f"'dask://host:port', got {spec!r}")
        from toolkit.engine.executor_dask import parse_address

        parse_address(spec)
    return spec
