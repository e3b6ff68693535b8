"""NRML multi-point and non-parametric sources, hypoList and slipList."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from toolkit.engine.hazard.sources import (
    HypoSlipSource,
    MultiPointSource,
    NonParametricSource,
    PointSource,
)
from toolkit.errors import InputError
from toolkit.io.nrml import read_source_model
from toolkit.io.nrml_points import HypoSlipSpec, MultiPointSpec

PARAMS = SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1)

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
<sourceModel name="m">
<sourceGroup tectonicRegion="Active Shallow Crust">
"""
TAIL = """</sourceGroup>
</sourceModel>
</nrml>
"""
DISTRIBUTIONS = """<nodalPlaneDist>
  <nodalPlane probability="0.5" strike="0" dip="90" rake="0"/>
  <nodalPlane probability="0.5" strike="45" dip="60" rake="90"/>
</nodalPlaneDist>
<hypoDepthDist>
  <hypoDepth probability="1.0" depth="10"/>
</hypoDepthDist>
"""


def multi_point(mfd: str, points: str = "0.0 0.0 0.5 0.5", extra: str = "") -> str:
    return f"""<multiPointSource id="mp" name="grid">
<multiPointGeometry>
  <gml:posList>{points}</gml:posList>
  <upperSeismoDepth>0</upperSeismoDepth>
  <lowerSeismoDepth>20</lowerSeismoDepth>
</multiPointGeometry>
<magScaleRel>WC1994</magScaleRel>
<ruptAspectRatio>1.5</ruptAspectRatio>
{mfd}
{DISTRIBUTIONS}{extra}</multiPointSource>
"""


def point(pid: str, lon: float, lat: float, mfd: str, extra: str = "") -> str:
    return f"""<pointSource id="{pid}" name="p">
<pointGeometry>
  <gml:Point><gml:pos>{lon} {lat}</gml:pos></gml:Point>
  <upperSeismoDepth>0</upperSeismoDepth>
  <lowerSeismoDepth>20</lowerSeismoDepth>
</pointGeometry>
<magScaleRel>WC1994</magScaleRel>
<ruptAspectRatio>1.5</ruptAspectRatio>
{mfd}
{DISTRIBUTIONS}{extra}</pointSource>
"""


def write(tmp_path: Path, body: str, name: str = "model.xml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body + TAIL)
    return path


def read(tmp_path: Path, body: str, params=PARAMS):
    return read_source_model(write(tmp_path, body), params=params).sources


def same_ruptures(a, b):
    """Two sources give the same ruptures: magnitudes, rates, hypocentres and corners."""
    ba = [blk for blk in a.iter_ruptures()]
    bb = [blk for blk in b.iter_ruptures()]
    for name in ("mag", "rate", "hypo"):
        np.testing.assert_allclose(np.concatenate([getattr(x, name) for x in ba]),
                                   np.concatenate([getattr(x, name) for x in bb]), rtol=1e-12)
    np.testing.assert_allclose(np.concatenate([x.surface.xyz for x in ba]),
                               np.concatenate([x.surface.xyz for x in bb]), rtol=1e-12)


# --------------------------------------------------------------------------- multi-point
def test_truncated_gr_multi_mfd_with_a_broadcast_b_value(tmp_path):
    mfd = """<multiMFD kind="truncGutenbergRichterMFD" size="2">
  <a_val>3.0 2.5</a_val><b_val>0.9</b_val><min_mag>5.0</min_mag><max_mag>6.5 7.0</max_mag>
</multiMFD>"""
    [src] = read(tmp_path, multi_point(mfd))
    assert isinstance(src, MultiPointSource) and len(src) == 2
    p0, p1 = read(tmp_path, point("a", 0.0, 0.0, '<truncGutenbergRichterMFD aValue="3.0" '
                                  'bValue="0.9" minMag="5.0" maxMag="6.5"/>')
                  + point("b", 0.5, 0.5, '<truncGutenbergRichterMFD aValue="2.5" '
                          'bValue="0.9" minMag="5.0" maxMag="7.0"/>'), )
    for got, expected in zip(src.point_sources(), (p0, p1), strict=True):
        same_ruptures(got, expected)
    assert src.count_ruptures() == p0.count_ruptures() + p1.count_ruptures()


def test_truncated_gr_bin_width_overrides_the_job(tmp_path):
    mfd = """<multiMFD kind="truncGutenbergRichterMFD" size="2">
  <a_val>3.0</a_val><b_val>1.0</b_val><bin_width>0.5</bin_width><min_mag>5.0</min_mag>
  <max_mag>7.0</max_mag>
</multiMFD>"""
    [src] = read(tmp_path, multi_point(mfd))
    mags, _ = src.mfds[0].get_annual_occurrence_rates()
    np.testing.assert_allclose(mags, [5.25, 5.75, 6.25, 6.75])


def test_incremental_multi_mfd_with_lengths_and_job_bin_width(tmp_path):
    mfd = """<multiMFD kind="incrementalMFD" size="2">
  <min_mag>5.05</min_mag>
  <occurRates>0.01 0.005 0.002 0.03 0.02</occurRates>
  <lengths>3 2</lengths>
</multiMFD>"""
    [src] = read(tmp_path, multi_point(mfd))
    mags0, rates0 = src.mfds[0].get_annual_occurrence_rates()
    mags1, rates1 = src.mfds[1].get_annual_occurrence_rates()
    np.testing.assert_allclose(mags0, [5.05, 5.15, 5.25])
    np.testing.assert_allclose(rates0, [0.01, 0.005, 0.002])
    np.testing.assert_allclose(mags1, [5.05, 5.15])
    np.testing.assert_allclose(rates1, [0.03, 0.02])


def test_arbitrary_multi_mfd_shared_by_all_points(tmp_path):
    mfd = """<multiMFD kind="arbitraryMFD" size="3">
  <magnitudes>5.5 6.5</magnitudes><occurRates>0.1 0.01</occurRates><lengths>2</lengths>
</multiMFD>"""
    [src] = read(tmp_path, multi_point(mfd, "0 0 0.1 0 0.2 0"))
    for mfd_obj in src.mfds:
        np.testing.assert_allclose(mfd_obj.get_annual_occurrence_rates()[1], [0.1, 0.01])


def test_youngs_coppersmith_multi_mfd(tmp_path):
    mfd = """<multiMFD kind="YoungsCoppersmithMFD" size="2">
  <min_mag>5.0</min_mag><b_val>1.0</b_val><char_mag>6.5</char_mag>
  <char_rate>0.001 0.002</char_rate><bin_width>0.1</bin_width>
</multiMFD>"""
    [src] = read(tmp_path, multi_point(mfd))
    r0 = src.mfds[0].get_annual_occurrence_rates()[1]
    r1 = src.mfds[1].get_annual_occurrence_rates()[1]
    np.testing.assert_allclose(r1, 2 * r0, rtol=1e-12)


@pytest.mark.parametrize("mfd, message", [
    ('<multiMFD kind="truncGutenbergRichterMFD" size="3"><a_val>3</a_val><b_val>1</b_val>'
     '<min_mag>5</min_mag><max_mag>7</max_mag></multiMFD>',
     "line 13, source 'mp': multiMFD size=3 differs from the 2 points"),
    ('<multiMFD kind="truncGutenbergRichterMFD" size="2"><a_val>3 3 3</a_val><b_val>1</b_val>'
     '<min_mag>5</min_mag><max_mag>7</max_mag></multiMFD>',
     "line 13, source 'mp': <a_val> has 3 values; expected one per point"),
    ('<multiMFD kind="truncGutenbergRichterMFD" size="2"><a_val>3</a_val>'
     '<min_mag>5</min_mag><max_mag>7</max_mag></multiMFD>', "lacks <b_val>"),
    ('<multiMFD kind="gaussianMFD" size="2"/>', "unknown multiMFD kind 'gaussianMFD'"),
    ('<multiMFD kind="incrementalMFD" size="2"><min_mag>5</min_mag>'
     '<occurRates>1 2 3</occurRates><lengths>2 2</lengths></multiMFD>',
     "<occurRates> has 3 values; <lengths> gives 4"),
    ('<multiMFD kind="arbitraryMFD" size="2"><magnitudes>5 6</magnitudes>'
     '<occurRates>1 2</occurRates><lengths>2 0</lengths></multiMFD>',
     "<lengths> must be positive integers"),
])
def test_bad_multi_mfd(tmp_path, mfd, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        read(tmp_path, multi_point(mfd))


def test_incremental_without_any_bin_width(tmp_path):
    mfd = """<multiMFD kind="incrementalMFD" size="2">
  <min_mag>5.05</min_mag><occurRates>0.01 0.005</occurRates><lengths>1</lengths>
</multiMFD>"""
    params = SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                             width_of_mfd_bin=None)
    with pytest.raises(InputError, match="no <bin_width>, and width_of_mfd_bin"):
        read(tmp_path, multi_point(mfd), params)


def test_multi_point_spec_and_duplicate_ids(tmp_path):
    mfd = """<multiMFD kind="arbitraryMFD" size="2">
  <magnitudes>5.5</magnitudes><occurRates>0.1</occurRates><lengths>1</lengths>
</multiMFD>"""
    from toolkit.io.nrml import parse_source_model

    model = parse_source_model(write(tmp_path, multi_point(mfd)), params=PARAMS)
    [spec] = model.sources
    assert isinstance(spec, MultiPointSpec) and spec.kind == "multiPointSource"
    assert spec.trt == "Active Shallow Crust" and spec.where.endswith("line 5, source 'mp'")
    body = multi_point(mfd) + point("mp", 0, 0, '<arbitraryMFD><magnitudes>5</magnitudes>'
                                    '<occurRates>1</occurRates></arbitraryMFD>')
    with pytest.raises(InputError, match="duplicate source id 'mp'"):
        read(tmp_path, body)


# --------------------------------------------------------------------------- non-parametric
PLANE = """<planarSurface>
  <topLeft lon="0.0" lat="-0.05" depth="2.0"/>
  <topRight lon="0.0" lat="0.05" depth="2.0"/>
  <bottomLeft lon="0.0" lat="-0.05" depth="12.0"/>
  <bottomRight lon="0.0" lat="0.05" depth="12.0"/>
</planarSurface>"""


def rupture(probs: str, mag: float = 6.5, tag: str = "singlePlaneRupture") -> str:
    return f"""<{tag} probs_occur="{probs}">
<magnitude>{mag}</magnitude><rake>0.0</rake>
<hypocenter lon="0.0" lat="0.0" depth="7.0"/>
{PLANE}
</{tag}>
"""


def test_non_parametric_source(tmp_path):
    body = ('<nonParametricSeismicSource id="np" name="n">\n' + rupture("0.9 0.1")
            + rupture("0.5 0.3 0.2", 7.0, "multiPlanesRupture")
            + "</nonParametricSeismicSource>\n")
    [src] = read(tmp_path, body)
    assert isinstance(src, NonParametricSource) and src.count_ruptures() == 2
    np.testing.assert_allclose(src.probs_occur, [[0.9, 0.1, 0.0], [0.5, 0.3, 0.2]])
    blocks = list(src.iter_ruptures())
    assert [len(b) for b in blocks] == [1, 1]  # a planar and a multi-plane rupture
    np.testing.assert_allclose(blocks[1].mag, [7.0])
    np.testing.assert_allclose(blocks[0].hypo, [[0.0, 0.0, 7.0]])


def test_non_parametric_probabilities_need_the_jobs_investigation_time(tmp_path):
    body = ('<nonParametricSeismicSource id="np" name="n">\n' + rupture("0.9 0.1")
            + "</nonParametricSeismicSource>\n")
    path = write(tmp_path, body)
    path.write_text(path.read_text().replace('<sourceModel name="m">',
                                             '<sourceModel name="m" investigation_time="1.0">'))
    one_year = SimpleNamespace(**vars(PARAMS), investigation_time=1.0)
    assert len(read_source_model(path, params=one_year).sources) == 1
    fifty = SimpleNamespace(**vars(PARAMS), investigation_time=50.0)
    with pytest.raises(InputError, match=r"model.xml line 3: the source model's "
                                         r"investigation_time is 1 years, the job's 50"):
        read_source_model(path, params=fifty)


@pytest.mark.parametrize("probs, message", [
    ("0.9 0.2", "line 6, source 'np', <singlePlaneRupture>: probs_occur must list"),
    ("1.0", "probs_occur must list"),
    ("0.9 x", "probs_occur must be a number"),
])
def test_bad_probs_occur(tmp_path, probs, message):
    body = ('<nonParametricSeismicSource id="np" name="n">\n' + rupture(probs)
            + "</nonParametricSeismicSource>\n")
    with pytest.raises(InputError, match=message):
        read(tmp_path, body)


def test_unsupported_rupture_in_a_non_parametric_source(tmp_path):
    body = ('<nonParametricSeismicSource id="np" name="n">\n'
            '<griddedRupture probs_occur="0.9 0.1"/>\n</nonParametricSeismicSource>\n')
    with pytest.raises(InputError, match="line 6, source 'np': <griddedRupture> is not supported"):
        read(tmp_path, body)


# --------------------------------------------------------------------------- hypoList
HYPO = """<hypoList>
  <hypo alongStrike="0.25" downDip="0.5" weight="0.4"/>
  <hypo alongStrike="0.75" downDip="0.5" weight="0.6"/>
</hypoList>
<slipList>
  <slip weight="0.7">0.0</slip>
  <slip weight="0.3">90.0</slip>
</slipList>
"""
ARBITRARY = ('<arbitraryMFD><magnitudes>6.0</magnitudes><occurRates>0.01</occurRates>'
             '</arbitraryMFD>')


def test_hypo_list_on_a_point_source(tmp_path):
    [src] = read(tmp_path, point("p", 0.0, 0.0, ARBITRARY, HYPO))
    assert isinstance(src, HypoSlipSource) and isinstance(src.source, PointSource)
    assert src.hypo_list == [(0.25, 0.5, 0.4), (0.75, 0.5, 0.6)]
    assert src.slip_list == [(0.0, 0.7), (90.0, 0.3)]
    blocks = list(src.iter_ruptures())
    assert len(blocks) == 2
    plain = sum(b.rate.sum() for b in src.source.iter_ruptures())
    assert sum(b.rate.sum() for b in blocks) == pytest.approx(plain, rel=1e-12)
    np.testing.assert_allclose(blocks[0].rate, 0.4 * next(src.source.iter_ruptures()).rate)


def test_hypo_list_on_a_multi_point_source_and_the_spec(tmp_path):
    mfd = """<multiMFD kind="arbitraryMFD" size="2">
  <magnitudes>6.0</magnitudes><occurRates>0.01</occurRates><lengths>1</lengths>
</multiMFD>"""
    from toolkit.io.nrml import parse_source_model

    [spec] = parse_source_model(write(tmp_path, multi_point(mfd, extra=HYPO)),
                                params=PARAMS).sources
    assert isinstance(spec, HypoSlipSpec) and isinstance(spec.inner, MultiPointSpec)
    src = spec.build()
    assert isinstance(src.source, MultiPointSource)
    assert src.count_ruptures() == 2 * src.source.count_ruptures()


@pytest.mark.parametrize("hypo, message", [
    ('<hypoList><hypo alongStrike="0.5" downDip="0.5" weight="0.5"/></hypoList>',
     "line 21, source 'p': the weights of <hypoList> sum to 0.5, not 1"),
    ('<slipList><slip weight="0.5">0</slip><slip weight="0.4">90</slip></slipList>',
     "line 21, source 'p': the weights of <slipList> sum to 0.9, not 1"),
    ('<hypoList><hypo alongStrike="1.5" downDip="0.5" weight="1"/></hypoList>',
     r"line 21, source 'p': <hypo> alongStrike must be in \[0, 1\]"),
    ('<hypoList><hypo downDip="0.5" weight="1"/></hypoList>', "lacks the attribute 'alongStrike'"),
    ("<hypoList/>", "<hypoList> is empty"),
])
def test_bad_hypo_and_slip_lists(tmp_path, hypo, message):
    with pytest.raises(InputError, match=message):
        read(tmp_path, point("p", 0.0, 0.0, ARBITRARY, hypo + "\n"))
