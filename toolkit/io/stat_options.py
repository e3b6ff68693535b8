"""Job options that change how hazard statistics are computed.

``use_rates`` (OpenQuake job.ini, default false): compute the mean and quantile hazard
curves over realizations on annual exceedance rates, ``rate = -ln(1 - poe) / T``, and convert
the statistics back to probabilities of exceedance in the investigation time ``T`` (Poisson).
Without it the statistics are taken on the probabilities themselves.
"""

from __future__ import annotations

from toolkit.errors import InputError
from toolkit.io.jobini import _FALSE, _TRUE, JobParams

__all__ = ["read_use_rates"]


def read_use_rates(params: JobParams) -> bool:
    """The job's ``use_rates`` flag (false when absent).

    Raises
    ------
    InputError
        When the value is not a boolean; the message names the job.ini line.
    """
    value = params.raw.get("use_rates", "").strip()
    if not value:
        return False
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise InputError(f"{params.where('use_rates')}: use_rates must be true or false, "
                     f"got {value!r}")
