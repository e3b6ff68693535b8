"""Every registered GSIM has a verification test module (docs/how-to/add-a-gsim.md, step 6).

The convention, checked here on the source of the test modules (with :mod:`ast`):

1. A GSIM class defined in ``toolkit/engine/hazard/gsim/<module>.py`` is verified in
   ``tests/engine/hazard/gsim/test_<module>.py``.
2. That test module names the GSIM in code (an import, a name or a string such as
   ``get_gsim("Name")``), by its registered name; aliases made with ``add_alias`` by theirs.
3. It has at least one test function that compares numbers with expected values: it calls
   ``pytest.approx``, ``np.testing.assert_allclose`` / ``assert_array_equal`` /
   ``assert_array_almost_equal``, or the verification-table fixture ``table_discrepancies``.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable
from pathlib import Path

import pytest

import toolkit.engine.hazard.gsim  # noqa: F401  (registers the built-in models)
from toolkit.engine.hazard.gsim.base import GMPE, gsim_registry

TESTS = Path(__file__).resolve().parent
COMPARISONS = frozenset({"approx", "assert_allclose", "assert_array_equal",
                         "assert_array_almost_equal", "table_discrepancies"})


def _names_in(tree: ast.AST) -> set[str]:
    """Identifiers, attribute names, imported names and string constants used in code."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
    return found


def _compares_numbers(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            if _names_in(node) & COMPARISONS or any(
                    a.arg in COMPARISONS for a in node.args.args):
                return True
    return False


def problems(entries: Iterable[tuple[str, object]], tests_dir: Path) -> list[str]:
    """What breaks the convention, one message per registered name (empty when all pass)."""
    messages = []
    for name, obj in entries:
        cls = getattr(obj, "target", obj)  # aliases are factories pointing at their class
        module = Path(inspect.getfile(cls)).stem
        path = tests_dir / f"test_{module}.py"
        if not path.is_file():
            messages.append(f"GSIM {name} ({module}.py) has no verification test module {path}")
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        if name not in _names_in(tree):
            messages.append(f"{path.name} does not name GSIM {name} in its code")
        elif not _compares_numbers(tree):
            messages.append(f"{path.name} has no test comparing {name} with expected numbers")
    return messages


def test_every_registered_gsim_has_a_verification_test():
    assert problems(gsim_registry.items(), TESTS) == []


class _Unverified2099(GMPE):
    """A model nobody verified (Nobody 2099)."""

    REGISTER = False  # stays out of the real registry
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA"})

    def compute(self, ctx, imts, mean, sig, tau, phi):  # pragma: no cover
        mean[:] = 0.0


@pytest.mark.parametrize("source, message", [
    (None, "has no verification test module"),
    ("def test_nothing():\n    assert True\n", "does not name GSIM Unverified2099"),
    ("from x import _Unverified2099\n\ndef test_runs():\n    assert _Unverified2099()\n",
     "does not name GSIM Unverified2099"),
    ("G = 'Unverified2099'\n\ndef test_runs():\n    assert G\n", "has no test comparing"),
])
def test_the_check_fails_without_a_verification_test(tmp_path, source, message):
    if source is not None:
        (tmp_path / f"test_{Path(__file__).stem}.py").write_text(source)
    (msg,) = problems([("Unverified2099", _Unverified2099)], tmp_path)
    assert message in msg


def test_the_check_accepts_a_numeric_comparison(tmp_path):
    (tmp_path / f"test_{Path(__file__).stem}.py").write_text(
        "import pytest\n\ndef test_value(gsim='Unverified2099'):\n"
        "    assert 1.0 == pytest.approx(1.0)\n")
    assert problems([("Unverified2099", _Unverified2099)], tmp_path) == []
