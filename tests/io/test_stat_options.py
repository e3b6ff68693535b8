"""Reading ``use_rates`` from a job.ini."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from toolkit.errors import InputError
from toolkit.io.stat_options import read_use_rates


def params(raw: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(raw=raw, where=lambda key: f"job.ini line 7 ({key})")


@pytest.mark.parametrize(("raw", "expected"), [({}, False), ({"use_rates": "true"}, True),
                                               ({"use_rates": "False"}, False),
                                               ({"use_rates": "1"}, True)])
def test_values(raw, expected):
    assert read_use_rates(params(raw)) is expected


def test_bad_value_names_the_line():
    with pytest.raises(InputError, match=r"job.ini line 7.*use_rates must be true or false"):
        read_use_rates(params({"use_rates": "maybe"}))
