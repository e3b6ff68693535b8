"""Magnitude-frequency distributions (MFDs): annual occurrence rates per magnitude bin.

Every MFD is a histogram: :meth:`MFD.get_annual_occurrence_rates` returns the bin-centre
magnitudes (ascending) and the annual rate of earthquakes in each bin. Sources build one
rupture set per bin, at the bin-centre magnitude. Bin centres are rounded to 12 decimals, so
``5.7`` is the same float whether it comes from ``28.5 * 0.2`` or from a job file.

Classes
-------
OpenQuake semantics (the NRML elements OpenQuake reads):

- :class:`TruncatedGRMFD` — ``<truncGutenbergRichterMFD aValue bValue minMag maxMag/>``; the
  bin width is the job's ``width_of_mfd_bin``.
- :class:`EvenlyDiscretizedMFD` — ``<incrementalMFD minMag binWidth>`` + ``<occurRates>``.
- :class:`ArbitraryMFD` — ``<arbitraryMFD>`` + ``<magnitudes>`` and ``<occurRates>``.
- :class:`YoungsCoppersmith1985MFD` — ``<YoungsCoppersmithMFD minMag bValue characteristicMag
  binWidth characteristicRate|totalMomentRate/>``.

Toolkit extensions, moment balanced as the PEER 2018 verification tests require (Hale,
Abrahamson & Bozorgnia 2018, PEER report 2018/03, Set 1 instructions):

- :class:`MomentBalancedDeltaMFD` — a single magnitude (PEER Set 1 cases 1-4, 8).
- :class:`MomentBalancedTruncatedExponentialMFD` — PEER case 5, Set 2 case 2.
- :class:`MomentBalancedTruncatedNormalMFD` — PEER case 6.
- :class:`MomentBalancedYoungsCoppersmithMFD` — PEER case 7 (and Set 2 case 1 faults).

They are written in NRML as one element that OpenQuake does not know::

    <momentBalancedMFD kind="delta" mag="6.5" totalMomentRate="1.8e16"/>
    <momentBalancedMFD kind="truncatedExponential" minMag="5.0" maxMag="6.5" bValue="0.9"
                       totalMomentRate="1.8e16" binWidth="0.01"/>
    <momentBalancedMFD kind="truncatedNormal" minMag="5.0" maxMag="6.5" meanMag="6.2"
                       sigmaMag="0.25" totalMomentRate="1.8e16"/>
    <momentBalancedMFD kind="youngsCoppersmith" minMag="5.0" bValue="0.9"
                       characteristicMag="6.2" maxMag="6.45" totalMomentRate="1.8e16"/>

``totalMomentRate`` is in N·m/yr (PEER Fault 1: 3e10 Pa x 25 km x 12 km x 2 mm/yr =
1.8e16 N·m/yr = 1.8e23 dyne-cm/yr); ``binWidth`` defaults to 0.01 (not to the job's
``width_of_mfd_bin``); ``maxMag`` of ``youngsCoppersmith`` is optional and, when given, must
equal ``characteristicMag + 0.25``. The PEER area-source cases 10 and 11 (N(M >= 5) = 0.0395,
b = 0.9, 5 <= M <= 6.5, not moment balanced) need no extension: they are a
``truncGutenbergRichterMFD`` with ``aValue = log10(N) - log10(10**(-b Mmin) - 10**(-b Mmax))``
(see :meth:`TruncatedGRMFD.from_total_rate`) and ``width_of_mfd_bin = 0.01``.

Moment
------
Seismic moment and moment magnitude are related by Hanks & Kanamori (1979) with the constant
the PEER tests prescribe: log10 M0 [dyne-cm] = 16.05 + 1.5 M, i.e. log10 M0 [N·m] = 9.05 + 1.5 M
(:func:`moment_from_magnitude`).

NRML
----
:func:`build_mfd` turns a parsed NRML element into an MFD; builders are registered in
:data:`mfd_registry` by element tag, so an unknown tag gives a helpful
:class:`~toolkit.errors.UnknownName`. Every error message names the place (``where``), the
element and the attribute.
"""

from __future__ import annotations

from toolkit.engine.hazard.mfd.base import MFD, moment_from_magnitude
from toolkit.engine.hazard.mfd.nrml import build_mfd, mfd_registry
from toolkit.engine.hazard.mfd.openquake import (
    ArbitraryMFD,
    EvenlyDiscretizedMFD,
    TruncatedGRMFD,
    YoungsCoppersmith1985MFD,
)
from toolkit.engine.hazard.mfd.peer import (
    MomentBalancedDeltaMFD,
    MomentBalancedMFD,
    MomentBalancedTruncatedExponentialMFD,
    MomentBalancedTruncatedNormalMFD,
    MomentBalancedYoungsCoppersmithMFD,
)

__all__ = [
    "MFD",
    "TruncatedGRMFD",
    "EvenlyDiscretizedMFD",
    "ArbitraryMFD",
    "YoungsCoppersmith1985MFD",
    "MomentBalancedMFD",
    "MomentBalancedDeltaMFD",
    "MomentBalancedTruncatedExponentialMFD",
    "MomentBalancedTruncatedNormalMFD",
    "MomentBalancedYoungsCoppersmithMFD",
    "moment_from_magnitude",
    "mfd_registry",
    "build_mfd",
]
