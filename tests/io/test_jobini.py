"""job.ini reading: OpenQuake QA inputs read in place, and bad inputs authored here."""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import InputError, UnknownName
from toolkit.io.jobini import (
    CALCULATION_MODES,
    KNOWN_KEYS,
    JobIniWarning,
    linscale,
    logscale,
    parse_ini,
    read_job_ini,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def classical(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "openquake" / "qa" / "classical"


def read_quiet(path: Path):
    """Read a job.ini, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_job_ini(path)


# --------------------------------------------------------------------------- OQ QA inputs
def test_case_01_values_and_misspelling_warning(classical):
    path = classical / "case_01" / "job.ini"
    with pytest.warns(JobIniWarning) as record:
        p = read_job_ini(path)
    assert len(record) == 1
    message = str(record[0].message)
    assert f"{path} line 46" in message
    assert "'minimun_magnitude'" in message
    assert "did you mean 'minimum_magnitude'?" in message

    assert p.job_ini == path
    assert p.input_dir == path.parent.resolve()
    assert p.description == "Classical Hazard QA Test, Case 1"
    assert p.calculation_mode == "classical"
    np.testing.assert_array_equal(
        p.sites, [[0.0, 0.0, -0.1], [0.1, 0.0, -0.1], [0.2, 0.0, -0.1], [0.3, 0.0, -0.1]])
    assert p.number_of_logic_tree_samples == 0
    assert p.rupture_mesh_spacing == 1.0
    assert p.width_of_mfd_bin == 1.0
    assert p.area_source_discretization is None
    assert p.reference_vs30_type == "measured" and p.vs30measured
    assert p.reference_vs30_value == 800.0
    assert p.reference_depth_to_2pt5km_per_sec == 2.5
    assert p.reference_depth_to_1pt0km_per_sec == 50.0
    assert p.source_model_logic_tree_file == path.parent.resolve() / "source_model_logic_tree.xml"
    assert p.gsim_logic_tree_file == path.parent.resolve() / "gsim_logic_tree.xml"
    assert p.gsim is None
    assert p.investigation_time == 1.0
    assert list(p.imtls) == ["PGA", "SA(0.1)"]
    for levels in p.imtls.values():
        np.testing.assert_array_equal(levels, [0.1, 0.4, 0.6])
    assert p.truncation_level == 2.0
    assert p.maximum_distance == {"default": 200.0}
    assert p.minimum_magnitude == {"default": 0.0}  # the misspelled key is ignored
    assert p.max_sites_disagg == 1
    assert p.source_nodes == ("pointSource",)
    assert p.minimum_engine_version == "3.23"
    assert p.export_dir == Path("/tmp")
    assert p.mean is True and p.quantiles == () and p.poes == ()
    assert p.raw["minimun_magnitude"] == "5"
    assert p.lines["truncation_level"] == 41
    assert p.where("truncation_level") == f"{path} line 41"


def test_case_01_job_wrong_reads(classical):
    p = read_quiet(classical / "case_01" / "job_wrong.ini")
    assert p.random_seed == 1066
    assert p.mean is False
    assert p.quantiles == () and p.poes == ()
    # its source_model_logic_tree_file is a source model: see test_logictree
    assert p.source_model_logic_tree_file.name == "source_model.xml"


def test_case_02_single_gsim(classical):
    p = read_quiet(classical / "case_02" / "job.ini")
    assert p.gsim == "LanzanoEtAl2019_RJB_OMO"
    assert p.gsim_logic_tree_file is None
    assert p.area_source_discretization == 10.0
    assert p.truncation_level == 5.0


def test_case_03_logscale_and_minimum_magnitude(classical):
    p = read_quiet(classical / "case_03" / "job.ini")
    assert p.concurrent_tasks == 0
    assert p.minimum_magnitude == {"default": 5.7}
    assert p.min_magnitude("Active Shallow Crust") == 5.7
    np.testing.assert_allclose(p.imtls["PGA"], np.geomspace(0.005, 2, 5), rtol=1e-15)
    assert p.imtls["PGA"][0] == 0.005
    assert p.truncation_level == 3.0


def test_case_03_job_wrong_names_missing_key(classical):
    path = classical / "case_03" / "job_wrong.ini"
    with pytest.raises(InputError, match="reference_vs30_value") as info:
        read_quiet(path)
    assert str(path) in str(info.value)
    assert "missing reference_vs30_value" in str(info.value)


def test_case_04_multiline_levels_and_imt_normalisation(classical):
    p = read_quiet(classical / "case_04" / "job.ini")
    assert list(p.imtls) == ["PGA", "SA(0.05)", "SA(0.1)", "SA(0.15)", "SA(0.2)", "SA(0.25)",
                             "SA(0.3)", "SA(0.35)", "SA(0.4)", "SA(0.5)"]
    assert all(len(v) == 20 for v in p.imtls.values())
    assert p.imtls["SA(0.1)"][0] == 0.005
    assert p.poes == (0.000404,)
    assert p.uniform_hazard_spectra is True and p.hazard_maps is False
    assert p.reference_depth_to_2pt5km_per_sec is None
    assert p.maximum_distance == {"default": 200.0}
    assert [str(imt) for imt in p.imts] == list(p.imtls)
    assert [imt.period for imt in p.imtls_by_imt][:3] == [0.0, 0.05, 0.1]


def _recorded_oqparam(shared_dir: Path) -> str:
    """The OqParam JSON text OpenQuake 3.26.2 stored for classical case 5 (calc 3)."""
    record = shared_dir / "reference" / "openquake" / "api" / "extract_3_oqparam.json"
    return json.loads(record.read_text())["body"]["npz"]["json"]["sample"]


def test_case_05_matches_openquake_oqparam(classical, shared_dir):
    p = read_quiet(classical / "case_05" / "job.ini")
    text = _recorded_oqparam(shared_dir)
    # the recorded sample is cut after 3000 characters: take the complete fields from it
    recorded_pga = json.loads(re.search(r'"PGA": (\[[^\]]*\])', text).group(1))
    recorded_dist = json.loads(re.search(r'"maximum_distance": (\{.*?\}),\n', text,
                                         re.S).group(1))
    assert len(p.imtls) == 13 and list(p.imtls)[-1] == "SA(4.0)"
    # logscale reproduces OpenQuake's stored levels exactly
    assert p.imtls["PGA"].tolist() == recorded_pga
    for levels in p.imtls.values():
        np.testing.assert_array_equal(levels, p.imtls["PGA"])
    assert p.maximum_distance == {trt: pairs[0][1] for trt, pairs in recorded_dist.items()}
    assert p.max_distance("Volcanic Shallow") == 30.0
    assert p.max_distance("Unknown Region") == 200.0
    assert p.quantiles == (0.15, 0.85)
    assert p.poes == (0.02,)
    assert p.mean is True  # from mean_hazard_curves
    assert p.individual_rlzs is True
    assert p.hazard_maps is True and p.uniform_hazard_spectra is True
    assert p.area_source_discretization is None  # commented out
    assert p.random_seed == 23
    assert p.sites.tolist() == [[15.2, 37.5, 0.0]]


def test_every_qa_job_file_reads_without_unexpected_warnings(shared_dir):
    """All job files of the QA cases: only the two intentional misspellings warn."""
    qa = shared_dir / "reference" / "openquake" / "qa"
    expected = {("classical", "case_01", "job.ini"): "minimun_magnitude",
                ("event_based", "case_1", "job.ini"): "mimimum_magnitude"}
    paths = sorted(qa.glob("*/*/*.ini"))
    assert len(paths) >= 15
    for path in paths:
        key = path.relative_to(qa).parts
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            try:
                read_job_ini(path)
            except InputError:
                pass  # the *_wrong / *_bad files; checked elsewhere
        names = [re.search(r"parameter '(\w+)'", str(w.message)).group(1) for w in record]
        assert names == ([expected[key]] if key in expected else []), path


# --------------------------------------------------------------------------- bad inputs
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


def write_job(tmp_path: Path, text: str = BASE, **changes: str) -> Path:
    """A job.ini in tmp_path (with its two logic-tree files); ``changes`` replace or add keys;
    a value of None removes the key."""
    for name in ("smlt.xml", "gslt.xml"):
        (tmp_path / name).write_text("<nrml/>")
    lines = text.splitlines()
    for key, value in changes.items():
        index = next((i for i, line in enumerate(lines) if line.startswith(key + " =")), None)
        if value is None:
            if index is not None:
                del lines[index]
        elif index is None:
            lines.append(f"{key} = {value}")
        else:
            lines[index] = f"{key} = {value}"
    path = tmp_path / "job.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_minimal_job(tmp_path):
    p = read_quiet(write_job(tmp_path))
    assert p.rupture_mesh_spacing == 5.0 and p.reference_vs30_type == "inferred"
    assert p.random_seed == 42 and p.description == "test"
    assert p.reference_depth_to_1pt0km_per_sec is None


def test_unknown_calculation_mode(tmp_path):
    path = write_job(tmp_path, calculation_mode="clasical")
    with pytest.raises(UnknownName) as info:
        read_quiet(path)
    message = str(info.value)
    assert f"{path} line 3: unknown calculation_mode 'clasical'" in message
    assert "did you mean 'classical'?" in message
    assert all(mode in message for mode in CALCULATION_MODES)
    assert isinstance(info.value, InputError)


def test_modes_argument_restricts_modes(tmp_path):
    path = write_job(tmp_path, calculation_mode="event_based")
    with pytest.raises(UnknownName, match=r"known modes: classical\)"):
        read_job_ini(path, modes=["classical"])


def test_invalid_number_names_file_line_key(tmp_path):
    path = write_job(tmp_path, investigation_time="abc")
    with pytest.raises(InputError) as info:
        read_quiet(path)
    assert str(info.value) == (
        f"{path} line 8: investigation_time must be a positive number, got 'abc'")


@pytest.mark.parametrize("value, match", [
    ('{"PGA": [-0.1, 0.2]}', "must be positive"),
    ('{"PGA": [0, 0.2]}', "must be positive"),
    ('{"PGA": []}', "is empty"),
    ('{"PGA": [0.2, 0.1]}', "strictly increasing"),
    ('{"PGA": [0.1, 0.1]}', "strictly increasing"),
    ('{"PGA": logscale(0.2, 0.1, 5)}', r"needs 0 < start < stop"),
    ('{"PGA": logscale(0.1, 1, 1)}', "integer number of levels >= 2"),
    ('{"PGA": [0.1, 0.2], "SA(0.10)": [0.1], "SA(0.1)": [0.2]}', "duplicates 'SA\\(0.1\\)'"),
    ('{"XYZ": [0.1]}', "unknown intensity measure type 'XYZ'"),
    ('{"PGA": __import__("os").getcwd()}', "unexpected call expression|unknown function"),
    ('{"PGA": open("x")}', "unknown function open()"),
    ('{"PGA": [0.1, 0.2]', "not a valid literal"),
    ("[0.1, 0.2]", "non-empty dict"),
])
def test_bad_intensity_measure_levels(tmp_path, value, match):
    path = write_job(tmp_path, intensity_measure_types_and_levels=value)
    with pytest.raises(InputError, match=match) as info:
        read_quiet(path)
    assert f"{path} line 9" in str(info.value)


def test_multiline_literal_error_reports_its_line(tmp_path):
    text = BASE.replace(
        'intensity_measure_types_and_levels = {"PGA": [0.1, 0.2]}',
        'intensity_measure_types_and_levels = {\n  "PGA": [0.1, 0.2],\n  "PGV": oops(1, 2, 3)}')
    path = write_job(tmp_path, text)
    with pytest.raises(InputError, match=r"line 11: .*unknown function oops\(\)"):
        read_quiet(path)


def test_scales():
    np.testing.assert_allclose(logscale(0.01, 1.0, 3), [0.01, 0.1, 1.0], rtol=1e-15)
    np.testing.assert_array_equal(linscale(0.1, 0.3, 3), np.linspace(0.1, 0.3, 3))


def test_linscale_in_job(tmp_path):
    p = read_quiet(write_job(tmp_path, intensity_measure_types_and_levels=(
        "{'PGV': linscale(1, 5, 5), 'SA(1)': 0.5}")))
    assert p.imtls["PGV"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert p.imtls["SA(1.0)"].tolist() == [0.5]


def test_missing_referenced_file(tmp_path):
    path = write_job(tmp_path, gsim_logic_tree_file="nope.xml")
    with pytest.raises(InputError) as info:
        read_quiet(path)
    assert str(info.value) == (f"{path} line 7: gsim_logic_tree_file refers to a missing "
                               f"file: {tmp_path.resolve() / 'nope.xml'}")


def test_missing_sites_csv(tmp_path):
    path = write_job(tmp_path, sites=None, sites_csv="sites.csv")
    with pytest.raises(InputError, match=r"sites_csv refers to a missing file: .*sites.csv"):
        read_quiet(path)


def test_misspelled_key_warning_text(tmp_path):
    path = write_job(tmp_path, truncation_levle="2")
    with pytest.warns(JobIniWarning) as record:
        p = read_job_ini(path)
    assert str(record[0].message) == (
        f"{path} line 12: unknown parameter 'truncation_levle' is ignored; did you mean "
        "'truncation_level'?")
    assert p.truncation_level == 3.0


def test_unrelated_unknown_key_has_no_suggestion(tmp_path):
    with pytest.warns(JobIniWarning, match=r"unknown parameter 'colour' is ignored$"):
        read_job_ini(write_job(tmp_path, colour="blue"))


def test_known_oq_keys_do_not_warn(tmp_path):
    assert len(KNOWN_KEYS) > 154
    path = write_job(tmp_path, ses_seed="3", disagg_by_src="true", use_rates="true",
                     structural_vulnerability_file="v.xml", pointsource_distance="50")
    read_quiet(path)


def test_syntax_errors(tmp_path):
    path = tmp_path / "job.ini"
    path.write_text("[general]\ncalculation_mode = classical\njust some words\n")
    with pytest.raises(InputError, match=r"job.ini line 3: expected 'key = value'"):
        read_job_ini(path)
    path.write_text("calculation_mode = classical\n[x]\ncalculation_mode = scenario\n")
    with pytest.raises(InputError, match=r"line 3: calculation_mode is given twice \(also on "
                                         r"line 1\)"):
        read_job_ini(path)
    with pytest.raises(InputError, match="job file not found"):
        read_job_ini(tmp_path / "missing.ini")


def test_ini_syntax_comments_colons_and_case(tmp_path):
    path = tmp_path / "job.ini"
    path.write_text("; comment\n  # indented comment\nDescription: a b\n"
                    "poes = 0.1,\n   0.02\n\n   0.01\n[out]\nmean=false\n")
    values, lines = parse_ini(path)
    assert values == {"description": "a b", "poes": "0.1,\n0.02\n\n0.01", "mean": "false"}
    assert lines == {"description": 3, "poes": 4, "mean": 9}


@pytest.mark.parametrize("key, value, match", [
    ("truncation_level", "-1", "truncation_level must be a non-negative number, got '-1'"),
    ("poes", "0.1 1.0", r"poes must be a list of numbers in \(0, 1\), got '0.1 1.0'"),
    ("quantiles", "0.5, 1.5", r"quantiles must be a list of numbers in \[0, 1\]"),
    ("mean", "maybe", "mean must be true or false, got 'maybe'"),
    ("reference_vs30_type", "guessed", "'measured' or 'inferred'"),
    ("reference_vs30_value", "0", "reference_vs30_value must be a positive number"),
    ("rupture_mesh_spacing", "-5", "rupture_mesh_spacing must be a positive number"),
    ("random_seed", "1.5", "random_seed must be an integer"),
    ("number_of_logic_tree_samples", "-1", "number_of_logic_tree_samples must be"),
    ("maximum_distance", "-3", "maximum_distance must be a positive number"),
    ("maximum_distance", "[(5, 50), (7, 200)]", "magnitude-dependent values"),
    ("maximum_distance", "{'A': 'far'}", "maximum_distance must be a positive number or a dict"),
    ("minimum_magnitude", "{'A': -1}", "minimum_magnitude must be a non-negative number"),
    ("sites", "0 0, 1", "sites entry 2 \\('1'\\) must be 'lon lat' or 'lon lat depth'"),
    ("sites", "0 0, 200 0", "sites entry 2 .* out of range"),
    ("hazard_maps", "true", "hazard_maps = true needs poes"),
    ("gsim", "BooreEtAl2014", "give either gsim or gsim_logic_tree_file"),
    ("quantile_hazard_curves", "0.5", None),
    ("reqv_file", "reqv.hdf5", r"reqv_file \(equivalent-distance .*\) is not supported yet"),
    ("amplification_csv", "amp.csv", "amplification_csv .* is not supported yet"),
    ("shift_hypo", "maybe", "shift_hypo must be"),
])
def test_invalid_values(tmp_path, key, value, match):
    changes = {key: value}
    if key == "quantile_hazard_curves":
        changes["quantiles"] = "0.1"
        match = "give either quantiles or quantile_hazard_curves"
    path = write_job(tmp_path, **changes)
    with pytest.raises(InputError, match=match) as info:
        read_quiet(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("value", "expected"), [(None, False), ("true", True), ("false", False)])
def test_shift_hypo(tmp_path, value, expected):
    assert read_quiet(write_job(tmp_path, shift_hypo=value)).shift_hypo is expected


@pytest.mark.parametrize("key", ["source_model_logic_tree_file", "investigation_time",
                                 "intensity_measure_types_and_levels", "maximum_distance",
                                 "sites", "reference_vs30_value"])
def test_missing_required_keys(tmp_path, key):
    path = write_job(tmp_path, **{key: None})
    with pytest.raises(InputError, match=f"{path}: missing {key} .*calculation_mode "
                                         "'classical'"):
        read_quiet(path)


def test_missing_gsim_and_mode(tmp_path):
    with pytest.raises(InputError, match="missing gsim_logic_tree_file .*or gsim"):
        read_quiet(write_job(tmp_path, gsim_logic_tree_file=None))
    with pytest.raises(InputError, match="missing calculation_mode"):
        read_quiet(write_job(tmp_path, calculation_mode=None))


def test_per_trt_values_and_defaults(tmp_path):
    p = read_quiet(write_job(tmp_path, maximum_distance="{'A': 100, 'B': 300.5}",
                             minimum_magnitude="{'A': 5.5}", truncation_level=""))
    assert p.maximum_distance == {"A": 100.0, "B": 300.5, "default": 300.5}
    assert p.minimum_magnitude == {"A": 5.5, "default": 0.0}
    assert p.min_magnitude("B") == 0.0
    assert p.truncation_level is None
    p = read_quiet(write_job(tmp_path, maximum_distance="{'default': 50, 'A': 100}"))
    assert p.max_distance("Z") == 50.0


def test_intensity_measure_types_only(tmp_path):
    path = write_job(tmp_path, intensity_measure_types_and_levels=None,
                     intensity_measure_types="PGA, SA(0.30)")
    with pytest.raises(InputError, match="needs intensity measure levels"):
        read_quiet(path)
    text = BASE.replace("calculation_mode = classical", "calculation_mode = scenario")
    p = read_quiet(write_job(tmp_path, text, intensity_measure_types_and_levels=None,
                             intensity_measure_types="PGA, SA(0.30)",
                             rupture_dict="{'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6}",
                             number_of_ground_motion_fields="10"))
    assert list(p.imtls) == ["PGA", "SA(0.3)"]
    assert all(v.size == 0 for v in p.imtls.values())
    with pytest.raises(InputError, match="give only one of the two"):
        read_quiet(write_job(tmp_path, intensity_measure_types="PGV"))


def test_aliases(tmp_path):
    p = read_quiet(write_job(tmp_path, quantile_hazard_curves="0.16 0.84",
                             individual_curves="true", mean_hazard_curves="false"))
    assert p.quantiles == (0.16, 0.84)
    assert p.individual_rlzs is True
    assert p.mean is False


def test_paths_are_relative_to_the_job_dir(tmp_path, monkeypatch):
    path = write_job(tmp_path, export_dir="out")
    monkeypatch.chdir(DATA)
    p = read_quiet(Path(os.path.relpath(path, DATA)))  # from another working directory
    assert p.export_dir == tmp_path.resolve() / "out"
    assert p.source_model_logic_tree_file == tmp_path.resolve() / "smlt.xml"


def test_public_names():
    import toolkit.io

    assert sorted(toolkit.io.__all__) == sorted(set(toolkit.io.__all__))
    for name in toolkit.io.__all__:
        assert getattr(toolkit.io, name) is not None


def test_other_imts_sorted_by_period_and_canonical_names(tmp_path):
    # OpenQuake orders the IMTs by period (1/f for EAS), equal periods in the job order
    value = ('{"AvgSA(0.10)": [0.1, 0.2], "SA(0.1)": [0.1], "IA": logscale(0.001, 10, 3), '
             '"AvgSA": [0.1], "EAS(1.0)": [0.005, 0.1], "PGA": [0.1]}')
    p = read_quiet(write_job(tmp_path, intensity_measure_types_and_levels=value))
    assert list(p.imtls) == ["IA", "AvgSA", "PGA", "AvgSA(0.1)", "SA(0.1)", "EAS(1.000000)"]
    assert [imt.name for imt in p.imts] == ["IA", "AvgSA", "PGA", "AvgSA", "SA", "EAS"]
    np.testing.assert_allclose(p.imtls["IA"], [0.001, 0.1, 10.0], rtol=1e-14)


@pytest.mark.parametrize("key, value", [
    ("intensity_measure_types_and_levels",
     '{"SA(1.0)": [0.1], "PGV": [1.0], "SA(0.1)": [0.1], "PGA": [0.1], "SA(0.05)": [0.1]}'),
    ("intensity_measure_types", "SA(1.0), PGV, SA(0.1), PGA, SA(0.05)"),
])
def test_imts_ordered_as_openquake_orders_its_output_columns(tmp_path, key, value):
    # measured with OpenQuake 3.26: hazard-map, UHS and gmv_* columns by increasing period,
    # PGV before PGA here because the job names it first (a stable sort, not by name)
    if key.endswith("levels"):
        p = read_quiet(write_job(tmp_path, **{key: value}))
    else:
        text = BASE.replace("calculation_mode = classical", "calculation_mode = scenario")
        p = read_quiet(write_job(tmp_path, text, intensity_measure_types_and_levels=None,
                                 rupture_dict="{'lon': 0, 'lat': 0, 'dep': 10, 'mag': 6}",
                                 number_of_ground_motion_fields="10", **{key: value}))
    assert list(p.imtls) == ["PGV", "PGA", "SA(0.05)", "SA(0.1)", "SA(1.0)"]


@pytest.mark.parametrize("value, expected", [("True", True), (" on ", True), ("1", True),
                                             ("no", False), ("FALSE", False), ("0", False),
                                             (None, False), ("  ", False)])
def test_parse_bool(value, expected):
    from toolkit.io.jobini import parse_bool

    assert parse_bool(value, "job.ini line 3", "use_rates") is expected
    assert parse_bool(None, "job.ini line 3", "use_rates", default=True) is True


def test_parse_bool_names_the_line_and_key():
    from toolkit.io.jobini import parse_bool

    with pytest.raises(InputError, match=r"job.ini line 3: use_rates must be true or false, "
                                         r"got 'maybe'"):
        parse_bool("maybe", "job.ini line 3", "use_rates")
