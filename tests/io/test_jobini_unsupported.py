"""Result-changing job.ini keys: refused when set to a non-default value, accepted at default;
``minimum_distance`` read and handed to the classical inputs."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.io.jobini import KNOWN_KEYS, read_job_ini
from toolkit.io.jobini_unsupported import UNSUPPORTED, is_default

BASE = """\
[general]
description = test
calculation_mode = classical
sites = 0 0
reference_vs30_value = 760
source_model_logic_tree_file = smlt.xml
gsim_logic_tree_file = gslt.xml
investigation_time = 50
intensity_measure_types_and_levels = {"PGA": [0.1, 0.2]}
truncation_level = 3
maximum_distance = 200
"""


def write_job(tmp_path: Path, extra: str, base: str = BASE) -> Path:
    for name in ("smlt.xml", "gslt.xml"):
        (tmp_path / name).write_text("<nrml/>")
    path = tmp_path / "job.ini"
    path.write_text(base + extra + "\n")
    return path


def read_quiet(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_job_ini(path)


def test_every_unsupported_key_is_a_known_key():
    assert set(UNSUPPORTED) <= KNOWN_KEYS


@pytest.mark.parametrize("key, value", [
    ("discard_trts", "Stable Shallow Crust"),
    ("keep_trt", "Active Shallow Crust"),
    ("site_labels", '{"Cascadia": 1}'),
    ("infer_occur_rates", "true"),
    ("collapse_gsim_logic_tree", "Active Shallow Crust"),
    ("extreme_gmv", "3.0"),
    ("tectonic_region_type", "Active Shallow Crust"),
    ("floating_x_step", "0.5"),
    ("reference_backarc", "true"),
    ("cross_correlation", "GodaAtkinson2009"),
    ("hazard_curves_csv", "curves.csv"),
])
def test_non_default_value_is_refused_naming_file_line_key(tmp_path, key, value):
    path = write_job(tmp_path, f"{key} = {value}")
    line = BASE.count("\n") + 1
    with pytest.raises(InputError) as info:
        read_job_ini(path)
    message = str(info.value)
    assert message.startswith(f"{path} line {line}: {key} = ")
    assert "not supported" in message and "OpenQuake's default" in message


@pytest.mark.parametrize("key, value", [
    ("discard_trts", ""), ("keep_trt", ""), ("site_labels", "{}"),
    ("infer_occur_rates", "false"), ("extreme_gmv", '{"default": inf}'),
    ("tectonic_region_type", "*"), ("floating_x_step", "0"), ("reference_backarc", "false"),
    ("cross_correlation", "yes"), ("collect_rlzs", "false"), ("ash_wet_amplification_factor", "1"),
    # approximations that the toolkit does not apply (it computes the exact answer)
    ("pointsource_distance", "50"), ("ps_grid_spacing", "20"), ("collapse_level", "0"),
    # no effect on the results
    ("concurrent_tasks", "4"), ("use_rates", "true"), ("split_sources", "false"),
])
def test_default_or_harmless_value_is_accepted(tmp_path, key, value):
    read_quiet(write_job(tmp_path, f"{key} = {value}"))


def test_is_default_on_raw_text():
    assert is_default("extreme_gmv", "inf") and not is_default("extreme_gmv", "-inf")
    assert is_default("floating_y_step", " 0.0 ") and not is_default("floating_y_step", "x")
    assert is_default("keep_trt", "") and not is_default("keep_trt", "Volcanic")


def test_minimum_distance_is_read_and_reaches_the_classical_spec(tmp_path):
    p = read_quiet(write_job(tmp_path, "minimum_distance = 5"))
    assert p.minimum_distance == 5.0
    assert read_quiet(write_job(tmp_path, "")).minimum_distance == 0.0
    with pytest.raises(InputError, match=r"line 12: minimum_distance must be a non-negative"):
        read_job_ini(write_job(tmp_path, "minimum_distance = -1"))


@pytest.mark.parametrize("extra, what", [
    ("minimum_distance = 5\npoes_disagg = 0.1\nmag_bin_width = 1\ndistance_bin_width = 10\n"
     "coordinate_bin_width = 1\npoes = 0.1", "disaggregation"),
])
def test_minimum_distance_refused_where_not_applied(tmp_path, extra, what):
    with pytest.raises(InputError, match=re.escape(f"line 12: minimum_distance = 5 is not "
                                                   f"supported for {what}")):
        read_job_ini(write_job(tmp_path, extra))


def test_minimum_distance_zero_accepted_in_disaggregation(tmp_path):
    extra = ("minimum_distance = 0\npoes_disagg = 0.1\nmag_bin_width = 1\n"
             "distance_bin_width = 10\ncoordinate_bin_width = 1\npoes = 0.1")
    assert read_quiet(write_job(tmp_path, extra)).minimum_distance == 0.0


def test_maximum_rupture_depth_refused_except_in_event_based(tmp_path):
    with pytest.raises(InputError, match=r"line 12: maximum_rupture_depth = .* not supported"):
        read_job_ini(write_job(tmp_path, "maximum_rupture_depth = {'default': 10}"))
    base = BASE.replace("calculation_mode = classical", "calculation_mode = event_based")
    p = read_quiet(write_job(tmp_path, "maximum_rupture_depth = {'default': 10}", base))
    assert p.calculation_mode == "event_based"
