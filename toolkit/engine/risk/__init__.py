"""The risk engine: pure numerics over arrays of assets x events.

- :mod:`~toolkit.engine.risk.models`: fragility and vulnerability functions as data;
- :mod:`~toolkit.engine.risk.fragility`: limit-state and damage-state probabilities;
- :mod:`~toolkit.engine.risk.vulnerability`: mean and sampled loss ratios, LREM;
- :mod:`~toolkit.engine.risk.damage`: scenario damage distributions and consequences;
- :mod:`~toolkit.engine.risk.losses`: losses, insurance, aggregation, loss curves;
- :mod:`~toolkit.engine.risk.classical`: classical risk and damage from hazard curves.
"""

from toolkit.engine.risk.classical import (
    LossCurve,
    average_loss,
    classical_damage,
    classical_risk,
)
from toolkit.engine.risk.damage import consequences, modal_damage_state, scenario_damage
from toolkit.engine.risk.fragility import damage_state_probs, limit_state_poes
from toolkit.engine.risk.losses import (
    aggregate_by,
    aggregate_loss_curve,
    apply_minimum_loss,
    asset_losses,
    average_losses,
    event_loss_table,
    insured_losses,
    loss_stddev,
)
from toolkit.engine.risk.models import (
    FragilityFunction,
    FragilityModel,
    VulnerabilityFunction,
    VulnerabilityModel,
)
from toolkit.engine.risk.vulnerability import (
    default_loss_ratios,
    loss_ratio_exceedance_matrix,
    mean_loss_ratio,
    sample_loss_ratios,
)

__all__ = [
    "FragilityFunction",
    "FragilityModel",
    "VulnerabilityFunction",
    "VulnerabilityModel",
    "limit_state_poes",
    "damage_state_probs",
    "mean_loss_ratio",
    "sample_loss_ratios",
    "loss_ratio_exceedance_matrix",
    "default_loss_ratios",
    "scenario_damage",
    "modal_damage_state",
    "consequences",
    "asset_losses",
    "insured_losses",
    "apply_minimum_loss",
    "aggregate_by",
    "event_loss_table",
    "average_losses",
    "loss_stddev",
    "aggregate_loss_curve",
    "LossCurve",
    "average_loss",
    "classical_risk",
    "classical_damage",
]
