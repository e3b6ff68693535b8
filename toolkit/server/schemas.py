"""Request and response bodies of the OpenQuake WebAPI, shared by the server and the client.

The field names, types and order are those of the OpenQuake engine 3.26.2 server, measured
endpoint by endpoint (``shared/reference/openquake/api/``). This module imports nothing of the
server: :mod:`toolkit.client` uses the same models to parse responses.

Naming follows the FastAPI template: ``CalcPublic`` (one item of ``/v1/calc/list`` and
``/v1/calc/:id/status``), ``CalcInfo`` (``/v1/calc/:id``), ``CalcCreated`` (``/v1/calc/run``),
``OutputPublic`` (one item of ``/v1/calc/:id/results``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "OQ_API_VERSION",
    "CalcPublic",
    "CalcInfo",
    "CalcCreated",
    "OutputPublic",
    "ValidationResult",
    "Success",
    "ErrorBody",
    "RunErrorBody",
    "RemoveResult",
    "TagList",
    "PreferredJob",
    "SameFs",
]

#: The OpenQuake engine API version the server implements (``GET /v1/engine_version``).
OQ_API_VERSION = "3.26.2"


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class CalcPublic(_Model):
    """One calculation as listed by ``GET /v1/calc/list`` and ``GET /v1/calc/:id/status``.

    ``start_time`` reads ``"2026-11-22, 15:17:58 UTC"``; ``status`` is ``"shared"`` for a
    shared complete calculation; ``tags`` joins the calculation's tags with ``", "``, a
    preferred tag carrying a ``"★"`` suffix, or is null; ``parent_id`` is the hazard
    calculation of a risk calculation.
    """

    id: int
    owner: str
    calculation_mode: str
    status: str
    is_running: bool
    description: str
    url: str
    parent_id: int | None
    abortable: bool
    size_mb: float | None
    start_time: str
    relevant: bool
    tags: str | None


class CalcInfo(_Model):
    """``GET /v1/calc/:id``: times read ``"2026-11-22 15:17:58.009131+00:00"``."""

    id: int
    description: str
    user_name: str
    calculation_mode: str
    hazard_calculation_id: int | None
    status: str
    is_running: bool
    start_time: str | None
    stop_time: str | None
    relevant: bool
    size_mb: float | None
    host: str
    workflow_id: int | None


class CalcCreated(_Model):
    """``POST /v1/calc/run`` and ``run_ini``: the new calculation (``start_time`` reads
    ``"2026-11-22T15:25:39"``)."""

    description: str
    user_name: str
    calculation_mode: str
    hazard_calculation_id: int | None
    status: str
    is_running: bool
    start_time: str
    stop_time: str | None
    relevant: bool
    ds_calc_dir: str
    pid: int
    size_mb: float | None
    host: str
    workflow_id: int | None
    job_id: int


class OutputPublic(_Model):
    """One output of ``GET /v1/calc/:id/results``; ``url`` downloads it with the first of its
    ``outtypes``."""

    id: int
    name: str
    type: str
    outtypes: list[str]
    url: str
    size_mb: float | None


class ValidationResult(_Model):
    """``POST /v1/valid/``, ``/v1/calc/validate_zip`` and ``/v1/calc/validate_ini``."""

    error_msg: str | None
    error_line: int | None
    valid: bool


class Success(_Model):
    """``{"success": ...}``: abort, share, tags (some add ``job_id`` or ``tags``)."""

    success: str


class ErrorBody(_Model):
    """``{"error": ...}``: how the OpenQuake routes report errors (abort, remove, tags,
    unknown ids, bad parameters)."""

    error: str


class RunErrorBody(_Model):
    """A rejected ``POST /v1/calc/run``: the error message as a list of lines, and the id of
    the calculation (always null here: a rejected job registers nothing)."""

    traceback: list[str]
    job_id: int | None


class RemoveResult(_Model):
    """``POST /v1/calc/:id/remove``: ``success`` is the id as a string."""

    success: str
    hdf5paths: list[str]


class TagList(_Model):
    """``GET /v1/calc/list_tags``."""

    success: str
    tags: list[str]


class PreferredJob(_Model):
    """``GET /v1/calc/get_preferred_job_for_tag/:tag``."""

    success: str
    job_id: int | None


class SameFs(_Model):
    """``POST /v1/on_same_fs``."""

    success: bool
