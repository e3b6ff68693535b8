"""Ground-shaking intensity models, one published model per module.

Importing this package registers every built-in model in
:data:`toolkit.engine.hazard.gsim.base.gsim_registry`.
"""

from toolkit.engine.hazard.gsim import boore_2014, boore_atkinson_2008, sadigh_1997  # noqa: F401
