"""Ground-shaking intensity models, one published model per module.

Importing this package registers every built-in model in
:data:`toolkit.engine.hazard.gsim.base.gsim_registry`.
"""

from toolkit.engine.hazard.gsim import (  # noqa: F401
    abrahamson_2014,
    boore_2014,
    boore_atkinson_2008,
    campbell_bozorgnia_2014,
    chiou_youngs_2014,
    idriss_2014,
    modifiers,
    sadigh_1997,
)
