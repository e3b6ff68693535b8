"""Non-parametric sources whose ruptures are in the companion HDF5 file."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.engine.hazard.point_cloud import PointCloudSurfaces
from toolkit.errors import InputError
from toolkit.io.nrml import read_source_model

h5py = pytest.importorskip("h5py")
PARAMS = SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1, investigation_time=50.0)
XML = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
  <sourceModel name="h5" investigation_time="50.0">
    <sourceGroup tectonicRegion="Subduction Interface" src_interdep="mutex"
                 srcs_weights="0.4 0.6">
      <nonParametricSeismicSource id="c:1" name="one"/>
      <nonParametricSeismicSource id="c:2" name="two"/>
    </sourceGroup>
  </sourceModel>
</nrml>
"""


def write_model(tmp_path: Path, edit=None) -> Path:
    path = tmp_path / "model.xml"
    path.write_text(XML)
    with h5py.File(tmp_path / "model.hdf5", "w") as f:
        for k, sid in enumerate(["c:1", "c:2"]):
            g = f.create_group(sid)
            g["magnitude"] = np.array([8.0 + k, 7.5])
            g["rake"] = np.array([90.0, 80.0])
            g["hypocenter"] = np.array([[135.0, 33.0, 15.0], [135.1, 33.1, 20.0]], np.float32)
            g["probs_occur"] = np.array([[0.0, 1.0], [0.7, 0.3]])
            g["mesh3d"] = np.array([[135.0, 33.0, 10.0], [135.1, 33.0, 12.0],
                                    [135.2, 33.1, 14.0]], np.float32)
            g["slice"] = np.array([[0, 2], [1, 3]], np.uint32)
            if edit is not None:
                edit(g)
    return path


def test_ruptures_from_hdf5(tmp_path):
    model = read_source_model(write_model(tmp_path), params=PARAMS)
    group = model.groups[0].sources[0]
    assert group.semantics.srcs_weights == (0.4, 0.6)
    first = group.sources[0]
    assert first.source_id == "c:1" and first.count_ruptures() == 2
    np.testing.assert_array_equal(first.mags, [8.0, 7.5])
    np.testing.assert_array_equal(first.probs_occur, [[0.0, 1.0], [0.7, 0.3]])
    surf = first.ruptures[1].surface
    assert isinstance(surf, PointCloudSurfaces)
    np.testing.assert_allclose(surf.clouds[0], [[135.1, 33.0, 12.0], [135.2, 33.1, 14.0]],
                               rtol=1e-6)
    assert first.ruptures[0].rake[0] == 90.0 and first.ruptures[1].hypo[0, 2] == 20.0


def test_missing_companion_file(tmp_path):
    path = tmp_path / "model.xml"
    path.write_text(XML)
    with pytest.raises(InputError, match=r"line 6, source 'c:1': the nonParametricSeismic"
                                         r"Source has no rupture elements and there is no "
                                         r"companion file .*model.hdf5"):
        read_source_model(path, params=PARAMS)


def _drop_rake(g):
    del g["rake"]


def _bad_slice(g):
    del g["slice"]
    g["slice"] = np.array([[0, 2], [2, 9]], np.uint32)


@pytest.mark.parametrize("edit, match", [
    (_drop_rake, r"group 'c:1' of .*model.hdf5 lacks \['rake'\]"),
    (_bad_slice, "'slice' of group 'c:1' of .* points outside mesh3d"),
])
def test_bad_hdf5_groups(tmp_path, edit, match):
    with pytest.raises(InputError, match=match):
        read_source_model(write_model(tmp_path, edit), params=PARAMS)


def test_missing_group(tmp_path):
    path = write_model(tmp_path)
    path.write_text(XML.replace('id="c:2"', 'id="c:3"'))
    with pytest.raises(InputError, match=r"source 'c:3': no group 'c:3' in .*model.hdf5"):
        read_source_model(path, params=PARAMS)


def test_mutex_ruptures_of_hdf5_sources(tmp_path):
    # rup_interdep="mutex" with rup_weights on sources without rupture elements: the
    # weights are counted against the HDF5 ruptures (two per source)
    path = write_model(tmp_path)
    xml = XML.replace('src_interdep="mutex"', 'src_interdep="mutex" rup_interdep="mutex"')
    path.write_text(xml.replace('name="one"/>', 'name="one" rup_weights="0.3 0.7"/>')
                    .replace('name="two"/>', 'name="two" rup_weights="0.5 0.5"/>'))
    group = read_source_model(path, params=PARAMS).groups[0].sources[0]
    assert group.semantics.rup_weights == {"c:1": (0.3, 0.7), "c:2": (0.5, 0.5)}
    path.write_text(xml.replace('name="one"/>', 'name="one" rup_weights="1.0"/>')
                    .replace('name="two"/>', 'name="two" rup_weights="0.5 0.5"/>'))
    with pytest.raises(InputError, match=r"line 4: source 'c:1' has 1 rupture weights for 2 "
                                         r"ruptures"):
        read_source_model(path, params=PARAMS)


def test_non_numeric_dataset(tmp_path):
    def _text_rake(g):
        del g["rake"]
        g["rake"] = np.array([b"up", b"down"])

    with pytest.raises(InputError, match=r"dataset 'rake' of group 'c:1' of .*model.hdf5 "
                                         r"is not numeric"):
        read_source_model(write_model(tmp_path, _text_rake), params=PARAMS)
