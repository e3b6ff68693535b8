"""Extra site parameters (siteclass, z1pt4 ...): carried by SiteCollection into contexts."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.kernel import build_contexts
from toolkit.engine.hazard.mfd import EvenlyDiscretizedMFD
from toolkit.engine.hazard.msr import PointMSR
from toolkit.engine.hazard.sites import SiteCollection
from toolkit.engine.hazard.sources import PointSource
from toolkit.errors import InputError


def sites():
    return SiteCollection([0.0, 0.1, 0.2], [0.0, 0.0, 0.0], vs30=[300.0, 400.0, 500.0],
                          extra={"siteclass": np.array(["B", "C", "D"]), "z1pt4": 50.0})


def test_extra_parameters_are_arrays_per_site():
    sc = sites()
    assert sc.extra["z1pt4"].tolist() == [50.0, 50.0, 50.0]  # a scalar is broadcast
    sub = sc.subset(np.array([2, 0]))
    assert sub.extra["siteclass"].tolist() == ["D", "B"]
    assert SiteCollection([0.0], [0.0]).extra == {}


def test_extra_parameter_of_the_wrong_length():
    with pytest.raises(InputError, match="site parameter 'xvf' has 2 values for 3 sites"):
        SiteCollection([0.0, 0.1, 0.2], [0.0, 0.0, 0.0], extra={"xvf": [1.0, 2.0]})


def test_contexts_carry_extra_parameters_only_when_required():
    src = PointSource(
        source_id="p", name="p", trt="Active Shallow Crust", lon=0.1, lat=0.1,
        upper_seismogenic_depth=0.0, lower_seismogenic_depth=20.0, msr=PointMSR(),
        rupture_aspect_ratio=1.0, mfd=EvenlyDiscretizedMFD(6.0, 0.1, [0.01]),
        nodal_planes=[(1.0, 0.0, 90.0, 0.0)], hypo_depths=[(1.0, 8.0)])
    sc = sites()
    block = next(iter(src.iter_ruptures()))
    ctx, _rup, sid = build_contexts(block, sc, {"rrup", "siteclass"}, 300.0)
    assert ctx.siteclass.tolist() == sc.extra["siteclass"][sid].tolist()
    assert not ctx.has("z1pt4")
    plain, _, _ = build_contexts(block, sc, {"rrup"}, 300.0)
    assert not plain.has("siteclass")
