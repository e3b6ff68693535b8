"""Job options that change how hazard statistics are computed.

``use_rates`` (OpenQuake job.ini, default false): compute the mean and quantile hazard
curves over realizations on annual exceedance rates, ``rate = -ln(1 - poe) / T``, and convert
the statistics back to probabilities of exceedance in the investigation time ``T`` (Poisson).
Without it the statistics are taken on the probabilities themselves.
"""

from __future__ import annotations

from toolkit.io.jobini import JobParams, parse_bool

__all__ = ["read_use_rates"]


def read_use_rates(params: JobParams) -> bool:
    """The job's ``use_rates`` flag (false when absent).

    Raises
    ------
    InputError
        When the value is not a boolean; the message names the job.ini line.
    """
    return parse_bool(params.raw.get("use_rates"), params.where("use_rates"), "use_rates")
