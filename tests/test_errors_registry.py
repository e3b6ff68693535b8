"""The exception tree and the registry."""

from __future__ import annotations

import pytest

from toolkit.errors import (
    CalculationError,
    InputError,
    NotFound,
    StoreError,
    ToolkitError,
    UnknownName,
)
from toolkit.registry import Registry


@pytest.mark.parametrize("cls, builtin, status", [
    (InputError, ValueError, 400), (UnknownName, KeyError, 400), (NotFound, KeyError, 404),
    (CalculationError, RuntimeError, 500), (StoreError, OSError, 500),
])
def test_errors_subclass_builtins_and_carry_status(cls, builtin, status):
    err = cls("message")
    assert isinstance(err, ToolkitError) and isinstance(err, builtin)
    assert err.status == status
    assert str(err) == "message"  # KeyError subclasses do not quote the message


def test_registry_lookup_suggests_close_names():
    reg: Registry[int] = Registry("GSIM")
    reg.add("BooreEtAl2014", 1)

    @reg.add("SadighEtAl1997")
    def _sadigh():
        return 2

    assert reg.get("SadighEtAl1997") is _sadigh
    assert "BooreEtAl2014" in reg and len(reg) == 2 and list(reg) == reg.names()
    expected = r"job.ini: unknown GSIM 'BooreEtAl2015'.*'BooreEtAl2014'"
    with pytest.raises(UnknownName, match=expected):
        reg.get("BooreEtAl2015", where="job.ini")


def test_registry_refuses_silent_overwrite():
    reg: Registry[int] = Registry("thing")
    reg.add("a", 1)
    reg.add("a", 1)  # same object again is fine
    with pytest.raises(ValueError, match="already registered"):
        reg.add("a", 2)
