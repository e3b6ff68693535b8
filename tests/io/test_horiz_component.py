"""job.ini ``horiz_comp_to_geom_mean``: accepted for geometric-mean GSIMs, refused otherwise."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from toolkit.bridges import hazardlib as bridge
from toolkit.engine.hazard.gsim.base import get_gsim
from toolkit.errors import InputError
from toolkit.io.horiz_component import apply_horiz_comp_to_geom_mean, horiz_comp_to_geom_mean
from toolkit.io.inputs import build_inputs
from toolkit.io.jobini import read_job_ini

JOB = """\
calculation_mode = scenario
sites = 0 0.1
reference_vs30_value = 760
rupture_dict = {{'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6, 'rake': 0, 'strike': 0, 'dip': 90}}
gsim = {gsim}
intensity_measure_types = PGA
number_of_ground_motion_fields = 1
{extra}
"""


@pytest.fixture(autouse=True)
def no_hazardlib(monkeypatch):
    """The toolkit alone: ``import openquake.hazardlib`` fails, whether or not installed."""
    monkeypatch.setitem(sys.modules, "openquake", None)
    monkeypatch.setitem(sys.modules, "openquake.hazardlib", None)


class Bridged:
    """Stands for a bridged hazardlib GSIM."""

    flag = False

    def __init__(self, name="X", **kwargs):
        self.name, self.kwargs = name, kwargs

    def set_horiz_comp_to_geom_mean(self, flag):
        self.flag = flag


def job(tmp_path: Path, gsim: str, extra: str):
    path = tmp_path / "job.ini"
    path.write_text(JOB.format(gsim=gsim, extra=extra))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_job_ini(path)


@pytest.mark.parametrize("value, expected", [("", False), ("false", False), ("True", True),
                                             ("1", True), ("off", False)])
def test_flag_values(tmp_path, value, expected):
    params = job(tmp_path, "SadighEtAl1997", f"horiz_comp_to_geom_mean = {value}")
    assert horiz_comp_to_geom_mean(params) is expected


def test_flag_absent_is_false(tmp_path):
    assert horiz_comp_to_geom_mean(job(tmp_path, "SadighEtAl1997", "")) is False


def test_bad_flag(tmp_path):
    params = job(tmp_path, "SadighEtAl1997", "horiz_comp_to_geom_mean = maybe")
    with pytest.raises(InputError, match=r"job.ini line 8: horiz_comp_to_geom_mean must be "
                                         r"true or false, got 'maybe'"):
        horiz_comp_to_geom_mean(params)


def test_geometric_mean_gsim_is_accepted(tmp_path):
    params = job(tmp_path, "SadighEtAl1997", "horiz_comp_to_geom_mean = true")
    inputs = build_inputs(params)
    assert [repr(g) for _, g, _ in inputs.gsims] == ["SadighEtAl1997()"]


def test_other_component_is_refused_with_file_line_gsim_component(tmp_path):
    params = job(tmp_path, "BooreAtkinson2008", "horiz_comp_to_geom_mean = true")
    with pytest.raises(InputError) as err:
        build_inputs(params)
    text = str(err.value)
    assert text.startswith(f"{params.job_ini} line 8 (")
    assert "GSIM BooreAtkinson2008()" in text and "GMRotI50" in text


def test_flag_false_leaves_any_gsim_alone(tmp_path):
    params = job(tmp_path, "BooreAtkinson2008", "horiz_comp_to_geom_mean = false")
    assert [repr(g) for _, g, _ in build_inputs(params).gsims] == ["BooreAtkinson2008()"]


def test_bridged_gsims_are_told_to_convert(tmp_path):
    params = job(tmp_path, "SadighEtAl1997", "horiz_comp_to_geom_mean = true")
    gsim = Bridged()
    assert apply_horiz_comp_to_geom_mean(gsim, params) is gsim and gsim.flag is True
    own = get_gsim("ChiouYoungs2014")
    with pytest.raises(InputError, match=r"line 8 \(lt.xml line 4, branch 'b'\): .*RotD50"):
        apply_horiz_comp_to_geom_mean(own, params, "lt.xml line 4, branch 'b'")


def test_hazardlib_replaces_own_gsims_on_other_components(tmp_path, monkeypatch):
    monkeypatch.setattr(bridge, "gsim_fallback", lambda name, **kw: Bridged(name, **kw))
    params = job(tmp_path, "SadighEtAl1997", "horiz_comp_to_geom_mean = true")
    own = get_gsim("AbrahamsonEtAl2014")
    out = apply_horiz_comp_to_geom_mean(own, params, "b", "AbrahamsonEtAl2014", {"a": 1})
    assert isinstance(out, Bridged) and out.flag is True
    assert (out.name, out.kwargs) == ("AbrahamsonEtAl2014", {"a": 1})
    sadigh = get_gsim("SadighEtAl1997")  # geometric mean: kept
    assert apply_horiz_comp_to_geom_mean(sadigh, params, "b", "SadighEtAl1997", {}) is sadigh
    # hazardlib cannot build it (bad parameters) or wrapped in a mixture: refused
    monkeypatch.setattr(bridge, "gsim_fallback", lambda name, **kw: (_ for _ in ()).throw(
        InputError("bad parameters")))
    with pytest.raises(InputError, match="RotD50"):
        apply_horiz_comp_to_geom_mean(own, params, "b", "AbrahamsonEtAl2014", {})
    monkeypatch.setattr(bridge, "gsim_fallback", lambda name, **kw: Bridged(name, **kw))
    with pytest.raises(InputError, match="RotD50"):
        apply_horiz_comp_to_geom_mean(own, params, "b", "AbrahamsonEtAl2014",
                                      {"mixture_model": {}})
