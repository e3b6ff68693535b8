"""Optional bridges to other model libraries (used only when those libraries are installed).

- :mod:`toolkit.bridges.hazardlib`: OpenQuake's ``openquake.hazardlib`` GSIMs through the
  toolkit's :class:`~toolkit.engine.hazard.gsim.base.GMPE` interface.
"""
