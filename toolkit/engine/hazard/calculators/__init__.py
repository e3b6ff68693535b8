"""Calculators, one calculation mode per module; importing this package registers them."""

from toolkit.engine.hazard.calculators.base import Calculator, calculators
from toolkit.engine.hazard.calculators.classical import ClassicalCalculator

__all__ = ["Calculator", "calculators", "ClassicalCalculator"]
