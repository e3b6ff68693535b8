"""Catalogue schema 2: users, sessions, tags, sharing, visibility, list filters, migration."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

import toolkit.store.catalogue as catalogue_module
from toolkit.errors import InputError, NotFound
from toolkit.store.catalogue import (
    SCHEMA_VERSION,
    Catalogue,
    User,
    hash_password,
    verify_password,
)


@pytest.fixture
def cat(data_dir):
    with Catalogue(data_dir / "db.sqlite3") as catalogue:
        yield catalogue


# -- users ---------------------------------------------------------------------------------------
def test_add_and_authenticate_users(cat):
    alice = cat.add_user("alice", "s3cret pass", "GEM")
    assert alice == User("alice", "GEM", False)
    root = cat.add_user("root@example.org", "pw", "Ops", is_admin=True)
    assert root.is_admin and cat.get_user("root@example.org") == root
    assert cat.authenticate("alice", "s3cret pass") == alice
    assert cat.authenticate("alice", "s3cret pas") is None
    assert cat.authenticate("alice", "") is None
    assert cat.authenticate("nobody", "s3cret pass") is None
    assert cat.authenticate(None, "x") is None  # type: ignore[arg-type]
    assert cat.get_user("nobody") is None
    assert cat.list_users() == [alice, root]


def test_passwords_are_salted_scrypt_hashes(cat):
    cat.add_user("a", "same", "org")
    cat.add_user("b", "same", "org")
    with sqlite3.connect(cat.path) as conn:
        hashes = dict(conn.execute("SELECT name, password_hash FROM users"))
    assert hashes["a"] != hashes["b"]  # different salts
    for stored in hashes.values():
        scheme, n, r, p, salt, digest = stored.split("$")
        assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1") and "same" not in stored
        assert verify_password("same", stored) and not verify_password("other", stored)
    assert not verify_password("same", "garbage")
    assert not verify_password("same", "md5$1$2$3$YQ==$YQ==")
    assert verify_password("é ü", hash_password("é ü"))


def test_invalid_and_duplicate_users(cat):
    cat.add_user("alice", "pw", "GEM")
    with pytest.raises(InputError, match="user 'alice' already exists"):
        cat.add_user("alice", "other", "GEM")
    for bad in ("", "with space", "a/b", "x" * 151, 3):
        with pytest.raises(InputError, match="invalid user name"):
            cat.add_user(bad, "pw", "GEM")
    with pytest.raises(InputError, match="password must be a non-empty string"):
        cat.add_user("bob", "", "GEM")
    for org in ("", "  ", " GEM", "a\nb"):
        with pytest.raises(InputError, match="invalid organisation"):
            cat.add_user("bob", "pw", org)
    assert [u.name for u in cat.list_users()] == ["alice"]
    assert cat.authenticate("alice", "pw") is not None  # the first password stays


def test_sessions_and_expiry(cat):
    alice = cat.add_user("alice", "pw", "GEM")
    token = cat.create_session("alice")
    assert isinstance(token, str) and len(token) >= 40
    assert cat.session_user(token) == alice
    other = cat.create_session("alice")
    assert other != token and cat.session_user(other) == alice
    with sqlite3.connect(cat.path) as conn:  # only hashes are stored
        stored = [r[0] for r in conn.execute("SELECT token_hash FROM sessions")]
    assert token not in stored and other not in stored and len(stored) == 2
    cat.delete_session(token)
    assert cat.session_user(token) is None and cat.session_user(other) == alice
    cat.delete_session(token)  # again: nothing happens
    cat.delete_session(None)
    for bad in (None, "", "x" * 1000, "nonsense", 42):
        assert cat.session_user(bad) is None  # type: ignore[arg-type]

    expired = cat.create_session("alice", ttl_s=0)
    assert cat.session_user(expired) is None
    short = cat.create_session("alice", ttl_s=0.3)
    assert cat.session_user(short) == alice
    time.sleep(0.4)
    assert cat.session_user(short) is None
    cat.create_session("alice")  # purges expired sessions
    with sqlite3.connect(cat.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 2

    with pytest.raises(NotFound, match="user 'bob' not found"):
        cat.create_session("bob")
    for bad in (-1, float("inf"), float("nan"), "soon"):
        with pytest.raises(InputError, match="session lifetime"):
            cat.create_session("alice", ttl_s=bad)


def test_removing_a_user_ends_their_sessions_but_keeps_calculations(cat):
    cat.add_user("alice", "pw", "GEM")
    token = cat.create_session("alice")
    calc_id = cat.create("a", "classical", None, owner="alice")
    cat.remove_user("alice")
    assert cat.session_user(token) is None and cat.get_user("alice") is None
    assert cat.get(calc_id).owner == "alice"
    with pytest.raises(NotFound):
        cat.remove_user("alice")


# -- sharing and visibility ----------------------------------------------------------------------
def test_visibility_own_shared_and_admin(cat):
    alice = cat.add_user("alice", "pw", "GEM")
    bob = cat.add_user("bob", "pw", "GEM")  # same organisation: still no access
    admin = cat.add_user("root", "pw", "Ops", is_admin=True)
    a1 = cat.create("a1", "classical", None, owner="alice")
    a2 = cat.create("a2", "classical", None, owner="alice")
    b1 = cat.create("b1", "scenario", None, owner="bob")
    assert cat.get(a1).shared is False
    ids = lambda **kw: [r.id for r in cat.list(**kw)]  # noqa: E731
    assert ids(visible_to=alice) == [a2, a1]
    assert ids(visible_to=bob) == [b1]
    assert ids(visible_to=admin) == ids() == [b1, a2, a1]
    with pytest.raises(NotFound, match=f"calculation {a1} not found"):
        cat.get(a1, visible_to=bob)
    assert cat.get(a1, visible_to=alice).id == a1 and cat.get(a1, visible_to=admin).id == a1

    rec = cat.share(a1)
    assert rec.shared is True and cat.get(a1).shared is True
    assert ids(visible_to=bob) == [b1, a1]
    assert cat.get(a1, visible_to=bob).owner == "alice"
    assert ids(shared=True) == [a1] and cat.count(visible_to=bob) == 2
    assert Catalogue.is_visible(cat.get(a1), bob) and not Catalogue.is_visible(cat.get(a2), bob)
    assert Catalogue.is_visible(cat.get(a2), None)
    assert cat.share(a1, False).shared is False
    assert ids(visible_to=bob) == [b1]
    with pytest.raises(NotFound):
        cat.share(999)


def test_list_filters_and_order(cat):
    ids = [cat.create(f"c{i}", "classical" if i % 2 else "scenario", None,
                      owner=("alice", "bob", "carol")[i % 3]) for i in range(6)]
    cat.set_status(ids[0], "executing")
    cat.set_status(ids[1], "executing")
    cat.set_status(ids[1], "complete", size_mb=2.0)
    cat.set_status(ids[2], "failed", relevant=False)
    cat.set_status(ids[3], "executing")
    cat.set_status(ids[3], "complete", size_mb=1.0)
    listed = lambda **kw: [r.id for r in cat.list(**kw)]  # noqa: E731
    assert listed(is_running=True) == [ids[5], ids[4], ids[0]]
    assert listed(is_running=False) == [ids[3], ids[2], ids[1]]
    assert listed(relevant=False) == [ids[2]]
    assert listed(order_by="id", order_dir="asc", limit=2, offset=1) == ids[1:3]
    assert listed(order_by="size_mb", order_dir="DESC", status="complete") == [ids[1], ids[3]]
    assert listed(order_by="user_name", order_dir="ASC")[:2] == [ids[0], ids[3]]  # alice
    assert listed(order_by="description", order_dir="DESC") == ids[::-1]
    assert listed(user_name_like="b%") == [ids[4], ids[1]]
    assert listed(mode="classical", is_running=False) == [ids[3], ids[1]]
    assert listed(limit=None) == ids[::-1]
    assert cat.count(is_running=True) == 3 and cat.count(owner="bob") == 2
    with pytest.raises(InputError, match="cannot order calculations by 'pid'"):
        cat.list(order_by="pid")
    with pytest.raises(InputError, match="order direction"):
        cat.list(order_dir="sideways")
    with pytest.raises(InputError, match="limit and offset"):
        cat.list(limit=-1)


def test_log_size_and_ranges(cat):
    calc_id = cat.create("a", "classical", None)
    assert cat.log_size(calc_id) == 0 and cat.log_size(999) == 0
    for i in range(4):
        cat.add_log(calc_id, "INFO", f"m{i}")
    assert cat.log_size(calc_id) == 4
    assert [r.message for r in cat.logs(calc_id, 1, 3)] == ["m1", "m2"]
    assert [r.message for r in cat.logs(calc_id, 3)] == ["m3"]
    assert cat.logs(calc_id, 10) == []


def test_created_with_pid_and_input_dir(cat, tmp_path):
    calc_id = cat.create("a", "classical", "/x/job.ini", "alice", pid=0, input_dir=tmp_path)
    rec = cat.get(calc_id)
    assert rec.pid == 0 and rec.input_dir == str(tmp_path)
    assert cat.set_status(calc_id, "created", input_dir=None).input_dir is None


def test_remove_rolls_back_when_the_file_step_fails(cat):
    calc_id = cat.create("a", "classical", None)
    cat.add_tag(calc_id, "t")

    def refuse(record):
        assert record.id == calc_id
        raise OSError("disk says no")

    with pytest.raises(OSError, match="disk says no"):
        cat.remove(calc_id, before_commit=refuse)
    assert cat.get(calc_id).tags == ("t",)
    seen = []
    assert cat.remove(calc_id, before_commit=seen.append).id == calc_id
    assert [r.id for r in seen] == [calc_id] and calc_id not in cat
    assert cat.list(tag="t") == [] and cat.list_tags() == ["t"]


def test_concurrent_removes_in_threads(cat):
    calc_id = cat.create("a", "classical", None)
    barrier = threading.Barrier(4)
    outcomes = []

    def remove():
        barrier.wait(5)
        try:
            outcomes.append(cat.remove(calc_id).id)
        except NotFound:
            outcomes.append("not found")

    threads = [threading.Thread(target=remove) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(outcomes, key=str) == [calc_id] + ["not found"] * 3


# -- tags ----------------------------------------------------------------------------------------
def test_tags_and_preferred_jobs(cat):
    a = cat.create("a", "classical", None)
    b = cat.create("b", "classical", None)
    assert cat.create_tag("mytag") is True and cat.create_tag("mytag") is False
    cat.add_tag(a, "mytag")
    cat.add_tag(a, "mytag")  # idempotent
    cat.add_tag(b, "mytag")
    cat.add_tag(b, "zeta")  # created on the fly, as OpenQuake does
    assert cat.list_tags() == ["mytag", "zeta"]
    assert cat.tags_of(a) == ["mytag"] and cat.tags_of(b) == ["mytag", "zeta"]
    assert [r.id for r in cat.list(tag="mytag")] == [b, a]
    assert cat.get_preferred("mytag") is None

    cat.set_preferred(a, "mytag")
    assert cat.get_preferred("mytag") == a
    cat.set_preferred(b, "zeta")
    assert cat.tags_of(b) == ["zeta", "mytag"]  # preferred first
    assert cat.get(b).preferred_tags == ("zeta",)
    cat.set_preferred(b, "mytag")  # moves the preference
    assert cat.get_preferred("mytag") == b and cat.get(a).preferred_tags == ()
    assert [r.id for r in cat.list(tag="mytag", preferred_only=True)] == [b]
    assert [r.id for r in cat.list(preferred_only=True)] == [b]
    listed = {r.id: r for r in cat.list()}
    assert listed[b].tags == ("mytag", "zeta") and listed[b].preferred_tags == ("mytag", "zeta")

    c = cat.create("c", "classical", None)
    cat.set_preferred(c, "new")  # tags it first
    assert cat.tags_of(c) == ["new"] and cat.get_preferred("new") == c
    cat.unset_preferred("mytag")
    assert cat.get_preferred("mytag") is None and cat.tags_of(b) == ["zeta", "mytag"]

    cat.remove_tag(b, "zeta")
    assert cat.tags_of(b) == ["mytag"] and "zeta" in cat.list_tags()
    with pytest.raises(NotFound, match=f"calculation {b} has no tag 'zeta'"):
        cat.remove_tag(b, "zeta")
    cat.delete_tag("mytag")
    assert cat.tags_of(a) == [] and cat.tags_of(b) == [] and cat.list(tag="mytag") == []
    assert cat.get_preferred("mytag") is None and cat.get_preferred("never") is None
    for call in (lambda: cat.delete_tag("mytag"), lambda: cat.unset_preferred("mytag"),
                 lambda: cat.add_tag(999, "t"), lambda: cat.set_preferred(999, "t"),
                 lambda: cat.remove_tag(999, "t"), lambda: cat.tags_of(999)):
        with pytest.raises(NotFound):
            call()
    for bad in ("", " x", "a/b", "x" * 101, "a\tb", None):
        with pytest.raises(InputError, match="invalid tag name"):
            cat.create_tag(bad)  # type: ignore[arg-type]
    cat.remove(c)
    assert cat.get_preferred("new") is None and "new" in cat.list_tags()


# -- migration -----------------------------------------------------------------------------------
def test_migration_from_schema_1_keeps_calculations(data_dir, monkeypatch):
    path = data_dir / "db.sqlite3"
    with monkeypatch.context() as m:  # an empty schema-1 catalogue, as toolkit 1 made it
        m.setattr(catalogue_module, "SCHEMA_VERSION", 1)
        with Catalogue(path) as old:
            assert old.schema_version == 1
    with sqlite3.connect(path) as conn:  # rows as the schema-1 code wrote them
        conn.execute("INSERT INTO calc (description, calculation_mode, status, owner, created, "
                     "start_time, stop_time, job_ini, datastore, pid, progress, size_mb) VALUES "
                     "('old one', 'classical', 'complete', 'alice', '2026-01-01T00:00:00+00:00',"
                     " '2026-01-01T00:00:01+00:00', '2026-01-01T00:00:09+00:00', "
                     "'/jobs/job.ini', '/data/calc_1.hdf5', 123, 1.0, 0.5)")
        conn.execute("INSERT INTO calc (description, calculation_mode, owner, created) VALUES "
                     "('old two', 'scenario', 'bob', '2026-01-02T00:00:00+00:00')")
        conn.execute("INSERT INTO log (calc_id, timestamp, level, process, message) VALUES "
                     "(1, '2026-01-01T00:00:09+00:00', 'INFO', 'MainProcess/1', 'done')")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(calc)")}
    conn.close()
    assert "shared" not in columns and SCHEMA_VERSION >= 2
    with Catalogue(path) as cat:
        assert cat.schema_version == SCHEMA_VERSION
        rec = cat.get(1)
        assert (rec.description, rec.status, rec.owner, rec.size_mb, rec.pid, rec.datastore) == (
            "old one", "complete", "alice", 0.5, 123, "/data/calc_1.hdf5")
        assert rec.shared is False and rec.tags == () and rec.input_dir is None
        assert [r.id for r in cat.list()] == [2, 1]
        assert [log.message for log in cat.get_logs(1)] == ["done"]
        assert cat.add_user("carol", "pw", "GEM").name == "carol"
        cat.add_tag(1, "kept")
        assert cat.create("new", "classical", None) == 3
    with Catalogue(path) as cat:  # reopening does not migrate again
        assert cat.tags_of(1) == ["kept"] and cat.get_user("carol") is not None
