"""In-process API for notebooks: run calculations and read their results without a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.config import Settings, load_settings

__all__ = ["run", "open_calc", "available_gsims"]


def _settings(data_dir: str | Path | None) -> Settings:
    settings = load_settings()
    return settings if data_dir is None else settings.with_(data_dir=Path(data_dir).expanduser())


def run(
    job_ini: str | Path,
    *,
    data_dir: str | Path | None = None,
    export_dir: str | Path | None = None,
    progress: bool = True,
) -> int:
    """Run a job.ini in this process and return the calculation id.

    Parameters
    ----------
    job_ini : path
        OpenQuake-format job file.
    data_dir : path, optional
        Data directory (default: the settings, ``~/toolkit_data`` or ``TOOLKIT_DATA``).
    export_dir : path, optional
        Also export every output as CSV there.
    progress : bool
        Show a progress bar.

    Examples
    --------
    >>> import toolkit
    >>> calc_id = toolkit.run("job.ini")                       # doctest: +SKIP
    >>> curves = toolkit.open_calc(calc_id).curves("PGA", stat="mean")  # doctest: +SKIP
    """
    from toolkit.jobs.runner import run_job

    return run_job(job_ini, _settings(data_dir), export_dir=export_dir, progress=progress)


def open_calc(calc_id: int, *, data_dir: str | Path | None = None) -> Any:
    """Load the outputs of a completed calculation.

    Returns
    -------
    toolkit.store.HazardOutputs
        Classical: sites, levels, curves per realization and statistics, maps.
    toolkit.store.gmf.GmfOutputs
        Scenario and event based: ruptures, events, ground-motion fields (and the hazard
        curves from them in ``.curves``).
    """
    from toolkit.jobs.runner import load_outputs
    from toolkit.store import open_reader

    with open_reader(_settings(data_dir).data_dir, calc_id) as reader:
        return load_outputs(reader)


def available_gsims() -> list[str]:
    """Names of the ground-motion models the engine implements."""
    import toolkit.engine.hazard.gsim  # noqa: F401  (registers the built-in models)
    from toolkit.engine.hazard.gsim.base import gsim_registry

    return gsim_registry.names()
