"""job.ini parameters of the ground-motion-field modes (scenario, event_based)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import InputError

from .test_jobini import read_quiet, write_job

SCENARIO = """\
[general]
description = scenario test
calculation_mode = scenario
sites = 0 0, 0 0.1
reference_vs30_value = 760
rupture_dict = {'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6, 'rake': 0}
gsim = BooreAtkinson2008
intensity_measure_types = PGA, SA(0.3)
truncation_level = 3
number_of_ground_motion_fields = 10
"""


def scenario(tmp_path: Path, **changes: str | None) -> Path:
    return write_job(tmp_path, SCENARIO, **changes)


def test_scenario_defaults(tmp_path):
    p = read_quiet(scenario(tmp_path))
    assert p.number_of_ground_motion_fields == 10
    assert p.rupture_dict == {"lon": 0, "lat": 0, "dep": 10, "mag": 6, "rake": 0}
    assert p.ses_seed == 42 and p.master_seed == 123456789
    assert p.ground_motion_correlation_model is None
    assert p.ground_motion_correlation_params == {}
    assert p.minimum_intensity == {}


def test_seeds_correlation_and_minimum_intensity(tmp_path):
    p = read_quiet(scenario(
        tmp_path, ses_seed="3", ground_motion_correlation_model="JB2009",
        ground_motion_correlation_params="{'vs30_clustering': True}",
        minimum_intensity="{'PGA': 0.05, 'SA(0.30)': 0.1}"))
    assert p.ses_seed == 3
    assert p.ground_motion_correlation_model == "JB2009"
    assert p.ground_motion_correlation_params == {"vs30_clustering": True}
    assert p.minimum_intensity == {"PGA": 0.05, "SA(0.3)": 0.1}
    p = read_quiet(scenario(tmp_path, minimum_intensity=".1"))
    assert p.minimum_intensity == {"default": 0.1}


@pytest.mark.parametrize("changes, message", [
    ({"rupture_dict": None}, "missing rupture_model_file"),
    ({"number_of_ground_motion_fields": None}, "missing number_of_ground_motion_fields"),
    ({"number_of_ground_motion_fields": "0"}, "zero ground-motion fields"),
    ({"number_of_ground_motion_fields": "-2"}, "positive integer"),
    ({"number_of_ground_motion_fields": "ten"}, "must be an integer"),
    ({"gsim": None}, "missing gsim"),
    ({"intensity_measure_types": None}, "missing intensity_measure_types"),
    ({"minimum_intensity": "-1"}, "minimum_intensity must be"),
    ({"minimum_intensity": "{'XYZ': 1}"}, "minimum_intensity"),
    ({"ground_motion_correlation_params": "[1, 2]"}, "dict literal"),
    ({"rupture_dict": "{'lon': 0,"}, "not a valid literal"),
])
def test_scenario_errors_name_line_and_key(tmp_path, changes, message):
    with pytest.raises(InputError, match=message) as info:
        read_quiet(scenario(tmp_path, **changes))
    assert "job.ini" in str(info.value)


def test_rupture_file_and_dict_are_exclusive(tmp_path):
    (tmp_path / "rupture.xml").write_text("<nrml/>")
    with pytest.raises(InputError, match="either rupture_model_file or rupture_dict"):
        read_quiet(scenario(tmp_path, rupture_model_file="rupture.xml"))


def test_missing_rupture_file_is_named(tmp_path):
    with pytest.raises(InputError, match=r"line \d+: rupture_model_file refers to a missing"):
        read_quiet(scenario(tmp_path, rupture_dict=None, rupture_model_file="nope.xml"))


def test_event_based_parameters(tmp_path):
    from .test_jobini import BASE

    text = BASE.replace("calculation_mode = classical", "calculation_mode = event_based")
    p = read_quiet(write_job(tmp_path, text, ses_per_logic_tree_path="100",
                             ground_motion_fields="false", hazard_curves_from_gmfs="true"))
    assert p.ses_per_logic_tree_path == 100
    assert p.ground_motion_fields is False and p.hazard_curves_from_gmfs is True
    with pytest.raises(InputError, match="ses_per_logic_tree_path must be an integer >= 1"):
        read_quiet(write_job(tmp_path, text, ses_per_logic_tree_path="0"))
    with pytest.raises(InputError, match="hazard_curves_from_gmfs needs intensity measure"):
        read_quiet(write_job(tmp_path, text, intensity_measure_types_and_levels=None,
                             intensity_measure_types="PGA", hazard_curves_from_gmfs="true"))
