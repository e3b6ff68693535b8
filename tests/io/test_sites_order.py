"""Order of the sites of a sites CSV: sorted without a header, as written with one."""

from __future__ import annotations

import numpy as np

from toolkit.io.sites import read_sites_csv


def test_headerless_sites_are_sorted_by_longitude_then_latitude(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("15.1,37.7,-0.5\n15.0,37.8,-2.0\n15.0,37.7,-1.0\n14.0,38.0\n")
    np.testing.assert_array_equal(read_sites_csv(path), [
        [14.0, 38.0, 0.0], [15.0, 37.7, -1.0], [15.0, 37.8, -2.0], [15.1, 37.7, -0.5]])


def test_sites_with_a_header_keep_the_file_order(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("lon,lat,depth\n15.1,37.7,-0.5\n15.0,37.8,-2.0\n15.0,37.7,-1.0\n")
    np.testing.assert_array_equal(read_sites_csv(path), [
        [15.1, 37.7, -0.5], [15.0, 37.8, -2.0], [15.0, 37.7, -1.0]])
