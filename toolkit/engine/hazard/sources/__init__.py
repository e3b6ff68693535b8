"""Seismic sources that generate ruptures: point, area and simple fault sources.

Each source yields its ruptures as :class:`~toolkit.engine.hazard.ruptures.RuptureBlock`
objects (``iter_ruptures(min_mag, block_size)``), counts them without building them
(``count_ruptures``) and gives a bounding box for quick distance filtering (``location_bounds``,
``bounding_box``). The rupture-generation rules follow OpenQuake's; they are spelled out in each
module's docstring.
"""

from toolkit.engine.hazard.sources.area import AreaSource
from toolkit.engine.hazard.sources.base import BaseSource
from toolkit.engine.hazard.sources.characteristic import CharacteristicFaultSource
from toolkit.engine.hazard.sources.complex_fault import ComplexFaultSource
from toolkit.engine.hazard.sources.hypo_list import HypoSlipSource
from toolkit.engine.hazard.sources.multi_point import MultiPointSource
from toolkit.engine.hazard.sources.nonparametric import NonParametricSource
from toolkit.engine.hazard.sources.point import PointSource
from toolkit.engine.hazard.sources.simple_fault import SimpleFaultSource

__all__ = ["AreaSource", "BaseSource", "CharacteristicFaultSource", "ComplexFaultSource",
           "HypoSlipSource", "MultiPointSource",
           "NonParametricSource", "PointSource", "SimpleFaultSource"]
