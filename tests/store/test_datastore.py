"""Datastore: dict-like round trips, errors, the temp-file commit protocol, hazard layout."""

from __future__ import annotations

import multiprocessing as mp
import sys

import h5py
import numpy as np
import pytest

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError, NotFound, StoreError
from toolkit.store.datastore import (
    COMPRESS_MIN_BYTES,
    Datastore,
    datastore_path,
    open_reader,
    open_writer,
    remove_datastore,
)
from toolkit.store.hazard import (
    HazardOutputs,
    load_hazard,
    quantile_name,
    save_hazard,
)

needs_fork = pytest.mark.skipif(
    sys.platform == "win32" or "fork" not in mp.get_all_start_methods(), reason="needs fork"
)


# -- dict-like facade ---------------------------------------------------------------------------
def test_round_trip_of_value_kinds(tmp_path):
    path = tmp_path / "x.hdf5"
    rlzs = np.array(
        [(0, "A~A", 0.5), (1, "A~Béta", 0.5)],
        dtype=[("rlz_id", "u4"), ("branch_path", "U10"), ("weight", "f8")],
    )
    with Datastore(path, "w") as ds:
        ds["floats"] = np.linspace(0, 1, 7).reshape(7, 1)
        ds["ints"] = np.arange(5, dtype=np.int32)
        ds["bools"] = np.array([True, False])
        ds["scalar"] = 100.0
        ds["text"] = "héllo"
        ds["names"] = ["PGA", "SA(0.1)"]
        ds["empty"] = np.zeros((0, 3))
        ds["realizations"] = rlzs
        ds["group"] = {"lon": [1.0, 2.0], "sub": {"x": np.arange(3)}}
        ds["deep/path/value"] = np.array([1, 2])
    with Datastore(path) as ds:
        assert ds.keys() == sorted(
            ["floats", "ints", "bools", "scalar", "text", "names", "empty", "realizations",
             "group", "deep"]
        )
        np.testing.assert_array_equal(ds["floats"], np.linspace(0, 1, 7).reshape(7, 1))
        assert ds["ints"].dtype == np.int32
        np.testing.assert_array_equal(ds["bools"], [True, False])
        assert ds["scalar"].shape == () and float(ds["scalar"]) == 100.0
        assert str(ds["text"]) == "héllo"
        assert ds["names"].tolist() == ["PGA", "SA(0.1)"] and ds["names"].dtype.kind == "U"
        assert ds["empty"].shape == (0, 3)
        got = ds["realizations"]
        assert got.dtype.names == ("rlz_id", "branch_path", "weight")
        assert got["branch_path"].tolist() == ["A~A", "A~Béta"]
        np.testing.assert_array_equal(got["weight"], [0.5, 0.5])
        group = ds["group"]
        np.testing.assert_array_equal(group["lon"], [1.0, 2.0])
        np.testing.assert_array_equal(group["sub"]["x"], [0, 1, 2])
        np.testing.assert_array_equal(ds["deep/path/value"], [1, 2])
        assert "deep/path" in ds and "group/lon" in ds and "nothing" not in ds
        assert ds.shape("floats") == (7, 1)
        assert ds.get("nothing", 42) == 42
        assert ds.tree()["group"] == "group (2 members)"
        assert ds.tree()["realizations"] == "dataset compound[rlz_id,branch_path,weight] (2,)"


def test_replace_delete_and_compression(tmp_path):
    path = tmp_path / "x.hdf5"
    big = np.random.default_rng(1).random(COMPRESS_MIN_BYTES // 8 + 1)
    with Datastore(path, "w") as ds:
        ds["a"] = np.arange(3)
        ds["a"] = np.array([9.5])  # replaced, new dtype and shape
        ds["big"] = big
        ds["small"] = np.arange(10.0)
        ds["gone"] = 1
        del ds["gone"]
        assert len(ds) == 3
        with pytest.raises(NotFound):
            del ds["gone"]
    with h5py.File(path, "r") as f:
        assert f["big"].compression == "gzip"
        assert f["small"].compression is None
    with Datastore(path) as ds:
        np.testing.assert_array_equal(ds["a"], [9.5])
        np.testing.assert_array_equal(ds["big"], big)


def test_attributes_and_json(tmp_path):
    path = tmp_path / "x.hdf5"
    params = {"description": "Etna", "poes": np.array([0.1, 0.02]), "n": np.int64(3),
              "nested": {"ok": True, "levels": [0.1, 0.2]}}
    with Datastore(path, "w") as ds:
        ds["poes"] = [0.1]
        ds.set_attrs("poes", stats=["mean", "quantile-0.15"], n=3, flag=True, unit="g")
        ds.set_attrs("/", layout="test", version=2)
        ds.set_json("oqparam", params)
        with pytest.raises(StoreError, match="cannot store 'bad' as JSON"):
            ds.set_json("bad", {"x": object()})
        with pytest.raises(StoreError, match="attribute 'x' of 'poes'"):
            ds.set_attrs("poes", x={"a": 1})
    with Datastore(path) as ds:
        attrs = ds.get_attrs("poes")
        assert attrs == {"stats": ["mean", "quantile-0.15"], "n": 3, "flag": True, "unit": "g"}
        assert isinstance(attrs["flag"], bool) and isinstance(attrs["n"], int)
        assert ds.get_attrs("") == {"layout": "test", "version": 2}
        got = ds.get_json("oqparam")
        assert got == {"description": "Etna", "poes": [0.1, 0.02], "n": 3,
                       "nested": {"ok": True, "levels": [0.1, 0.2]}}
        assert ds.get_attrs("oqparam")["format"] == "json"
        with pytest.raises(StoreError, match="'poes' is not a JSON dataset"):
            ds.get_json("poes")


def test_errors_name_file_and_key(tmp_path):
    path = tmp_path / "x.hdf5"
    with Datastore(path, "w") as ds:
        ds["a"] = [1]
        with pytest.raises(StoreError, match="object arrays"):
            ds["obj"] = np.array([1, "a", None], dtype=object)
        with pytest.raises(InputError, match="keys must be non-empty strings"):
            ds[""] = 1
    with Datastore(path) as ds:
        with pytest.raises(NotFound) as err:
            ds["missing/key"]
        assert isinstance(err.value, KeyError)
        assert str(path) in str(err.value) and "'missing/key'" in str(err.value)
        with pytest.raises(StoreError, match="cannot write 'b', opened read-only"):
            ds["b"] = [2]
        with pytest.raises(NotFound, match="'nope'"):
            ds.get_attrs("nope")
    with pytest.raises(StoreError, match="is closed"):
        ds["a"]
    with pytest.raises(NotFound, match="not found"):
        Datastore(tmp_path / "missing.hdf5")
    with pytest.raises(InputError, match="mode must be one of"):
        Datastore(path, "x")
    junk = tmp_path / "junk.hdf5"
    junk.write_text("not hdf5")
    with pytest.raises(StoreError, match="cannot open datastore .*junk.hdf5") as err:
        Datastore(junk)
    assert isinstance(err.value, OSError)


# -- commit protocol ------------------------------------------------------------------------------
def test_writer_commits_through_a_temporary_file(data_dir):
    final = datastore_path(data_dir, 7)
    with open_writer(data_dir, 7) as ds:
        ds["x"] = np.arange(3)
        assert ds.path.name == "calc_7.hdf5.tmp" and ds.path.exists()
        assert not final.exists()
        with pytest.raises(NotFound, match="pass partial=True"):
            open_reader(data_dir, 7)
        ds.flush()
        with open_reader(data_dir, 7, partial=True) as partial:
            np.testing.assert_array_equal(partial["x"], [0, 1, 2])
    assert final.exists() and not ds.path.exists()
    assert sorted(p.name for p in data_dir.iterdir()) == ["calc_7.hdf5"]
    with open_reader(data_dir, 7) as reader, open_reader(data_dir, 7) as other:
        np.testing.assert_array_equal(reader["x"], other["x"])


def test_failed_calculation_leaves_no_datastore(data_dir):
    with pytest.raises(ZeroDivisionError):
        with open_writer(data_dir, 3) as ds:
            ds["x"] = [1.0]
            1 / 0  # noqa: B018
    assert list(data_dir.iterdir()) == []
    with pytest.raises(NotFound, match="calculation 3 has no datastore"):
        open_reader(data_dir, 3)

    writer = open_writer(data_dir, 4)
    writer["x"] = [1.0]
    writer.abort()
    writer.abort()  # idempotent
    assert list(data_dir.iterdir()) == []
    with pytest.raises(StoreError, match="cannot commit, writer is aborted"):
        writer.commit()


def test_commit_twice_and_append(data_dir):
    writer = open_writer(data_dir, 5)
    writer["x"] = [1.0]
    assert writer.commit() == datastore_path(data_dir, 5)
    with pytest.raises(StoreError, match="cannot commit, writer is committed"):
        writer.commit()
    writer.abort()  # no effect after a commit
    old_reader = open_reader(data_dir, 5)
    with open_writer(data_dir, 5, append=True) as ds:
        np.testing.assert_array_equal(ds["x"], [1.0])
        ds["y"] = [2.0]
        with open_reader(data_dir, 5) as current:
            assert "y" not in current  # the committed file is never modified in place
    with open_reader(data_dir, 5) as reader:
        assert reader.keys() == ["x", "y"]
    assert old_reader.keys() == ["x"]  # readers of the replaced file keep their snapshot
    old_reader.close()
    with pytest.raises(NotFound, match="nothing to append to"):
        open_writer(data_dir, 6, append=True)
    assert not (data_dir / "calc_6.hdf5.lock").exists()
    assert [p.name for p in remove_datastore(data_dir, 5)] == ["calc_5.hdf5"]
    assert remove_datastore(data_dir, 5) == []


def test_closed_writer_leaves_a_stale_temp_file_that_the_next_writer_overwrites(data_dir):
    writer = open_writer(data_dir, 2)
    writer["x"] = [1.0]
    writer.close()  # like a crash: nothing committed
    assert (data_dir / "calc_2.hdf5.tmp").exists()
    with open_writer(data_dir, 2) as ds:
        assert "x" not in ds
        ds["y"] = [3.0]
    with open_reader(data_dir, 2) as ds:
        assert ds.keys() == ["y"]


def _second_writer(data_dir, queue):
    try:
        open_writer(data_dir, 1).abort()
        queue.put("opened")
    except StoreError as exc:
        queue.put(str(exc))


def _write_and_commit(data_dir, started, proceed):
    with open_writer(data_dir, 9) as ds:
        ds["x"] = np.arange(4.0)
        ds.flush()
        started.set()
        proceed.wait(10)


@needs_fork
def test_one_writer_per_calculation_across_processes(data_dir):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    with open_writer(data_dir, 1) as ds:
        ds["x"] = np.arange(3)
        ds.flush()
        proc = ctx.Process(target=_second_writer, args=(data_dir, queue))
        proc.start()
        proc.join(10)
        message = queue.get(timeout=5)
        assert "is being written by another writer" in message
        np.testing.assert_array_equal(ds["x"], [0, 1, 2])  # not truncated by the other writer
    with open_reader(data_dir, 1) as ds:
        np.testing.assert_array_equal(ds["x"], [0, 1, 2])


@needs_fork
def test_reader_in_another_process_sees_the_commit(data_dir):
    ctx = mp.get_context("fork")
    started, proceed = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_write_and_commit, args=(data_dir, started, proceed))
    proc.start()
    try:
        assert started.wait(10)
        with pytest.raises(NotFound):
            open_reader(data_dir, 9)
        with open_reader(data_dir, 9, partial=True) as ds:  # locking=False: no lock error
            np.testing.assert_array_equal(ds["x"], np.arange(4.0))
    finally:
        proceed.set()
        proc.join(10)
    assert proc.exitcode == 0
    with open_reader(data_dir, 9) as ds:
        np.testing.assert_array_equal(ds["x"], np.arange(4.0))


# -- hazard layout -----------------------------------------------------------------------------
def make_outputs(n_sites=3, n_rlzs=2, poes=(0.1, 0.02), **changes):
    """Small hazard outputs with different numbers of levels per IMT."""
    rng = np.random.default_rng(42)
    imtls = {"PGA": [0.005, 0.1, 0.4, 5.0], "SA(0.10)": [0.1, 0.2], "PGV": [1.0, 10.0, 100.0]}
    n_levels = 9
    sites = SiteCollection(
        np.linspace(10.0, 10.2, n_sites), np.full(n_sites, 45.0), depths=-0.1, vs30=800.0,
        vs30measured=True, z1pt0=50.0, z2pt5=2.5,
    )
    curves = np.sort(rng.random((n_sites, n_rlzs, n_levels)), axis=-1)[..., ::-1]
    maps = rng.random((n_sites, n_rlzs, 3, len(poes))) if poes else None
    kwargs = dict(
        sites=sites,
        imtls=imtls,
        investigation_time=50.0,
        realizations=[(i, f"b{i}~g{i}", 1.0 / n_rlzs) for i in range(n_rlzs)],
        curves_rlzs=curves,
        curves_stats={"mean": curves.mean(axis=1), quantile_name(0.85): curves.max(axis=1)},
        poes=list(poes),
        maps_rlzs=maps,
        maps_stats={"mean": maps.mean(axis=1)} if poes else {},
        individual_rlzs=True,
    )
    kwargs.update(changes)
    return HazardOutputs(**kwargs)


def test_hazard_outputs_validate_and_slice():
    out = make_outputs()
    assert out.imts == ["PGA", "SA(0.1)", "PGV"]  # normalised IMT names
    assert out.n_levels == 9 and out.imt_offsets.tolist() == [0, 4, 6, 9]
    assert out.imt_slices["SA(0.1)"] == slice(4, 6)
    np.testing.assert_array_equal(out.curves("SA(0.10)", rlz=1), out.curves_rlzs[:, 1, 4:6])
    np.testing.assert_array_equal(out.curves("PGV", stat="mean"), out.curves_stats["mean"][:, 6:])
    np.testing.assert_array_equal(out.levels("PGV"), [1.0, 10.0, 100.0])
    with pytest.raises(NotFound, match="IMT 'SA\\(2.0\\)' is not in the hazard outputs"):
        out.curves("SA(2.0)", rlz=0)
    with pytest.raises(InputError, match="exactly one of"):
        out.curves("PGA")
    with pytest.raises(NotFound, match="statistic 'max' not computed"):
        out.curves("PGA", stat="max")
    with pytest.raises(InputError, match=r"curves_rlzs has shape \(3, 2, 8\), expected \(3, 2, "):
        make_outputs(curves_rlzs=np.zeros((3, 2, 8)))
    with pytest.raises(InputError, match="unknown statistic 'median'"):
        make_outputs(curves_stats={"median": np.zeros((3, 9))})
    with pytest.raises(InputError, match="poes must be in"):
        make_outputs(poes=(0.1, 1.0))
    with pytest.raises(InputError, match="maps given without 'poes'"):
        make_outputs(poes=(), maps_stats={"mean": np.zeros((3, 3, 0))})
    with pytest.raises(InputError, match="unknown intensity measure type"):
        make_outputs(imtls={"PGX": [1.0]})
    assert quantile_name(0.15) == "quantile-0.15"


def test_save_and_load_hazard(data_dir):
    out = make_outputs()
    with open_writer(data_dir, 1) as ds:
        save_hazard(ds, out)
    with open_reader(data_dir, 1) as ds:
        assert ds.shape("hcurves-rlzs") == (3, 2, 9)
        assert ds.shape("hcurves-stats") == (3, 2, 9)
        assert ds.shape("hmaps-rlzs") == (3, 2, 3, 2)
        assert ds.get_attrs("hcurves-stats")["stats"] == ["mean", "quantile-0.85"]
        assert ds.get_attrs("hcurves-rlzs")["imt_offsets"] == [0, 4, 6, 9]
        assert ds.get_json("imtls")["PGA"] == [0.005, 0.1, 0.4, 5.0]
        assert sorted(ds["sitecol"]) == [
            "depth", "lat", "lon", "sids", "vs30", "vs30measured", "z1pt0", "z2pt5"]
        assert ds.get_attrs("/")["layout_version"] == 1
        back = load_hazard(ds)
    assert back.imts == out.imts and back.realizations == out.realizations
    for imt in out.imts:
        np.testing.assert_array_equal(back.imtls[imt], out.imtls[imt])
    np.testing.assert_array_equal(back.curves_rlzs, out.curves_rlzs)
    assert list(back.curves_stats) == list(out.curves_stats)
    for stat in out.curves_stats:
        np.testing.assert_array_equal(back.curves_stats[stat], out.curves_stats[stat])
    np.testing.assert_array_equal(back.maps_rlzs, out.maps_rlzs)
    np.testing.assert_array_equal(back.maps_stats["mean"], out.maps_stats["mean"])
    assert back.poes == [0.1, 0.02] and back.investigation_time == 50.0
    assert back.individual_rlzs is True
    for name in ("lons", "lats", "depths", "vs30", "vs30measured", "z1pt0", "z2pt5"):
        np.testing.assert_array_equal(getattr(back.sites, name), getattr(out.sites, name))


def test_load_hazard_without_maps_or_stats_and_errors(data_dir):
    out = make_outputs(n_rlzs=1, poes=(), curves_stats={}, individual_rlzs=False)
    with open_writer(data_dir, 1) as ds:
        save_hazard(ds, out)
    with open_reader(data_dir, 1) as ds:
        back = load_hazard(ds)
        assert "hcurves-stats" not in ds and "hmaps-rlzs" not in ds
    assert back.curves_stats == {} and back.maps_rlzs is None and back.poes == []
    with open_writer(data_dir, 2) as ds:
        ds["x"] = [1]
    with open_reader(data_dir, 2) as ds, pytest.raises(NotFound, match="'hcurves-rlzs'"):
        load_hazard(ds)
    with open_writer(data_dir, 1, append=True) as ds:
        ds.set_attrs("/", layout_version=99)
    with open_reader(data_dir, 1) as ds, pytest.raises(StoreError, match="version 99 is newer"):
        load_hazard(ds)
