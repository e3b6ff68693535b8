"""Depth-damage: curves CSV, interpolation, land use, summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.scenarios.damage import (
    DEFAULT_CURVES,
    DEFAULT_LAND_USE,
    damage,
    read_curves,
    write_damage_summary,
)

CURVES = """\
# test curves
class,depth,damage_fraction,max_damage
urban,0,0,100
urban,1,0.5,100
urban,2,1,100
farm,0.5,0.2,2
farm,0,0,2
"""


@pytest.fixture
def curves(tmp_path):
    path = tmp_path / "curves.csv"
    path.write_text(CURVES)
    return path


def test_default_curves_are_the_jrc_europe_fractions():
    table = read_curves()
    assert list(table) == ["residential", "commercial", "industrial", "agriculture"]
    assert DEFAULT_LAND_USE in table
    res = table["residential"]
    # Huizinga et al. (2017), Europe, residential, at 0, 0.5, 1, 1.5, 2, 3, 4, 5, 6 m
    np.testing.assert_array_equal(res.depth, [0, 0.5, 1, 1.5, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(res.fraction, [0, 0.25, 0.4, 0.5, 0.6, 0.75, 0.85, 0.95, 1])
    assert res(np.array([0.75]))[0] == pytest.approx(0.325)  # linear between 0.5 and 1 m
    assert res(np.array([9.0]))[0] == 1.0 and res(np.array([0.0]))[0] == 0.0
    assert "ILLUSTRATIVE" in DEFAULT_CURVES.read_text()


def test_damage_of_one_class(curves):
    depth = np.array([[0.0, 0.5, 1.5], [3.0, np.nan, -0.2]])
    est = damage(depth, "urban", curves, pixel_area=4.0)
    expected = np.array([[0.0, 0.25, 0.75], [1.0, np.nan, 0.0]]) * 100 * 4.0
    np.testing.assert_array_equal(est.damage, expected)
    assert est.unit == "EUR" and est.total == pytest.approx(800.0)
    s = est.summary()
    urban = s["classes"][0]
    assert urban["class"] == "urban" and urban["flooded_pixels"] == 3
    assert urban["flooded_area_m2"] == 12.0 and urban["max_depth_m"] == 3.0
    assert urban["total_damage"] == pytest.approx(800.0) and s["total_damage"] == 800.0
    assert s["classes"][1]["flooded_pixels"] == 0


def test_land_use_raster_with_codes_and_names(curves):
    depth = np.array([[1.0, 1.0], [0.25, 1.0]])
    codes = np.array([[1, 2], [2, 0]])
    est = damage(depth, codes, curves, classes={1: "urban", 2: "farm"})
    np.testing.assert_allclose(est.damage, [[50.0, 2.0 * 0.2], [2.0 * 0.1, 0.0]])
    by_name = damage(depth, np.array([["urban", "farm"], ["farm", ""]]), curves)
    np.testing.assert_array_equal(by_name.damage, est.damage)
    with pytest.raises(InputError, match=r"land-use codes \[3\] are not in `classes`"):
        damage(depth, np.array([[1, 3], [2, 0]]), curves, classes={1: "urban", 2: "farm"})
    with pytest.raises(InputError, match="needs `classes`"):
        damage(depth, codes, curves)
    with pytest.raises(InputError, match="class 'forest' has no depth-damage curve"):
        damage(depth, "forest", curves)
    with pytest.raises(InputError, match=r"shape \(3,\), the depth raster \(2, 2\)"):
        damage(depth, np.array([1, 2, 3]), curves, classes={1: "urban"})


def test_curves_without_max_damage_give_an_area(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("class,depth,damage_fraction\nx,0,0\nx,2,1\n")
    est = damage(np.array([1.0]), "x", path, pixel_area=10.0)
    assert est.unit == "m2" and est.damage[0] == pytest.approx(5.0)


@pytest.mark.parametrize("text, message", [
    ("class,depth\nx,0\n", r"line 1: missing column\(s\) damage_fraction"),
    ("class,depth,damage_fraction\nx,0,0\nx,1,1.5\n", r"line 3: damage_fraction 1.5 is outside"),
    ("class,depth,damage_fraction\nx,0,0\nx,one,1\n", r"line 3: depth 'one' is not a number"),
    ("class,depth,damage_fraction\nx,0,0\nx,0,1\n", r"line 3: depth repeated in class 'x'"),
    ("class,depth,damage_fraction\nx,-1,0\n", r"line 2: depth -1.0 must be >= 0"),
    ("class,depth,damage_fraction,max_damage\nx,0,0,1\nx,1,1,2\n", "different max_damage"),
    ("class,depth,damage_fraction\nx,0\n", "line 2: 2 fields, expected 3"),
    ("# nothing\n", "no depth-damage curves"),
])
def test_bad_curves(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_curves(path)


def test_missing_curves_file(tmp_path):
    with pytest.raises(InputError, match="nope.csv: depth-damage curves file not found"):
        read_curves(tmp_path / "nope.csv")


def test_summary_csv_and_json(curves, tmp_path):
    est = damage(np.array([[0.5, 1.0], [2.0, 0.0]]), np.array([["urban", "farm"],
                                                                 ["urban", "urban"]]), curves)
    summary = est.summary()
    csv_path = write_damage_summary(summary, tmp_path / "damage-summary.csv")
    lines = csv_path.read_text().splitlines()
    assert lines[0] == ("class,flooded_pixels,flooded_area_m2,mean_depth_m,max_depth_m,"
                        "mean_damage_fraction,max_damage_per_m2,total_damage_EUR")
    assert lines[1] == "urban,2,2,1.25,2,0.625,100,125"
    assert lines[2] == "farm,1,1,1,1,0.2,2,0.4"
    assert lines[-1] == "total,3,3,,,,,125.4"
    json_path = write_damage_summary(summary, tmp_path / "damage-summary.json")
    assert json.loads(json_path.read_text()) == summary
    with pytest.raises(InputError, match="csv or json"):
        write_damage_summary(summary, tmp_path / "s.txt")
