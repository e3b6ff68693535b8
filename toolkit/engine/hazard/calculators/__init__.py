"""Calculators, one calculation mode per module; importing this package registers them."""

from toolkit.engine.hazard.calculators.base import Calculator, calculators
from toolkit.engine.hazard.calculators.classical import ClassicalCalculator
from toolkit.engine.hazard.calculators.disaggregation import DisaggregationCalculator
from toolkit.engine.hazard.calculators.event_based import EventBasedCalculator
from toolkit.engine.hazard.calculators.scenario import ScenarioCalculator

__all__ = ["Calculator", "calculators", "ClassicalCalculator", "DisaggregationCalculator",
           "EventBasedCalculator", "ScenarioCalculator"]

# the risk calculators (scenario_damage, scenario_risk, event_based_risk, classical_risk,
# classical_damage) register themselves in the same registry
import toolkit.engine.risk.calculators  # noqa: E402, F401  (registers the risk modes)
