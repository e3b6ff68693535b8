"""GMF exports: byte-for-byte against OpenQuake 3.26's exports of calcs 5 to 8.

The samples are read in place from ``../shared/reference/openquake/cli-exports`` (never copied):
5 = event_based/case_1 (large files cut to their first 12 lines, ``*.head12``),
6 = scenario/case_1, 7 = scenario_damage/case_1 and 8 = scenario_risk/case_1 (GMFs read from a
file). Each test rebuilds a :class:`GmfOutputs` from the sample's own values, exports it with the
sample's metadata and compares the bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError
from toolkit.store.csvformat import read_oq_csv
from toolkit.store.datastore import open_reader, open_writer
from toolkit.store.exporters import ExportMeta
from toolkit.store.gmf import EVENT_DT, RUPTURE_DT, GmfOutputs, save_gmf
from toolkit.store.gmf_exporters import (
    available_gmf_exports,
    avg_gmf,
    event_based_mfd,
    export_avg_gmf,
    export_event_based_mfd,
    export_gmf,
    gmf_exporters,
)
from toolkit.store.hazard import HazardOutputs


@pytest.fixture(scope="module")
def cli(shared_dir) -> Path:
    return shared_dir / "reference" / "openquake" / "cli-exports"


# -- reading the samples ----------------------------------------------------------------------
def rows(path: Path) -> list[list[str]]:
    """Data rows (after the comment and header lines) as lists of strings."""
    return [line.split(",") for line in path.read_text().splitlines()[2:]]


def meta_of(path: Path) -> ExportMeta:
    meta, _ = read_oq_csv(path)
    return ExportMeta(meta["checksum"], meta["start_date"], meta["generated_by"])


def sites_of(path: Path) -> tuple[SiteCollection, dict[str, int]]:
    r = rows(path)
    sites = SiteCollection([float(x[1]) for x in r], [float(x[2]) for x in r])
    return sites, {x[0]: i for i, x in enumerate(r)}


def events_of(path: Path, n: int | None = None) -> np.ndarray:
    r = rows(path)[:n]
    events = np.zeros(len(r), EVENT_DT)
    for j, name in enumerate(EVENT_DT.names[: len(r[0])]):
        events[name] = [int(x[j]) for x in r]
    return events


def gmfs_of(path: Path, site_index: dict[str, int]):
    r = rows(path)
    eid = np.array([int(x[0]) for x in r], dtype=np.uint32)
    gmv = np.array([[float(v) for v in x[1:-1]] for x in r], dtype=np.float32)
    sid = np.array([site_index[x[-1]] for x in r], dtype=np.uint32)
    return eid, sid, gmv


def sig_eps_of(path: Path, n: int | None = None):
    r = rows(path)[:n]
    sig = np.array([[float(x[2])] for x in r])
    eps = np.array([[float(x[3])] for x in r])
    return sig, eps


def ruptures_of(path: Path) -> np.ndarray:
    r = rows(path)
    rups = np.zeros(len(r), RUPTURE_DT)
    for j, name in enumerate(RUPTURE_DT.names[:-1]):  # all but the seed
        col = [x[j] for x in r]
        kind = RUPTURE_DT[name].kind
        rups[name] = [c.encode() for c in col] if kind == "S" else np.array(col, dtype=float)
    rups["seed"] = 1066
    return rups


def first_lines(path: Path, n: int = 12) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:n])


def assert_same_bytes(ours: Path, sample: Path) -> None:
    a, b = ours.read_bytes(), sample.read_bytes()
    assert a == b, f"{sample.name}:\nours   {a[:400]!r}\nsample {b[:400]!r}"


ONE_RUPTURE = np.array(
    [(0, b"rupture", 1, 6.7, 0.0, 0.0, 10.0, b"*", 0.0, 90.0, 0.0, 3)], dtype=RUPTURE_DT
)


# -- calc 6: scenario ------------------------------------------------------------------------
def calc6_outputs(cli: Path) -> GmfOutputs:
    d = cli / "calc_6"
    sites, index = sites_of(d / "sitemesh_6.csv")
    eid, sid, gmv = gmfs_of(d / "gmf-data_6.csv", index)
    sig, eps = sig_eps_of(d / "sigma_epsilon_6.csv")
    return GmfOutputs(
        mode="scenario", sites=sites, imts=["PGA"], realizations=[(0, "b1", 1.0)],
        investigation_time=None, ses_per_logic_tree_path=1, ruptures=ONE_RUPTURE,
        events=events_of(d / "events_6.csv"), gmf_event_id=eid, gmf_site_id=sid, gmf_gmv=gmv,
        sig_inter=sig, eps_inter=eps,
    )


def test_calc6_scenario_exports_are_byte_identical(cli, tmp_path):
    d = cli / "calc_6"
    outputs = calc6_outputs(cli)
    assert available_gmf_exports(outputs) == ["avg_gmf", "events", "gmf_data"]
    paths = export_gmf(6, outputs, tmp_path, meta_of(d / "events_6.csv"))
    assert sorted(p.name for p in paths) == sorted(p.name for p in d.iterdir())
    for path in paths:
        assert_same_bytes(path, d / path.name)


def test_calc6_avg_gmf_is_the_geometric_mean(cli):
    """Site 7zzzzzzz: geometric mean 0.48592 (exported), arithmetic mean 0.5055 (not)."""
    outputs = calc6_outputs(cli)
    sids, values = avg_gmf(outputs)
    assert sids.tolist() == [0]  # sites 1 and 2 are beyond maximum_distance: no rows
    gmv = outputs.gmf_gmv[:, 0].astype(float)
    assert values[0, 0] == pytest.approx(np.exp(np.log(gmv).mean()), rel=1e-12)
    assert f"{values[0, 0]:.5E}" == "4.85916E-01"
    assert f"{gmv.mean():.4f}" == "0.5055"


def test_calc6_export_from_a_datastore_equals_export_from_outputs(cli, data_dir, tmp_path):
    outputs = calc6_outputs(cli)
    meta = meta_of(cli / "calc_6" / "events_6.csv")
    with open_writer(data_dir, 6) as ds:
        save_gmf(ds, outputs)
    with open_reader(data_dir, 6) as ds:
        from_store = export_gmf(6, ds, tmp_path / "store", meta)
    direct = export_gmf(6, outputs, tmp_path / "direct", meta)
    assert [p.read_bytes() for p in from_store] == [p.read_bytes() for p in direct]


# -- calc 5: event based ---------------------------------------------------------------------
def calc5_outputs(cli: Path, all_events: bool = False) -> GmfOutputs:
    """Event-based case_1 from its samples: 4 ruptures, 1 site, 1 realization.

    The events, GMF and sigma-epsilon samples are cut to their first 10 rows: the outputs hold
    events 0 to 10 (event 10 has GMF rows; its year, ses_id, sigma and epsilon are made up and
    fall beyond the compared lines). With ``all_events`` every one of the 199,413 events is
    there (ids in rupture order, as in the sample), for the magnitude-frequency distribution.
    """
    d = cli / "calc_5"
    sites, index = sites_of(d / "sitemesh_5.csv")
    ruptures = ruptures_of(d / "ruptures_5.csv")
    if all_events:
        rup_id = np.repeat(ruptures["rup_id"], ruptures["multiplicity"])
        events = np.zeros(len(rup_id), EVENT_DT)
        events["event_id"] = np.arange(len(rup_id))
        events["rup_id"] = rup_id
        eid = sid = np.array([], dtype=np.uint32)
        gmv = np.empty((0, 1))
    else:
        head = events_of(d / "events_5.csv.head12")
        events = np.concatenate([head, np.array([(10, 0, 0, 1, 1)], EVENT_DT)])
        eid, sid, gmv = gmfs_of(d / "gmf-data_5.csv.head12", index)
    sig, eps = sig_eps_of(d / "sigma_epsilon_5.csv.head12")
    n_extra = len(events) - len(sig)
    sig = np.concatenate([sig, np.full((n_extra, 1), np.nan)])
    eps = np.concatenate([eps, np.zeros((n_extra, 1))])
    _, curve = read_oq_csv(d / "hazard_curve-mean-PGA_5.csv")
    mean = curve.iloc[:, 4:].to_numpy(dtype=float)
    curves = HazardOutputs(
        sites=sites, imtls={"PGA": [0.1, 0.4, 0.6]}, investigation_time=1.0,
        realizations=[(0, "b1~b1", 1.0)], curves_rlzs=mean[:, None, :],
        curves_stats={"mean": mean},
    )
    return GmfOutputs(
        mode="event_based", sites=sites, imts=["PGA"], realizations=[(0, "b1~b1", 1.0)],
        investigation_time=1.0, ses_per_logic_tree_path=80000, ruptures=ruptures,
        events=events, gmf_event_id=eid, gmf_site_id=sid, gmf_gmv=gmv, sig_inter=sig,
        eps_inter=eps, curves=curves,
    )


def test_calc5_event_based_exports_are_byte_identical(cli, tmp_path):
    """Full files: ruptures, sitemesh, hazard curve; first 12 lines: events, gmf-data,
    sigma_epsilon. avg_gmf and event_based_mfd are checked in the next tests."""
    d = cli / "calc_5"
    outputs = calc5_outputs(cli)
    paths = {p.name: p for p in export_gmf(5, outputs, tmp_path, meta_of(d / "sitemesh_5.csv"))}
    samples = {p.name.removesuffix(".head12"): p for p in d.iterdir()}
    assert sorted(paths) == sorted(samples)
    for name in ("ruptures_5.csv", "sitemesh_5.csv", "hazard_curve-mean-PGA_5.csv"):
        assert_same_bytes(paths[name], samples[name])
    for name in ("events_5.csv", "gmf-data_5.csv", "sigma_epsilon_5.csv"):
        assert samples[name].name.endswith(".head12")
        assert first_lines(paths[name]) == samples[name].read_bytes(), name


def test_calc5_event_based_mfd_is_byte_identical(cli, tmp_path):
    d = cli / "calc_5"
    outputs = calc5_outputs(cli, all_events=True)
    assert outputs.n_events == 199413
    mags, freqs = event_based_mfd(outputs)
    assert mags.tolist() == [5.0, 5.1]
    assert freqs.tolist() == [(47566 + 31978) / 80000, (71734 + 48135) / 80000]
    path = export_event_based_mfd(outputs, 5, tmp_path, meta_of(d / "sitemesh_5.csv"))
    assert_same_bytes(path, d / "event_based_mfd_5.csv")


def test_calc5_avg_gmf_format(cli, tmp_path):
    """The value cannot be reproduced from the first 10 GMF rows of 187,462: compare the two
    header lines byte for byte and the row's format only."""
    d = cli / "calc_5"
    path = export_avg_gmf(calc5_outputs(cli), 5, tmp_path, meta_of(d / "sitemesh_5.csv"))
    ours = path.read_bytes().splitlines(keepends=True)
    sample = (d / "avg_gmf_5.csv").read_bytes().splitlines(keepends=True)
    assert len(ours) == len(sample) == 3
    assert ours[:2] == sample[:2]
    row = re.compile(rb"7zzzzzzz,0\.00000E\+00,0\.00000E\+00,\d\.\d{5}E[-+]\d\d\r\n")
    assert row.fullmatch(sample[2]) and row.fullmatch(ours[2])


# -- calcs 7 and 8: GMFs read from a file ----------------------------------------------------
def from_file_outputs(d: Path, calc_id: int) -> GmfOutputs:
    sites, index = sites_of(d / f"sitemesh_{calc_id}.csv")
    events = events_of(d / f"events_{calc_id}.csv")
    eid, sid, gmv = gmfs_of(d / f"gmf-data_{calc_id}.csv", index)
    nan = np.full((len(events), 1), np.nan)
    return GmfOutputs(
        mode="scenario", sites=sites, imts=["PGA"], realizations=[(0, "b1", 1.0)],
        investigation_time=None, ses_per_logic_tree_path=1, ruptures=np.empty(0, RUPTURE_DT),
        events=events, gmf_event_id=eid, gmf_site_id=sid, gmf_gmv=gmv, sig_inter=nan,
        eps_inter=nan,
    )


@pytest.mark.parametrize("calc_id", [7, 8])
def test_gmfs_from_file_exports_are_byte_identical(cli, tmp_path, calc_id):
    """No ruptures: events without year/ses_id, no sigma_epsilon, arithmetic avg_gmf."""
    d = cli / f"calc_{calc_id}"
    outputs = from_file_outputs(d, calc_id)
    assert outputs.from_file
    paths = export_gmf(calc_id, outputs, tmp_path, meta_of(d / f"events_{calc_id}.csv"))
    assert sorted(p.name for p in paths) == [
        f"avg_gmf_{calc_id}.csv", f"events_{calc_id}.csv", f"gmf-data_{calc_id}.csv",
        f"sitemesh_{calc_id}.csv",
    ]
    for path in paths:
        assert_same_bytes(path, d / path.name)


def test_calc8_avg_gmf_is_the_arithmetic_mean(cli):
    """GMFs read from a file: 0.397631 is the arithmetic mean (the geometric is 0.384452)."""
    outputs = from_file_outputs(cli / "calc_8", 8)
    _, values = avg_gmf(outputs)
    gmv = outputs.gmf_gmv[:, 0].astype(float)
    assert values[0, 0] == pytest.approx(gmv.mean(), rel=1e-12)
    assert f"{np.exp(np.log(gmv).mean()):.6f}" == "0.384452"


# -- behaviour without samples ---------------------------------------------------------------
def synthetic(**changes) -> GmfOutputs:
    """2 sites, 2 IMTs, 2 realizations (weights 0.75, 0.25), 4 events."""
    events = np.zeros(4, EVENT_DT)
    events["event_id"] = [3, 1, 2, 0]  # not sorted on purpose
    events["rlz_id"] = [0, 1, 0, 1]
    kwargs = dict(
        mode="event_based", sites=SiteCollection([0.0, 1.0], [0.0, 1.0]),
        imts=["PGA", "SA(1.0)"], realizations=[(0, "a", 0.75), (1, "b", 0.25)],
        investigation_time=10.0, ses_per_logic_tree_path=2, ruptures=ONE_RUPTURE,
        events=events,
        gmf_event_id=np.array([3, 0, 1, 0]), gmf_site_id=np.array([0, 1, 0, 0]),
        gmf_gmv=np.array([[0.2, 0.1], [0.5, 0.3], [0.4, 0.05], [0.1, 0.2]]),
        sig_inter=np.array([[0.3, np.nan]] * 4), eps_inter=np.arange(8.0).reshape(4, 2),
    )
    kwargs.update(changes)
    return GmfOutputs(**kwargs)


def test_rows_are_ordered_by_event_then_site(tmp_path):
    o = synthetic()
    export_gmf(1, o, tmp_path, ExportMeta(1, "2026-01-01T00:00:00", "test"))
    assert [r[0] for r in rows(tmp_path / "events_1.csv")] == ["0", "1", "2", "3"]
    gmf = rows(tmp_path / "gmf-data_1.csv")
    assert [(r[0], r[-1]) for r in gmf] == [
        ("0", "7zzzzzzz"), ("0", "s00twy01"), ("1", "7zzzzzzz"), ("3", "7zzzzzzz")
    ]
    lines = (tmp_path / "sigma_epsilon_1.csv").read_text().splitlines()
    assert lines[0] == (
        "#,,,,,\"generated_by='test', start_date='2026-01-01T00:00:00', checksum=1\""
    )
    assert lines[1] == "event_id,rlz_id,sig_inter_PGA,sig_inter_SA(1.0),eps_inter_PGA," \
        "eps_inter_SA(1.0)"
    # event 0 is the 4th row of the outputs: eps (6, 7); rlz 1
    assert lines[2] == "0,1,3.000000E-01,NAN,6.000000E+00,7.000000E+00"


def test_avg_gmf_weights_rows_by_realization():
    o = synthetic()
    sids, values = avg_gmf(o)
    assert sids.tolist() == [0, 1]
    # site 0: events 3 (w .75), 1 (w .25), 0 (w .25)
    w = np.array([0.75, 0.25, 0.25])
    pga = np.array([0.2, 0.4, 0.1], dtype=np.float32).astype(float)
    expected = np.exp((w * np.log(pga)).sum() / w.sum())
    assert values[0, 0] == pytest.approx(expected, rel=1e-12)
    assert values[1, 1] == pytest.approx(0.3, rel=1e-6)  # one row


def test_avg_gmf_with_min_iml_counts_the_missing_events():
    o = synthetic()
    _, values = avg_gmf(o, min_iml=[0.01, 0.02])
    # site 1 has a row for event 0 only (w .25); events 1, 2, 3 (w .25 + .75 + .75) at min_iml
    expected = np.exp((0.25 * np.log(np.float32(0.5)) + 1.75 * np.log(0.01)) / 2.0)
    assert values[1, 0] == pytest.approx(expected, rel=1e-6)
    with pytest.raises(InputError, match="min_iml must have 2 values"):
        avg_gmf(o, min_iml=[0.1])


def test_event_based_mfd_weights_events_by_realization():
    mags, freqs = event_based_mfd(synthetic())
    assert mags.tolist() == [6.7]
    assert freqs.tolist() == [pytest.approx((0.75 + 0.25 + 0.75 + 0.25) / (10.0 * 2))]


def test_registry_and_bad_sources(tmp_path):
    assert gmf_exporters.names() == [
        "avg_gmf", "event_based_mfd", "events", "gmf_data", "hcurves", "ruptures"
    ]
    with pytest.raises(InputError, match="cannot export GMFs from a dict"):
        export_gmf(1, {}, tmp_path)
    with pytest.raises(InputError, match="unknown export metadata"):
        export_gmf(1, synthetic(), tmp_path, {"when": "now"})


def test_text_fields_are_quoted_when_needed(tmp_path):
    rup = ONE_RUPTURE.copy()
    rup["trt"] = b"Active, Shallow"
    rup["source_id"] = "Ünï".encode()
    export_gmf(2, synthetic(ruptures=rup), tmp_path, ExportMeta(0, "2026-01-01T00:00:00", "t"))
    line = (tmp_path / "ruptures_2.csv").read_text(encoding="utf-8").splitlines()[2]
    assert line.startswith("0,Ünï,1,6.700000E+00,") and ',"Active, Shallow",' in line
