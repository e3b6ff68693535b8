"""Services over HTTP: :class:`toolkit.client.Client` (OpenQuake WebAPI) and
:class:`toolkit.client.ScenarioClient` (Lizard API v4), for ``toolkit serve`` or the real
servers. They adapt the clients' answers (dicts, xarray, pandas) to the data of
:mod:`toolkit.widgets.protocol`; errors are the clients' (``ServerUnreachable`` names the URL).
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, NotFound
from toolkit.widgets.protocol import (
    CalcInfo,
    DamageTable,
    FieldSeries,
    HazardCurves,
    RasterImage,
    ScenarioPage,
)

__all__ = ["RemoteCalcs", "RemoteScenarios", "MAX_PREVIEW_PIXELS"]

#: largest side of a raster preview fetched from a server (pixels)
MAX_PREVIEW_PIXELS = 800


def _info(status: dict[str, Any]) -> CalcInfo:
    state = str(status.get("status", ""))
    if state == "shared":  # OpenQuake reports a shared complete calculation so
        state = "complete"
    progress = status.get("progress")
    if isinstance(progress, int | float) and not isinstance(progress, bool):
        progress = float(progress) / (100.0 if progress > 1 else 1.0)
    else:
        progress = 1.0 if state == "complete" else None
    return CalcInfo(id=int(status.get("id", status.get("job_id", 0))),
                    description=str(status.get("description", "")),
                    mode=str(status.get("calculation_mode", "")), status=state,
                    progress=progress,
                    owner=str(status.get("owner", status.get("user_name", "")) or ""),
                    start_time=status.get("start_time"))


class RemoteCalcs:
    """:class:`~toolkit.widgets.protocol.CalcService` over a :class:`toolkit.client.Client`
    (or anything with its methods)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.location = str(getattr(client, "base_url", client))

    def __repr__(self) -> str:
        return f"<RemoteCalcs {self.location}>"

    def list(self, limit: int = 100) -> list[CalcInfo]:
        return [_info(item) for item in self.client.list(limit=limit)]

    def demo_jobs(self) -> dict[str, Path]:
        """The bundled demo jobs (uploaded to the server when run)."""
        from toolkit.jobs.runner import DEMO_JOBS
        from toolkit.widgets.local import _description

        return {_description(p): p for p in DEMO_JOBS}

    def submit(self, job_ini: Path) -> int:
        return int(self.client.run(job_ini))

    def info(self, calc_id: int) -> CalcInfo:
        return _info(self.client.status(calc_id))

    def log(self, calc_id: int, start: int = 0) -> list[str]:
        out = []
        for line in self.client.log(calc_id, start):
            if isinstance(line, list | tuple) and len(line) >= 2:
                stamp = str(line[0])
                clock = stamp[11:19] if len(stamp) >= 19 else stamp
                out.append(f"[{clock} {line[1]}] {line[-1]}")
            else:
                out.append(str(line))
        return out

    def traceback(self, calc_id: int) -> str:
        lines = self.client.traceback(calc_id)
        return "\n".join(str(x).rstrip("\n") for x in lines) if isinstance(lines, list) \
            else str(lines)

    def abort(self, calc_id: int) -> bool:
        message = str(self.client.abort(calc_id))
        return "not running" not in message.lower()

    def hazard_curves(self, calc_id: int) -> HazardCurves:
        from toolkit.widgets.adapters import hazard_from_xarray

        data = self.client.hazard_curves(calc_id, kind="stats")
        curves = hazard_from_xarray(data)
        try:
            rlzs = hazard_from_xarray(self.client.hazard_curves(calc_id, kind="rlzs"))
        except (NotFound, InputError):
            rlzs = None
        if rlzs is not None:
            for kind, per_imt in rlzs.curves.items():
                curves.curves.setdefault(kind, per_imt)
        info = self.info(calc_id)
        curves.title = f"calculation {calc_id}: {info.description}"
        return curves

    def fields(self, calc_id: int) -> dict[str, FieldSeries]:
        from toolkit.widgets.adapters import fields_from_dataset

        return fields_from_dataset(self.client.gmfs(calc_id))

    def damage(self, calc_id: int) -> DamageTable:
        info = self.info(calc_id)
        damage_mode = "damage" in info.mode
        frame = (self.client.damages(calc_id, by="asset") if damage_mode
                 else self.client.losses(calc_id, by="asset"))
        return _damage_from_frame(frame, title=f"{info.mode.replace('_', ' ')} "
                                              f"(calculation {calc_id})")


def _damage_from_frame(frame: Any, *, title: str) -> DamageTable:
    """Sum the numeric columns of a per-asset frame by taxonomy (averaging realizations)."""
    skip = {"id", "asset_id", "lon", "lat", "rlz", "kind", "number", "site_id", "ordinal"}
    if "taxonomy" not in frame.columns:
        raise InputError(f"{title}: the per-asset table has no taxonomy column "
                         f"({list(frame.columns)})")
    columns = [c for c in frame.columns if c not in skip and c != "taxonomy"
               and np.issubdtype(frame[c].dtype, np.number)]
    if not columns:
        raise NotFound(f"{title}: no damage or loss columns in {list(frame.columns)}")
    n_rlz = int(frame["rlz"].nunique()) if "rlz" in frame.columns else 1
    grouped = frame.groupby("taxonomy")[columns].sum() / max(n_rlz, 1)
    unit = "buildings" if any("-" in c for c in columns) else ""
    return DamageTable(title=title, categories=[str(c) for c in grouped.index],
                       columns=[str(c) for c in columns], values=grouped.to_numpy(float),
                       units=dict.fromkeys((str(c) for c in columns), unit))


class RemoteScenarios:
    """:class:`~toolkit.widgets.protocol.ScenarioService` over a
    :class:`toolkit.client.ScenarioClient`.

    Parameters
    ----------
    client : ScenarioClient
    cache_dir : Path, optional
        Where raw results and damage summaries are downloaded (default: a temporary folder).
    """

    def __init__(self, client: Any, cache_dir: str | Path | None = None) -> None:
        self.client = client
        self.location = str(getattr(client, "base_url", client))
        self.cache_dir = Path(cache_dir) if cache_dir else Path(
            tempfile.mkdtemp(prefix="toolkit-scenarios-"))
        self._series: dict[str, dict[str, FieldSeries]] = {}
        self._open: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<RemoteScenarios {self.location}>"

    def scenarios(self, *, name: str = "", offset: int = 0, limit: int = 10) -> ScenarioPage:
        filters: dict[str, Any] = {"limit": limit, "offset": offset, "ordering": "name"}
        if name.strip():
            filters["name__icontains"] = name.strip()
        items = list(itertools.islice(self.client.scenarios(**filters), limit))
        return ScenarioPage(items=items, total=None, offset=offset, limit=limit)

    def scenario(self, uuid: str) -> dict[str, Any]:
        return self.client.scenario(uuid)

    def results(self, uuid: str) -> list[dict[str, Any]]:
        return self.client.results(uuid)

    def _result(self, uuid: str, result: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(result, dict):
            return result
        return self.client.result(uuid, result)

    def download(self, uuid: str, result: dict[str, Any] | str, dest_dir: Path) -> Path:
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        return self.client.download(self._result(uuid, result), dest, progress=False)

    def raster(self, uuid: str, result: dict[str, Any] | str) -> RasterImage:
        """The raster over the scenario's extent, at its pixel size (at most
        :data:`MAX_PREVIEW_PIXELS` a side)."""
        from toolkit.widgets.adapters import raster_from_xarray

        item = self._result(uuid, result)
        if not item.get("raster"):
            raise InputError(f"result {item.get('code')!r} of scenario {uuid} is not a raster")
        sc = self.scenario(uuid)
        try:
            x0, y0 = float(sc["origin_x"]), float(sc["origin_y"])
            x1, y1 = float(sc["upper_bound_x"]), float(sc["upper_bound_y"])
            projection = str(sc.get("projection") or "") or None
            px = abs(float(sc.get("pixelsize_x") or 0)) or (abs(x1 - x0) / 256)
            py = abs(float(sc.get("pixelsize_y") or 0)) or (abs(y1 - y0) / 256)
        except (KeyError, TypeError, ValueError):
            bounds = self.client.raster_info(item).get("spatial_bounds") or {}
            try:
                x0, x1 = float(bounds["west"]), float(bounds["east"])
                y0, y1 = float(bounds["south"]), float(bounds["north"])
            except (KeyError, TypeError, ValueError):
                raise NotFound(f"scenario {uuid} and its raster have no extent") from None
            projection, px, py = "EPSG:4326", abs(x1 - x0) / 256, abs(y1 - y0) / 256
        bbox = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        width = max(1, min(MAX_PREVIEW_PIXELS, round((bbox[2] - bbox[0]) / px)))
        height = max(1, min(MAX_PREVIEW_PIXELS, round((bbox[3] - bbox[1]) / py)))
        data = self.client.raster(item, bbox, width, height, projection=projection)
        raster = raster_from_xarray(data, name=str(item.get("name") or item.get("code")))
        if not raster.crs and projection:
            raster.crs = projection
        return raster

    def fields(self, uuid: str) -> dict[str, FieldSeries]:
        """Water depth over time from the raw 3Di results, or the ground-motion fields of an
        engine scenario from its datastore (downloaded once into the cache)."""
        from toolkit.widgets.adapters import depth_series, fields_from_gmf

        if uuid in self._series:
            return self._series[uuid]
        codes = {r.get("code"): r for r in self.results(uuid)}
        if (codes.get("grid-admin") or {}).get("attachment_url") and \
                (codes.get("results-3di") or {}).get("attachment_url"):
            result = self.client.open_raw(uuid, self.cache_dir / uuid, progress=False)
            try:
                series = depth_series(result)
            except BaseException:
                result.close()
                raise
            if callable(series.values):
                self._open[uuid] = result
            else:
                result.close()
            fields = {series.name: series}
        elif (codes.get("datastore") or {}).get("attachment_url"):
            fields = fields_from_gmf(self._outputs(uuid, codes["datastore"]))
        else:
            raise NotFound(f"scenario {uuid} at {self.location} has neither raw 3Di results "
                           "nor a calculation datastore: there is no field to show")
        self._series[uuid] = fields
        return fields

    def _outputs(self, uuid: str, result: dict[str, Any]) -> Any:
        from toolkit.jobs.runner import load_outputs
        from toolkit.store import Datastore

        path = self.download(uuid, result, self.cache_dir / uuid)
        with Datastore(path, "r") as reader:
            return load_outputs(reader)

    def damage(self, uuid: str) -> DamageTable | None:
        from toolkit.widgets.adapters import damage_from_csv

        codes = {r.get("code"): r for r in self.results(uuid)}
        if "damage-summary" not in codes or not codes["damage-summary"].get("attachment_url"):
            for code in ("damage-by-asset", "losses-by-asset"):
                if (codes.get(code) or {}).get("attachment_url") and \
                        (codes.get("datastore") or {}).get("attachment_url"):
                    from toolkit.widgets.adapters import damage_from_risk

                    return damage_from_risk(self._outputs(uuid, codes["datastore"]))
            return None
        path = self.download(uuid, codes["damage-summary"], self.cache_dir / uuid)
        table = damage_from_csv(path, title=f"Flood damage: "
                                            f"{self.scenario(uuid).get('name', uuid)}")
        if codes.get("total-damage", {}).get("raster"):
            try:
                table.raster = self.raster(uuid, codes["total-damage"])
            except (NotFound, InputError):
                pass
        return table

    def close(self) -> None:
        for result in self._open.values():
            result.close()
        self._open.clear()
        self._series.clear()
