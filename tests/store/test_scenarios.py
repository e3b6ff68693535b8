"""Scenario catalogue (schema 3): scenarios, results, rasters, tasks, files, visibility, keys."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from toolkit.errors import InputError, NotFound
from toolkit.store import catalogue as catalogue_module
from toolkit.store.catalogue import SCHEMA_VERSION, Catalogue, User
from toolkit.store.scenarios import NewResult, ScenarioStore, parse_timestamp, timestamp


@pytest.fixture
def cat(data_dir: Path):
    with Catalogue(data_dir / "db.sqlite3") as catalogue:
        yield catalogue


@pytest.fixture
def store(cat: Catalogue, data_dir: Path) -> ScenarioStore:
    return ScenarioStore(cat, data_dir)


def _file(store: ScenarioStore, name: str, data: bytes) -> Path:
    path = store.work_dir() / name
    path.write_bytes(data)
    return path


def _files(store: ScenarioStore) -> list[str]:
    return sorted(p.name for p in (store.root).glob("*/*") if p.is_file()
                  and ".work" not in p.parts)


# -- scenarios -----------------------------------------------------------------------------------
def test_create_get_update_fields(store):
    s = store.create("flood one", organisation="Org", supplier="ann",
                     simulation_start="2024-01-01T00:00:00Z", simulation_end="2024-01-01 06:00",
                     extra_metadata={"a": 1}, model_name="slug-1", access_modifier="Common")
    assert s.access_modifier == "Common" and s.has_raw_results is False and s.total_size == 0
    assert s.simulation_start == "2024-01-01T00:00:00.000000Z"
    assert s.simulation_end == "2024-01-01T06:00:00.000000Z"  # naive times are UTC
    assert store.get(s.uuid) == s and store.get(s.uuid.upper()).uuid == s.uuid
    changed = store.update(s.uuid, name="renamed", extra_metadata={"b": [1, 2]})
    assert (changed.name, changed.extra_metadata) == ("renamed", {"b": [1, 2]})
    assert changed.last_modified >= s.last_modified
    with pytest.raises(InputError, match="access_modifier"):
        store.create("x", access_modifier="public-ish")
    with pytest.raises(InputError, match="unknown scenario field"):
        store.update(s.uuid, colour="red")
    with pytest.raises(InputError, match="ISO 8601"):
        store.update(s.uuid, simulation_start="yesterday")
    with pytest.raises(NotFound):
        store.get("not-a-uuid")


def test_timestamps_sort_as_times():
    assert parse_timestamp("2024-01-01T01:00:00+01:00") == "2024-01-01T00:00:00.000000Z"
    assert parse_timestamp("2024-01-01") == "2024-01-01T00:00:00.000000Z"
    assert len(timestamp()) == len("2024-01-01T00:00:00.000000Z")


def test_list_filters_ordering_paging(store):
    for i, (name, model) in enumerate([("Alpha", "m-1"), ("beta", "m-2"), ("Gamma 50%", None)]):
        store.create(name, model_name=model, supplier=f"u{i}")
    names = lambda lookups, **kw: [s.name for s in store.list(lookups, **kw)]  # noqa: E731
    assert names([], ordering=["name"]) == ["Alpha", "Gamma 50%", "beta"]
    assert names([], ordering=["-created"]) == ["Gamma 50%", "beta", "Alpha"]
    assert names([("name", "icontains", "A")], ordering=["name"]) == [
        "Alpha", "Gamma 50%", "beta"]
    assert names([("name", "icontains", "50%")]) == ["Gamma 50%"]  # % is literal
    assert names([("name", "icontains", "_")]) == []
    assert names([("name", "startswith", "al")]) == []  # case-sensitive
    assert names([("name", "istartswith", "al")]) == ["Alpha"]
    assert names([("name", "exact", "beta")]) == ["beta"]
    assert names([("name", "iexact", "BETA")]) == ["beta"]
    assert names([("model_name", "isnull", True)]) == ["Gamma 50%"]
    assert names([("model_name", "isnull", False)], ordering=["model_name"]) == [
        "Alpha", "beta"]
    assert names([("supplier", "exact", "u1")]) == ["beta"]
    all_ = store.list(ordering=["created"])
    middle = all_[1].created
    assert names([("created", "gte", middle)], ordering=["created"]) == ["beta", "Gamma 50%"]
    assert names([("created", "lt", middle)]) == ["Alpha"]
    assert store.count([("created", "lte", middle)]) == 2
    assert names([], ordering=["name"], limit=1, offset=1) == ["Gamma 50%"]
    with pytest.raises(InputError, match="cannot filter"):
        store.list([("colour", "exact", "red")])
    with pytest.raises(InputError, match="cannot order"):
        store.list(ordering=["colour"])


def test_visibility_by_access_modifier_and_organisation(store):
    ann = User("ann", "Org A", False)
    bob = User("bob", "Org B", False)
    admin = User("root", "", True)
    made = {access: store.create(access, organisation="Org A", supplier="ann",
                                 access_modifier=access)
            for access in ("Public", "Common", "Private", "Hidden")}
    nobody = store.create("no org", organisation="", supplier="carl")
    seen = lambda user: sorted(s.name for s in store.list(visible_to=user))  # noqa: E731
    assert seen(ann) == ["Common", "Hidden", "Private", "Public"]
    assert seen(bob) == ["Common", "Public"]
    assert seen(User("dan", "Org A", False)) == ["Common", "Private", "Public"]
    assert seen(User("eve", "", False)) == ["Common", "Public"]  # '' is no organisation
    assert len(seen(admin)) == 5 and len(seen(None)) == 5
    assert store.count(visible_to=bob) == 2
    with pytest.raises(NotFound) as err:
        store.get(made["Private"].uuid, visible_to=bob)
    with pytest.raises(NotFound) as missing:
        store.get("00000000-0000-4000-8000-000000000000", visible_to=bob)
    assert str(err.value).split()[0] == str(missing.value).split()[0] == "scenario"
    assert store.can_change(made["Common"], ann) and not store.can_change(made["Common"], bob)
    assert store.can_change(nobody, admin) and not store.can_change(nobody, User("x", "", 0))


# -- results and files ---------------------------------------------------------------------------
def test_results_attach_sizes_and_order(store):
    s = store.create("s")
    damage = store.add_result(s.uuid, name="Damage summary", code="damage-summary",
                              family="Damage")
    raw = store.add_result(s.uuid, name="Raw 3Di output", code="results-3di", family="Raw")
    basic = store.add_result(s.uuid, name="Max", code="depth-max-dtri", family="Basic")
    assert [r.code for r in store.list_results(s.uuid)] == [
        "results-3di", "depth-max-dtri", "damage-summary"]
    assert store.count_results(s.uuid, family="Raw") == 1
    done = store.attach(s.uuid, raw.id, _file(store, "x.part", b"12345"), "results_3di.nc")
    assert (done.filename, done.size) == ("results_3di.nc", 5)
    assert store.path(done.file).read_bytes() == b"12345"
    after = store.get(s.uuid)
    assert after.has_raw_results and after.total_size == 5
    # a second attachment replaces the first; the old file goes
    again = store.attach(s.uuid, raw.id, _file(store, "y.part", b"abc"), "results_3di.nc")
    assert not store.path(done.file).exists() and store.path(again.file).read_bytes() == b"abc"
    assert store.get(s.uuid).total_size == 3
    # an attachment that is a raster too: counted once
    tif = store.attach(s.uuid, basic.id, _file(store, "z.part", b"TIFF"), "m.tif", raster=True)
    assert tif.raster_uuid is not None
    raster, owner = store.get_raster(tif.raster_uuid)
    assert raster.file == tif.file and owner.uuid == s.uuid
    assert store.get(s.uuid).total_size == 7
    assert store.list_results(s.uuid, family="Damage")[0].id == damage.id
    with pytest.raises(InputError, match="file name"):
        store.attach(s.uuid, raw.id, _file(store, "q.part", b""), "../evil")
    with pytest.raises(InputError, match="family"):
        store.add_result(s.uuid, name="n", code="c", family="Other")
    with pytest.raises(NotFound):
        store.get_result(s.uuid, 999)


def test_publish_replaces_same_code_and_keeps_ids(store):
    s = store.create("s")
    first = store.publish(s.uuid, [
        NewResult(code="grid-admin", family="Raw", name="Grid", file=_file(store, "g", b"g1"),
                  filename="gridadmin.h5"),
        NewResult(code="depth-max-dtri", family="Basic", name="Max",
                  raster_file=_file(store, "m", b"r1"), unit="m"),
    ], spatial={"projection": "EPSG:28992", "origin_x": 1.0, "pixelsize_y": -2.0})
    old_files = _files(store)
    second = store.publish(s.uuid, [
        NewResult(code="depth-max-dtri", family="Basic", name="Max",
                  raster_file=_file(store, "m2", b"r22"))])
    assert second[0].id == first[1].id and second[0].raster_uuid == first[1].raster_uuid
    raster, _ = store.get_raster(second[0].raster_uuid)
    assert store.path(raster.file).read_bytes() == b"r22"
    assert len(_files(store)) == len(old_files)  # the old raster file was removed
    after = store.get(s.uuid)
    assert (after.projection, after.origin_x, after.pixelsize_y) == ("EPSG:28992", 1.0, -2.0)
    assert after.total_size == 2 + 3


def test_publish_to_a_deleted_scenario_records_nothing(store):
    s = store.create("s")
    path = _file(store, "f", b"data")
    store.delete(s.uuid)
    with pytest.raises(NotFound):
        store.publish(s.uuid, [NewResult(code="c", family="Raw", name="n", file=path)])
    assert path.read_bytes() == b"data"  # left for the caller to remove
    assert not (store.root / s.uuid).exists()


def test_schedule_deletion_hides_then_purge_removes_files(store):
    s = store.create("s")
    items = store.publish(s.uuid, [
        NewResult(code="grid-admin", family="Raw", name="g", file=_file(store, "g", b"gg")),
        NewResult(code="results-3di", family="Raw", name="r", file=_file(store, "r", b"rrr")),
        NewResult(code="depth-max-dtri", family="Basic", name="m",
                  raster_file=_file(store, "m", b"mmmm")),
    ])
    ids = store.schedule_deletion(s.uuid, family="Raw")
    assert sorted(ids) == sorted(r.id for r in items[:2])
    assert [r.code for r in store.list_results(s.uuid)] == ["depth-max-dtri"]
    mid = store.get(s.uuid)
    assert not mid.has_raw_results and mid.total_size == 4
    assert len(_files(store)) == 3  # not yet purged
    assert store.purge(ids) == 2
    assert len(_files(store)) == 1
    with pytest.raises(NotFound):
        store.schedule_deletion(s.uuid, result_id=items[0].id)
    store.schedule_deletion(s.uuid, result_id=items[2].id)
    with pytest.raises(NotFound):
        store.get_raster(items[2].raster_uuid)  # hidden while scheduled
    store.purge()
    assert _files(store) == [] and store.get(s.uuid).total_size == 0


def test_delete_scenario_removes_rows_and_folder(store, cat):
    s = store.create("s")
    store.publish(s.uuid, [NewResult(code="c", family="Raw", name="n",
                                     file=_file(store, "f", b"x"))])
    assert (store.root / s.uuid).is_dir()
    store.delete(s.uuid)
    assert not (store.root / s.uuid).exists()
    with cat._read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM scenario_results").fetchone()[0] == 0
    with pytest.raises(NotFound):
        store.delete(s.uuid)


def test_concurrent_attachments_leave_one_whole_file(store):
    s = store.create("s")
    r = store.add_result(s.uuid, name="log", code="logfiles", family="Raw")
    blobs = [bytes([i]) * (100_000 + i) for i in range(8)]
    paths = [_file(store, f"p{i}", b) for i, b in enumerate(blobs)]
    threads = [threading.Thread(target=store.attach, args=(s.uuid, r.id, p, "log_files.zip"))
               for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = store.get_result(s.uuid, r.id)
    assert store.path(final.file).read_bytes() in blobs
    assert final.size == store.path(final.file).stat().st_size == store.get(s.uuid).total_size
    assert len(_files(store)) == 1


# -- tasks and recovery --------------------------------------------------------------------------
def test_task_transitions_visibility_and_recovery(store):
    t = store.create_task("raster-export", owner="ann")
    assert t.status == "PENDING"
    assert store.set_task(t.uuid, "STARTED").status == "STARTED"
    done = store.set_task(t.uuid, "SUCCESS", file="exports/x/a.tif")
    assert (done.status, done.file) == ("SUCCESS", "exports/x/a.tif")
    with pytest.raises(InputError, match="cannot become"):
        store.set_task(t.uuid, "FAILURE")
    with pytest.raises(NotFound):
        store.get_task(t.uuid, visible_to=User("bob", "", False))
    assert store.get_task(t.uuid, visible_to=User("ann", "", False)).uuid == t.uuid
    s = store.create("s")
    running = store.create_task("process", owner="ann", scenario_uuid=s.uuid)
    assert store.running_task(s.uuid, "process").uuid == running.uuid
    young = store.work_dir()
    (young / "half.part").write_bytes(b"x")
    old_work = store.work_dir()
    old_export = store.exports / "some-task"
    old_export.mkdir(parents=True)
    week_ago = time.time() - 8 * 86400
    for folder in (old_work, old_export):
        os.utime(folder, (week_ago, week_ago))
    store.recover()
    assert store.get_task(running.uuid).status == "FAILURE"
    assert store.running_task(s.uuid, "process") is None
    assert young.exists()  # young work folders are kept (another process may use them)
    assert not old_work.exists() and not old_export.exists()


# -- API keys and migration ----------------------------------------------------------------------
def test_api_keys_hashed_and_revocable(cat, data_dir):
    cat.add_user("ann", "pw", "Org A")
    key = cat.create_api_key("ann", "laptop")
    prefix, secret = key.split(".")
    assert len(prefix) == 8 and len(secret) >= 40
    assert cat.user_for_api_key(key) == User("ann", "Org A", False)
    assert cat.user_for_api_key(key + "x") is None and cat.user_for_api_key("") is None
    assert cat.user_for_api_key(None) is None
    assert [k["prefix"] for k in cat.list_api_keys("ann")] == [prefix]
    with sqlite3.connect(data_dir / "db.sqlite3") as conn:
        stored = conn.execute("SELECT key_hash FROM api_keys").fetchone()[0]
    assert secret not in stored and key not in stored
    with pytest.raises(NotFound):
        cat.create_api_key("nobody")
    cat.revoke_api_key(prefix)
    assert cat.user_for_api_key(key) is None
    with pytest.raises(NotFound):
        cat.revoke_api_key(prefix)
    other = cat.create_api_key("ann")
    cat.remove_user("ann")
    assert cat.user_for_api_key(other) is None  # deleted with the user


def test_migration_from_schema_2_keeps_everything(data_dir, monkeypatch):
    path = data_dir / "db.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(catalogue_module, "SCHEMA_VERSION", 2)
        with Catalogue(path) as old:
            assert old.schema_version == 2
            old.add_user("ann", "pw", "Org")
            calc = old.create("old calc", "classical", None)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "scenarios" not in tables
    assert SCHEMA_VERSION >= 3
    with Catalogue(path) as cat:
        assert cat.schema_version == SCHEMA_VERSION
        assert cat.get(calc).description == "old calc" and cat.get_user("ann") is not None
        store = ScenarioStore(cat, data_dir)
        assert store.create("new").name == "new"
        assert cat.user_for_api_key(cat.create_api_key("ann")).name == "ann"
