"""custom_site_id: OpenQuake's geohash variant (a value on a midpoint goes to the lower half)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import InputError
from toolkit.store.geohash import custom_site_ids, geohash_bounds


@pytest.mark.parametrize(
    "lon, lat, code",
    [
        (0.0, 0.0, "7zzzzzzz"),
        (0.0, 0.1, "ebpbxfpy"),
        (0.0, 0.2, "ebpcpurv"),
        (15.56, 38.17, "sqg14hdk"),
        # the other sites of OpenQuake's calc 7 (cli-exports/calc_7/sitemesh_7.csv)
        (15.48, 38.09, "sqg08q04"),
        (15.48, 38.25, "sqg1870n"),
        (180.0, 90.0, "zzzzzzzz"),
        (-180.0, -90.0, "00000000"),
    ],
)
def test_known_codes(lon, lat, code):
    assert custom_site_ids([lon], [lat]).tolist() == [code]


def test_standard_geohash_away_from_midpoints():
    """Away from cell boundaries the variant agrees with the textbook geohash
    (Niemeyer's example: lat 42.6, lon -5.6 is 'ezs42')."""
    assert custom_site_ids([-5.6], [42.6], length=5).tolist() == ["ezs42"]


def test_vectorised_shape_and_dtype():
    codes = custom_site_ids(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.1, 0.2]))
    assert codes.dtype == np.dtype("<U8")
    assert codes.tolist() == ["7zzzzzzz", "ebpbxfpy", "ebpcpurv"]
    assert custom_site_ids([], []).shape == (0,)


@pytest.mark.parametrize(
    "lons, lats, match",
    [
        ([181.0], [0.0], r"lons\[0\] = 181.0 is outside \[-180, 180\]"),
        ([0.0, 0.0], [0.0, -90.5], r"lats\[1\] = -90.5 is outside \[-90, 90\]"),
        ([np.nan], [0.0], r"lons\[0\] = nan"),
        ([0.0, 1.0], [0.0], "2 longitudes but 1 latitudes"),
    ],
)
def test_bad_coordinates(lons, lats, match):
    with pytest.raises(InputError, match=match):
        custom_site_ids(lons, lats)


def test_bad_code():
    with pytest.raises(InputError, match="character 'a' is not in the alphabet"):
        geohash_bounds(["7zzzzzza"])


def _in_cell(x, lo, hi, global_lo):
    """Half-open containment (lo, hi], closed at the global lower bound."""
    return (lo < x <= hi) or (x == global_lo == lo)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=-180, max_value=180, allow_nan=False),
    st.floats(min_value=-90, max_value=90, allow_nan=False),
)
def test_decoded_cell_contains_the_point(lon, lat):
    (code,) = custom_site_ids([lon], [lat])
    west, east, south, north = geohash_bounds([code])[0]
    assert _in_cell(lon, west, east, -180.0)
    assert _in_cell(lat, south, north, -90.0)
    assert east - west == 360.0 / 2**20 and north - south == 180.0 / 2**20


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=2**20), st.integers(min_value=1, max_value=2**20))
def test_points_on_cell_boundaries_go_to_the_lower_cell(i, j):
    lon = -180.0 + i * 360.0 / 2**20
    lat = -90.0 + j * 180.0 / 2**20
    (code,) = custom_site_ids([lon], [lat])
    west, east, south, north = geohash_bounds([code])[0]
    assert (east, north) == (lon, lat)
