"""GmfOutputs: validation, and the save_gmf/load_gmf round trip through a real datastore."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError, NotFound
from toolkit.store.datastore import open_reader, open_writer
from toolkit.store.gmf import EVENT_DT, RUPTURE_DT, GmfOutputs, load_gmf, save_gmf
from toolkit.store.hazard import HazardOutputs, Realization, load_hazard, save_hazard

RLZS = [(0, "b1~b1", 0.6), (1, "b1~b2", 0.4)]


def make_sites() -> SiteCollection:
    return SiteCollection(
        [0.0, 0.0, 0.0, 10.5], [0.0, 0.1, 0.2, 45.25], depths=[0.0, 0.1, 0.0, 0.0],
        vs30=[800.0, 760.0, 400.0, 250.0], vs30measured=[True, False, True, False],
        z1pt0=[100.0, np.nan, 50.0, 20.0], z2pt5=[2.5, 1.0, np.nan, 0.5],
    )


def make_ruptures() -> np.ndarray:
    rows = [
        (0, "src_A", 3, 5.0, 0.1, 0.2, 4.0, "Active Shallow Crust", 0.0, 90.0, 0.0, 11),
        (1, "src_A", 1, 5.5, 0.0, 0.0, 5.0, "Active Shallow Crust", 10.0, 60.0, -90.0, 12),
        (2, "Ünïcode", 2, 6.1, 1.0, 2.0, 7.5, "Stable Continental", 200.0, 45.0, 90.0, -3),
    ]
    dt = [(n, "U30" if RUPTURE_DT[n].kind == "S" else RUPTURE_DT[n]) for n in RUPTURE_DT.names]
    return np.array(rows, dtype=dt)


def make_outputs(with_curves: bool = False, **changes) -> GmfOutputs:
    sites = make_sites()
    rng = np.random.default_rng(42)
    # 6 events: rupture 0 occurs 3 times, 1 once, 2 twice; realizations alternate
    events = np.array(
        [(10, 0, 0, 3, 1), (11, 0, 1, 7, 2), (12, 0, 0, 1, 1), (13, 1, 1, 9, 3),
         (14, 2, 0, 2, 2), (15, 2, 1, 5, 1)],
        dtype=EVENT_DT,
    )
    eid = np.array([10, 10, 11, 12, 13, 13, 13, 15], dtype=np.uint32)
    sid = np.array([0, 1, 0, 3, 0, 1, 2, 3], dtype=np.uint32)
    gmv = rng.lognormal(-1.0, 0.5, size=(len(eid), 2)).astype(np.float32)
    sig = np.full((6, 2), 0.26)
    sig[:, 1] = np.nan  # total sigma only for the second IMT
    kwargs = dict(
        mode="event_based",
        sites=sites,
        imts=["PGA", "SA(0.10)"],
        realizations=RLZS,
        investigation_time=50.0,
        ses_per_logic_tree_path=2,
        ruptures=make_ruptures(),
        events=events,
        gmf_event_id=eid,
        gmf_site_id=sid,
        gmf_gmv=gmv,
        sig_inter=sig,
        eps_inter=rng.normal(size=(6, 2)),
    )
    if with_curves:
        imtls = {"PGA": [0.1, 0.4, 0.6], "SA(0.1)": [0.2, 0.5]}
        kwargs["curves"] = HazardOutputs(
            sites=sites, imtls=imtls, investigation_time=50.0, realizations=RLZS,
            curves_rlzs=rng.uniform(size=(4, 2, 5)),
            curves_stats={"mean": rng.uniform(size=(4, 5))},
        )
    kwargs.update(changes)
    return GmfOutputs(**kwargs)


def assert_sites_equal(a: SiteCollection, b: SiteCollection) -> None:
    for name, value in a.as_dict().items():
        other = b.as_dict()[name]
        assert value.dtype == other.dtype, name
        assert np.array_equal(value, other, equal_nan=value.dtype.kind == "f"), name


def assert_gmf_equal(a: GmfOutputs, b: GmfOutputs) -> None:
    for f in dataclasses.fields(GmfOutputs):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "sites":
            assert_sites_equal(x, y)
        elif f.name == "curves":
            assert (x is None) == (y is None)
            if x is not None:
                assert_sites_equal(x.sites, y.sites)
                assert list(x.imtls) == list(y.imtls)
                for k in x.imtls:
                    assert np.array_equal(x.imtls[k], y.imtls[k])
                assert x.realizations == y.realizations
                assert x.investigation_time == y.investigation_time
                assert np.array_equal(x.curves_rlzs, y.curves_rlzs)
                assert list(x.curves_stats) == list(y.curves_stats)
                for k in x.curves_stats:
                    assert np.array_equal(x.curves_stats[k], y.curves_stats[k])
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f.name
            assert x.shape == y.shape, f.name
            if x.dtype.names:
                assert x.tobytes() == y.tobytes(), f.name
            else:
                assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        else:
            assert x == y, f.name


def test_normalisation():
    o = make_outputs()
    assert o.imts == ["PGA", "SA(0.1)"]
    assert o.realizations == [Realization(0, "b1~b1", 0.6), Realization(1, "b1~b2", 0.4)]
    assert o.ruptures.dtype == RUPTURE_DT and o.events.dtype == EVENT_DT
    assert o.ruptures["source_id"][2].decode("utf-8") == "Ünïcode"
    assert o.gmf_gmv.dtype == np.float32 and o.sig_inter.dtype == np.float64
    assert o.gmf_event_id.dtype == np.uint32 and o.gmf_site_id.dtype == np.uint32
    assert not o.from_file and o.n_events == 6 and o.n_sites == 4
    assert o.weights.tolist() == [0.6, 0.4, 0.6, 0.4, 0.6, 0.4]


@pytest.mark.parametrize("curves", [False, True])
def test_round_trip_through_the_datastore(data_dir, curves):
    outputs = make_outputs(with_curves=curves)
    with open_writer(data_dir, 1) as ds:
        save_gmf(ds, outputs)
    with open_reader(data_dir, 1) as ds:
        loaded = load_gmf(ds)
        assert ds.get_attrs("/")["layout"] == "gmf"
        assert ("hcurves-rlzs" in ds) == curves
        if curves:  # the curves are readable as ordinary hazard outputs too
            assert np.array_equal(load_hazard(ds).curves_rlzs, outputs.curves.curves_rlzs)
    assert_gmf_equal(outputs, loaded)
    assert np.isnan(loaded.sig_inter[:, 1]).all()


def test_round_trip_of_a_scenario_from_file_without_rows(data_dir):
    """No ruptures, no investigation time, no GMF rows at all."""
    events = np.zeros(2, EVENT_DT)
    events["event_id"] = [0, 1]
    outputs = make_outputs(
        mode="scenario", investigation_time=None, ses_per_logic_tree_path=1,
        ruptures=np.empty(0, RUPTURE_DT), events=events,
        gmf_event_id=np.array([], dtype=np.uint32), gmf_site_id=np.array([], dtype=np.uint32),
        gmf_gmv=np.empty((0, 2)), sig_inter=np.full((2, 2), np.nan),
        eps_inter=np.full((2, 2), np.nan),
    )
    assert outputs.from_file
    with open_writer(data_dir, 2) as ds:
        save_gmf(ds, outputs)
    with open_reader(data_dir, 2) as ds:
        loaded = load_gmf(ds)
    assert_gmf_equal(outputs, loaded)
    assert loaded.investigation_time is None


def test_load_without_gmfs(data_dir):
    with open_writer(data_dir, 3) as ds:
        ds["x"] = np.zeros(2)
    with open_reader(data_dir, 3) as ds, pytest.raises(NotFound, match="no GMFs"):
        load_gmf(ds)


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"gmf_site_id": np.zeros(7, np.uint32)},
         r"gmf_site_id has 7 rows, expected 8 \(as gmf_event_id\)"),
        ({"gmf_gmv": np.ones((8, 3))}, r"gmf_gmv has shape \(8, 3\), expected \(8, 2\)"),
        ({"gmf_gmv": np.ones((7, 2))}, r"gmf_gmv has shape \(7, 2\), expected \(8, 2\)"),
        ({"sig_inter": np.ones((5, 2))}, r"sig_inter has shape \(5, 2\), expected \(6, 2\)"),
        ({"eps_inter": np.ones((6, 1))}, r"eps_inter has shape \(6, 1\), expected \(6, 2\)"),
        ({"gmf_event_id": np.ones((8, 1), np.uint32)}, r"gmf_event_id must be 1-D"),
        ({"gmf_site_id": np.full(8, 0.5)}, r"gmf_site_id must hold non-negative integers"),
        ({"gmf_site_id": np.full(8, 4)}, r"gmf_site_id has 4, but there are only 4 sites"),
        ({"gmf_event_id": np.full(8, 99)}, r"gmf_event_id has 99, which is not in events"),
        ({"mode": "classical"}, r"mode must be one of \('scenario', 'event_based'\)"),
        ({"investigation_time": None}, r"investigation_time is required for event_based"),
        ({"investigation_time": -1.0}, r"investigation_time must be positive"),
        ({"ses_per_logic_tree_path": 0}, r"ses_per_logic_tree_path must be a positive integer"),
        ({"imts": []}, r"'imts' is empty"),
        ({"imts": ["PGA", "SA(0.1)", "SA(0.10)"]}, r"an IMT is given twice"),
        ({"imts": ["PGA", "PGX"]}, r"unknown intensity measure type 'PGX'"),
        ({"realizations": []}, r"there are no realizations"),
        ({"realizations": [(0, "a", 0.5), (0, "b", 0.5)]}, r"realization ids are not unique"),
        ({"events": np.zeros(6, [("event_id", "u4"), ("rup_id", "u4")])},
         r"events lacks the field\(s\) \['rlz_id', 'year', 'ses_id'\]"),
        ({"events": np.zeros(6)}, r"events must be a 1-D structured array"),
        ({"ruptures": make_ruptures()[["rup_id", "mag"]]}, r"ruptures lacks the field\(s\)"),
    ],
)
def test_inconsistent_inputs_name_the_field(changes, match):
    with pytest.raises(InputError, match=match):
        make_outputs(**changes)


def test_event_references_are_checked():
    o = make_outputs()
    events = o.events.copy()
    events["rup_id"][0] = 7
    with pytest.raises(InputError, match=r"events\['rup_id'\] has 7, which is not in ruptures"):
        make_outputs(events=events)
    events = o.events.copy()
    events["rlz_id"][1] = 5
    with pytest.raises(InputError, match=r"events\['rlz_id'\] has 5, not a realization id"):
        make_outputs(events=events)
    events = o.events.copy()
    events["event_id"][1] = events["event_id"][0]
    with pytest.raises(InputError, match=r"events\['event_id'\] has duplicate ids"):
        make_outputs(events=events)
    rups = make_ruptures()
    rups = rups.astype([(n, "U200" if n in ("source_id", "trt") else rups.dtype[n])
                        for n in rups.dtype.names])
    rups["source_id"][0] = "x" * 101
    with pytest.raises(InputError, match=r"ruptures\['source_id'\] has values longer than 100"):
        make_outputs(ruptures=rups)
    as_bytes = np.zeros(3, [(n, "S200" if n == "trt" else RUPTURE_DT[n]) for n in RUPTURE_DT.names])
    as_bytes["trt"][1] = b"y" * 150
    with pytest.raises(InputError, match=r"ruptures\['trt'\] has values longer than 100"):
        make_outputs(ruptures=as_bytes, events=make_outputs().events[:0], gmf_event_id=[],
                     gmf_site_id=[], gmf_gmv=np.empty((0, 2)), sig_inter=np.empty((0, 2)),
                     eps_inter=np.empty((0, 2)))


def test_curves_must_match_the_gmfs():
    good = make_outputs(with_curves=True).curves
    other_sites = dataclasses.replace(good, sites=SiteCollection([1, 2, 3, 4], [0, 0, 0, 0]))
    with pytest.raises(InputError, match="curves.sites differ"):
        make_outputs(curves=other_sites)
    other_rlzs = dataclasses.replace(good, realizations=[(0, "x", 0.5), (1, "y", 0.5)])
    with pytest.raises(InputError, match="curves.realizations differ"):
        make_outputs(curves=other_rlzs)
    other_time = dataclasses.replace(good, investigation_time=1.0)
    with pytest.raises(InputError, match="curves.investigation_time 1.0 differs from 50.0"):
        make_outputs(curves=other_time)
    with pytest.raises(InputError, match="only computed by event_based"):
        make_outputs(mode="scenario", curves=good)
    with pytest.raises(InputError, match="curves must be HazardOutputs or None, got dict"):
        make_outputs(curves={})


def test_extra_site_parameters_round_trip(data_dir):
    """Numbers, flags and text of ``SiteCollection.extra`` come back from the store."""
    outputs = make_outputs(with_curves=True)
    sites = make_sites()
    sites.extra = {"xvf": np.array([0.5, -1.0, 2.0, 0.0]),
                   "backarc": np.array([True, False, False, True]),
                   "siteclass": np.array(["C", "D", "B", "C"])}
    outputs = dataclasses.replace(outputs, sites=sites,
                                  curves=dataclasses.replace(outputs.curves, sites=sites))
    with open_writer(data_dir, 4) as ds:
        save_gmf(ds, outputs)
    with open_writer(data_dir, 5) as ds:
        save_hazard(ds, outputs.curves)
    loaders = ((4, lambda ds: load_gmf(ds).sites), (5, lambda ds: load_hazard(ds).sites))
    for calc_id, load in loaders:
        with open_reader(data_dir, calc_id) as ds:
            loaded = load(ds)
        assert_sites_equal(sites, loaded)
        assert sorted(loaded.extra) == ["backarc", "siteclass", "xvf"]
        for name, values in sites.extra.items():
            assert loaded.extra[name].dtype.kind == values.dtype.kind, name
            np.testing.assert_array_equal(loaded.extra[name], values)
