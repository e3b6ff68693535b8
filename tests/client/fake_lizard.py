"""A small fake of Lizard API v4 (FastAPI) for the ScenarioClient tests.

It follows ``shared/reference/lizard/NOTES.md``: Basic auth ``__key__:<key>`` (DRF's 401
``{"detail": ...}`` without it), pagination ``count/next/previous/results`` with ``page`` /
``page_size`` (default 10, at most ``max_page_size``) and ``limit`` / ``offset``, absolute
``next`` links, family sub-endpoints, legacy attachment URLs on the API host (auth needed) and
"presigned S3" URLs on another host name (``localhost``) that refuse an ``Authorization`` header
as S3 does, raster objects, ``/rasters/{uuid}/data/?async=true`` answering a task that is
PENDING for the first ``pending_polls`` polls, then SUCCESS with the URL of a GeoTIFF whose
pixel values are ``x + 1000 * y`` at the pixel centres (``10 * band`` added per band).
"""

from __future__ import annotations

import base64
import uuid as uuidlib
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

FLOOD = Path(__file__).resolve().parents[2] / "toolkit" / "demos" / "flood"
KEY = "secret-key"
SCENARIO = "f03f4057-8dd5-4b89-b144-bb80b0489532"
RASTER_MAX = "5029b90a-0e64-438d-a9f4-e8173459d24c"
RASTER_DEPTH = "1771f285-437e-4161-80e5-5325866b1f0c"


def geotiff(bbox: list[float], width: int, height: int, crs: str, bands: int = 1) -> bytes:
    import rasterio
    from affine import Affine

    x1, y1, x2, y2 = bbox
    transform = Affine((x2 - x1) / width, 0.0, x1, 0.0, -(y2 - y1) / height, y2)
    xs = x1 + (x2 - x1) / width * (np.arange(width) + 0.5)
    ys = y2 - (y2 - y1) / height * (np.arange(height) + 0.5)
    values = (xs[None, :] + 1000.0 * ys[:, None]).astype(np.float32)
    values[0, 0] = -9999.0  # one nodata pixel
    with rasterio.MemoryFile() as memory:
        with memory.open(driver="GTiff", width=width, height=height, count=bands,
                         dtype="float32", crs=crs, transform=transform, nodata=-9999.0) as dst:
            for band in range(bands):
                data = values.copy()
                data[1:, :] += 10.0 * band
                dst.write(data, band + 1)
            dst.update_tags(units="m")
        return memory.read()


def create_fake(*, api_key: str | None = KEY, n_scenarios: int = 23, pending_polls: int = 2,
                max_page_size: int = 10, fail_task: bool = False) -> FastAPI:
    app = FastAPI()
    state: dict[str, Any] = {"tasks": {}, "log": []}
    app.state.fake = state

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def s3_base(request: Request) -> str:  # another host name for the same server
        return base(request).replace("127.0.0.1", "localhost")

    def denied(request: Request) -> Response | None:
        state["log"].append((request.method, request.url.path,
                             request.headers.get("authorization")))
        if api_key is None:
            return None
        expected = "Basic " + base64.b64encode(f"__key__:{api_key}".encode()).decode()
        header = request.headers.get("authorization")
        if header is None:
            return JSONResponse({"detail": "Authentication credentials were not provided."}, 401)
        if header != expected:
            return JSONResponse({"detail": "Invalid username/password."}, 401)
        return None

    def page(request: Request, items: list[dict]) -> JSONResponse:
        q = request.query_params
        url = str(request.url).split("?")[0]
        if "limit" in q or "offset" in q:
            limit, offset = int(q.get("limit", 10)), int(q.get("offset", 0))
            nxt = f"{url}?limit={limit}&offset={offset + limit}" if offset + limit < len(
                items) else None
            chunk = items[offset:offset + limit]
        else:
            size = min(int(q.get("page_size", 10)), max_page_size)
            number = int(q.get("page", 1))
            start = (number - 1) * size
            chunk = items[start:start + size]
            extra = "".join(f"&{k}={v}" for k, v in q.items() if k not in ("page",))
            nxt = f"{url}?page={number + 1}{extra}" if start + size < len(items) else None
        return JSONResponse({"count": len(items), "next": nxt, "previous": None,
                             "results": chunk})

    def scenario(request: Request, i: int) -> dict:
        sid = SCENARIO if i == 0 else str(uuidlib.UUID(int=i))
        return {"url": f"{base(request)}/api/v4/scenarios/{sid}/", "uuid": sid,
                "name": f"scenario {i:02d}" if i else "Example 3Di scenario",
                "model_name": "zwartedijkspolder", "projection": "EPSG:28992",
                "simulation_start": "2000-01-01T12:00:00Z", "has_raw_results": i == 0}

    def results(request: Request, sid: str) -> list[dict]:
        b, s3 = base(request), s3_base(request)

        def item(rid: int, name: str, code: str, family: str, raster: str | None = None,
                 attachment: str | None = None) -> dict:
            return {"url": f"{b}/api/v4/scenarios/{sid}/results/{rid}/", "id": rid,
                    "name": name, "code": code, "description": None, "family": family,
                    "raster": f"{b}/api/v4/rasters/{raster}/" if raster else None,
                    "attachment_url": attachment, "upload_url": None}

        return [
            item(1, "Grid administration", "grid-admin", "Raw",
                 attachment=f"{s3}/s3/scenarios/{sid}/gridadmin.h5?X-Amz-Signature=abc"),
            item(2, "Raw 3Di output", "results-3di", "Raw",
                 attachment=f"{b}/api/v4/scenario-results/2/results_3di.nc"),
            item(3, "Aggregated 3Di output", "aggregate-results-3di", "Raw",
                 attachment=f"{s3}/s3/scenarios/{sid}/aggregate_results_3di.nc?X-Amz-E=1"),
            item(4, "calculation core logging", "logfiles", "Raw",
                 attachment=f"{b}/api/v4/scenario-results/4/log_files.zip"),
            *[item(10 + k, f"basic {k}", f"basic-{k}", "Basic") for k in range(6)],
            item(20, "Water depth (timeseries)", "depth-dtri", "Basic", raster=RASTER_DEPTH),
            item(21, "Max water depth", "depth-max-dtri", "Basic", raster=RASTER_MAX),
            item(22, "Arrival time", "depth-first-dtri", "Arrival"),
            item(23, "Damage summary (csv)", "damage-summary", "Damage",
                 attachment=f"{b}/api/v4/scenario-results/23/damage-summary.csv"),
        ]

    @app.get("/api/v4/scenarios/")
    def list_scenarios(request: Request) -> Response:
        if (r := denied(request)) is not None:
            return r
        items = [scenario(request, i) for i in range(n_scenarios)]
        name = request.query_params.get("name__icontains")
        if name:
            items = [s for s in items if name.lower() in s["name"].lower()]
        return page(request, items)

    @app.get("/api/v4/scenarios/{sid}/")
    def get_scenario(request: Request, sid: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        for i in range(n_scenarios):
            if scenario(request, i)["uuid"] == sid:
                return JSONResponse(scenario(request, i))
        return JSONResponse({"detail": "Not found."}, 404)

    @app.get("/api/v4/scenarios/{sid}/results/")
    def list_results(request: Request, sid: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        return page(request, results(request, sid) if sid == SCENARIO else [])

    @app.get("/api/v4/scenarios/{sid}/results/{family}/")
    def family_results(request: Request, sid: str, family: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        items = [x for x in (results(request, sid) if sid == SCENARIO else [])
                 if x["family"].lower() == family]
        return page(request, items)

    @app.get("/api/v4/scenario-results/{rid}/{name}")
    def legacy_attachment(request: Request, rid: int, name: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        if name == "damage-summary.csv":
            return Response(b"class,area\n1,2\n", media_type="text/csv")
        if name == "log_files.zip":
            return Response(b"PK\x05\x06" + b"\x00" * 18, media_type="application/zip")
        return FileResponse(FLOOD / name, filename=name)

    @app.get("/s3/scenarios/{sid}/{name}")
    def s3_attachment(request: Request, sid: str, name: str) -> Response:
        state["log"].append(("GET", request.url.path, request.headers.get("authorization")))
        if request.headers.get("authorization"):
            return Response(b"<Error><Code>InvalidArgument</Code><Message>Only one auth "
                            b"mechanism allowed</Message></Error>", 400,
                            media_type="application/xml")
        return FileResponse(FLOOD / name)

    @app.get("/api/v4/rasters/{rid}/")
    def raster(request: Request, rid: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        if rid not in (RASTER_MAX, RASTER_DEPTH):
            return JSONResponse({"detail": "Not found."}, 404)
        return JSONResponse({"uuid": rid, "url": f"{base(request)}/api/v4/rasters/{rid}/",
                             "name": "Max water depth" if rid == RASTER_MAX else "Water depth",
                             "projection": "EPSG:28992", "temporal": rid == RASTER_DEPTH,
                             "observation_type": {"code": "WATDPTE (m)", "unit": "m"}})

    @app.get("/api/v4/rasters/{rid}/timesteps/")
    def timesteps(request: Request, rid: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        return JSONResponse({"steps": ["2000-01-01T12:00:00Z", "2000-01-01T13:00:00Z"]})

    @app.get("/api/v4/rasters/{rid}/data/")
    def data(request: Request, rid: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        q = request.query_params
        if q.get("format") != "geotiff" or q.get("async") != "true":
            return JSONResponse({"detail": "only format=geotiff&async=true here"}, 400)
        tid = str(uuidlib.uuid4())
        state["tasks"][tid] = {"polls": 0, "query": dict(q)}
        return JSONResponse({"task_id": tid, "url": f"{base(request)}/api/v4/tasks/{tid}/"})

    @app.get("/api/v4/tasks/{tid}/")
    def task(request: Request, tid: str) -> Response:
        if (r := denied(request)) is not None:
            return r
        t = state["tasks"].get(tid)
        if t is None:
            return JSONResponse({"detail": "Not found."}, 404)
        t["polls"] += 1
        body = {"uuid": tid, "url": str(request.url), "status": "PENDING", "result": None,
                "detail": "Task sent"}
        if t["polls"] > pending_polls:
            if fail_task:
                body.update(status="FAILURE", detail="the raster is too large")
            else:
                body.update(status="SUCCESS", detail=None,
                            result=f"{s3_base(request)}/s3/media/{tid}.tiff")
        return JSONResponse(body)

    @app.get("/s3/media/{name}")
    def media(request: Request, name: str) -> Response:
        if request.headers.get("authorization"):
            return Response(b"auth not allowed", 400)
        t = state["tasks"][name.removesuffix(".tiff")]
        q = t["query"]
        bbox = [float(v) for v in q["bbox"].split(",")]
        content = geotiff(bbox, int(q["width"]), int(q["height"]), q["projection"])
        return Response(content, media_type="image/tiff")

    return app
