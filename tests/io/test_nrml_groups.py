"""sourceGroup attributes (mutex, cluster) and negative binomial sources in NRML 0.5."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolkit.engine.hazard.groups import GroupSource, NegativeBinomialTOM
from toolkit.errors import InputError
from toolkit.io.nrml import parse_source_model, read_source_model
from toolkit.io.nrml_groups import group_sources

DATA = Path(__file__).parent / "data"
PARAMS = SimpleNamespace(rupture_mesh_spacing=2.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1, investigation_time=1.0)
DEEP = '<sourceGroup name="deep" tectonicRegion="Subduction Inslab">'


def two_source_model(tmp_path: Path, group_attrs: str, source_attrs: str = "") -> Path:
    """sources_05.xml with a second point source (D2) in the deep group, and extra
    attributes on that group and on its first source."""
    text = (DATA / "sources_05.xml").read_text()
    first = re.search(r'<pointSource id="D1".*?</pointSource>', text, re.S).group(0)
    second = first.replace('id="D1"', 'id="D2"').replace("-70.0 -30.0", "-70.2 -30.1")
    text = text.replace(first, first.replace('id="D1"', f'id="D1" {source_attrs}') + second)
    text = text.replace(DEEP, DEEP[:-1] + f" {group_attrs}>")
    path = tmp_path / "groups.xml"
    path.write_text(text)
    return path


def test_plain_groups_have_no_semantics():
    model = parse_source_model(DATA / "sources_05.xml", params=PARAMS)
    assert [g.semantics for g in model.groups] == [None, None]


def test_mutex_sources_with_weights(tmp_path):
    path = two_source_model(tmp_path, 'src_interdep="mutex" srcs_weights="0.3 0.7"')
    model = parse_source_model(path, params=PARAMS)
    sem = model.groups[0].semantics
    assert sem.src_mutex and not sem.rup_mutex and sem.cluster_rate is None
    assert sem.srcs_weights == (0.3, 0.7) and sem.where.endswith("line 6")
    built = read_source_model(path, params=PARAMS)
    group = built.groups[0].sources
    assert len(group) == 1 and isinstance(group[0], GroupSource)
    assert [s.source_id for s in group[0].sources] == ["D1", "D2"]
    assert built.groups[1].semantics is None and built.groups[1].sources[0].source_id == "S1"
    # the logic-tree path: flat specs built one by one, regrouped
    specs = model.sources
    pairs = group_sources(model.groups, specs, [spec.build() for spec in specs])
    assert [(trt, type(s).__name__) for trt, s in pairs] == [
        ("Subduction Inslab", "GroupSource"), ("Active Crust", "PointSource")]


def test_cluster_group(tmp_path):
    path = two_source_model(tmp_path, 'cluster="true" tom="PoissonTOM" '
                                      'occurrence_rate="0.002"')
    sem = parse_source_model(path, params=PARAMS).groups[0].semantics
    assert sem.cluster_rate == 0.002 and not sem.src_mutex


def test_negative_binomial_source(tmp_path):
    path = two_source_model(tmp_path, "", 'tom="NegativeBinomialTOM" mu="0.1" alpha="2.0"')
    sem = parse_source_model(path, params=PARAMS).groups[0].semantics
    assert sem.toms == {"D1": NegativeBinomialTOM(mu=0.1, alpha=2.0)}


def test_unit_srcs_weights_of_independent_sources_change_nothing(tmp_path):
    path = two_source_model(tmp_path, 'srcs_weights="1.0 1"', "")
    assert parse_source_model(path, params=PARAMS).groups[0].semantics is None


@pytest.mark.parametrize("group_attrs, source_attrs, match", [
    ('src_interdep="mutex"', "", r"line 6: src_interdep='mutex' needs srcs_weights"),
    ('src_interdep="mutex" srcs_weights="0.3"', "", "srcs_weights has 1 values for 2 sources"),
    ('src_interdep="mutex" srcs_weights="0.3 0.6"', "", "srcs_weights sum to 0.9, expected 1"),
    ('src_interdep="mutex" srcs_weights="0.3 x"', "", "srcs_weights must be a list of numbers"),
    ('srcs_weights="0.3 0.7"', "", "srcs_weights other than 1 are meaningful only with "
                                   "src_interdep"),
    ('src_interdep="sometimes"', "", "src_interdep='sometimes' is not valid"),
    ('rup_interdep="mutex"', "", r"line 7: rup_interdep='mutex' is supported for "
                                 "nonParametricSeismicSource only"),
    ('cluster="true"', "", "line 6: missing attribute 'occurrence_rate'"),
    ('cluster="true" occurrence_rate="-1"', "", "occurrence_rate must be positive"),
    ('occurrence_rate="0.1"', "", "occurrence_rate is meaningful only with cluster='true'"),
    ('cluster="maybe"', "", "cluster='maybe': expected 'true' or 'false'"),
    ('cluster="true" occurrence_rate="0.1" tom="NegativeBinomialTOM"', "",
     "sourceGroup tom='NegativeBinomialTOM' is not supported yet"),
    ('grp_probability="0.5"', "", "the sourceGroup attribute 'grp_probability' is not "
                                  "supported yet"),
    ("", 'tom="NegativeBinomialTOM" mu="0.1"', "line 7: missing attribute 'alpha'"),
    ("", 'tom="NegativeBinomialTOM" mu="0.1" alpha="0"', "alpha must be positive"),
    ('cluster="true" occurrence_rate="0.1"', 'tom="NegativeBinomialTOM" mu="1" alpha="1"',
     "a source of a cluster group cannot have its own temporal occurrence model"),
])
def test_invalid_group_attributes(tmp_path, group_attrs, source_attrs, match):
    path = two_source_model(tmp_path, group_attrs, source_attrs)
    with pytest.raises(InputError, match=match) as info:
        parse_source_model(path, params=PARAMS)
    assert str(info.value).startswith(str(path))


NON_PARAMETRIC = """<?xml version="1.0" encoding="utf-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5" xmlns:gml="http://www.opengis.net/gml">
  <sourceModel name="np" investigation_time="1.0">
    <sourceGroup tectonicRegion="Active Crust" rup_interdep="mutex" cluster="true"
                 occurrence_rate="0.01">
      <nonParametricSeismicSource id="N1" name="np" {attrs}>
        {rupture}
        {rupture}
      </nonParametricSeismicSource>
    </sourceGroup>
  </sourceModel>
</nrml>
"""
RUPTURE = """<singlePlaneRupture probs_occur="0.0 1.0" {attrs}>
          <magnitude>6.5</magnitude><rake>0.0</rake>
          <hypocenter lon="0.0" lat="0.0" depth="10.0"/>
          <planarSurface>
            <topLeft lon="-0.1" lat="0.0" depth="5.0"/>
            <topRight lon="0.1" lat="0.0" depth="5.0"/>
            <bottomLeft lon="-0.1" lat="0.0" depth="15.0"/>
            <bottomRight lon="0.1" lat="0.0" depth="15.0"/>
          </planarSurface>
        </singlePlaneRupture>"""


@pytest.mark.parametrize("source_attrs, rupture_attrs, expected", [
    ('rup_weights="0.25 0.75"', "", (0.25, 0.75)),
    ("", 'weight="0.5"', (0.5, 0.5)),
    ('rup_weights="0.25"', "", "1 rupture weights for 2 ruptures"),
    ('rup_weights="0.5 0.75"', "", "the rupture weights sum to 1.25, more than 1"),
    ("", "", "rup_interdep='mutex' needs rup_weights"),
])
def test_mutex_rupture_weights(tmp_path, source_attrs, rupture_attrs, expected):
    path = tmp_path / "np.xml"
    path.write_text(NON_PARAMETRIC.format(attrs=source_attrs,
                                          rupture=RUPTURE.format(attrs=rupture_attrs)))
    if isinstance(expected, str):
        with pytest.raises(InputError, match=expected):
            parse_source_model(path, params=PARAMS)
        return
    model = read_source_model(path, params=PARAMS)
    group = model.groups[0].sources[0]
    assert isinstance(group, GroupSource)
    assert group.semantics.rup_weights == {"N1": expected}
    assert group.semantics.cluster_rate == 0.01 and group.count_ruptures() == 2
    with pytest.raises(InputError, match="classical calculator only"):
        next(group.iter_ruptures())
