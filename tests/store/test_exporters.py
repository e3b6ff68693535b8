"""CSV exporters: byte-for-byte against OpenQuake 3.26's exports, and read_oq_csv on QA files.

The reference files are read in place from ``../shared/reference/openquake`` (never copied).
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.engine.hazard.sites import SiteCollection
from toolkit.errors import InputError, NotFound, UnknownName
from toolkit.store.csvformat import parse_comment, read_oq_csv, write_oq_csv
from toolkit.store.datastore import open_reader, open_writer
from toolkit.store.exporters import (
    ExportMeta,
    available_exports,
    export,
    export_all,
    exporters,
    input_checksum,
    return_period,
)
from toolkit.store.hazard import HazardOutputs, save_hazard


@pytest.fixture(scope="module")
def oq_dir(shared_dir):
    return shared_dir / "reference" / "openquake"


@pytest.fixture(scope="module")
def calc3(oq_dir):
    return oq_dir / "cli-exports" / "calc_3"


def _values(path, skip):
    _, table = read_oq_csv(path)
    return table.iloc[:, skip:].to_numpy(dtype=float)


def calc3_outputs(calc3):
    """Rebuild calc 3 (classical case_05: 1 site, 2 realizations, 13 IMTs, 1 PoE) from its CSVs.

    The sample folder holds every mean curve, but rlz-000 and the quantile curves only for PGA;
    the missing curves get the mean values (their files are compared by size only).
    """
    _, hmap = read_oq_csv(calc3 / "hazard_map-mean_3.csv")
    imts = [c.rsplit("-", 1)[0] for c in hmap.columns[2:]]
    _, pga = read_oq_csv(calc3 / "hazard_curve-mean-PGA_3.csv")
    levels = [float(c[4:]) for c in pga.columns[3:]]
    mean = np.concatenate([_values(calc3 / f"hazard_curve-mean-{imt}_3.csv", 3) for imt in imts],
                          axis=1)
    n_levels = len(levels)

    def curves(prefix):
        out = mean.copy()
        out[:, :n_levels] = _values(calc3 / f"{prefix}-PGA_3.csv", 3)
        return out

    def maps(name):
        return _values(calc3 / name, 2)[:, :, None]  # (N, M, P=1)

    _, rlzs = read_oq_csv(calc3 / "realizations_3.csv")
    return HazardOutputs(
        sites=SiteCollection([15.2], [37.5], depths=0.0),
        imtls={imt: levels for imt in imts},
        investigation_time=100.0,
        realizations=list(rlzs.itertuples(index=False)),
        curves_rlzs=np.stack([curves("hazard_curve-rlz-000"), mean], axis=1),
        curves_stats={
            "mean": mean,
            "quantile-0.15": curves("quantile_curve-0.15"),
            "quantile-0.85": curves("quantile_curve-0.85"),
        },
        poes=[0.02],
        maps_rlzs=np.stack([maps("hazard_map-rlz-000_3.csv"), maps("hazard_map-rlz-001_3.csv")],
                           axis=1),
        maps_stats={
            "mean": maps("hazard_map-mean_3.csv"),
            "quantile-0.15": maps("quantile_map-0.15_3.csv"),
            "quantile-0.85": maps("quantile_map-0.85_3.csv"),
        },
        individual_rlzs=True,
    )


def oq_meta(path):
    meta, _ = read_oq_csv(path)
    return {k: meta[k] for k in ("generated_by", "start_date", "checksum")}


def test_calc3_exports_are_byte_identical_to_openquake(calc3, tmp_path):
    """With OpenQuake's metadata, every file OpenQuake exported for calc 3 is reproduced."""
    outputs = calc3_outputs(calc3)
    meta = oq_meta(calc3 / "realizations_3.csv")
    paths = export_all(3, outputs, tmp_path, meta)
    ours = {p.name: p for p in paths}
    samples = [p for p in sorted(calc3.iterdir()) if p.suffix == ".csv"]
    assert len(samples) == 30
    for sample in samples:
        assert sample.name in ours, sample.name
        assert ours[sample.name].read_bytes() == sample.read_bytes(), sample.name
    assert available_exports(outputs) == ["hcurves", "hmaps", "hmaps-stats", "uhs", "realizations"]


def test_calc3_hcurves_match_the_webapi_zip(calc3, oq_dir, tmp_path):
    """The WebAPI's hcurves zip lists 65 members (mean, 2 rlzs, 2 quantiles x 13 IMTs) and
    their sizes: the file set and every size must agree with ours."""
    import json

    record = json.loads((oq_dir / "api" / "result_hcurves_csv.json").read_text())
    members = {m["name"]: m["size"] for m in record["body"]["zip_members"]}
    meta = oq_meta(calc3 / "realizations_3.csv")
    paths = export("hcurves", calc3_outputs(calc3), 3, tmp_path, **meta)
    assert {p.name: p.stat().st_size for p in paths} == members


@pytest.mark.parametrize("case, name", [("case_01", "hazard_curve-PGA.csv"),
                                        ("case_01", "hazard_curve-SA(0.1).csv"),
                                        ("case_03", "hazard_curve-PGA.csv")])
def test_single_realization_curves_match_qa_expected(oq_dir, tmp_path, case, name):
    """QA files have LF endings: identical to ours once line endings are normalised."""
    expected = oq_dir / "qa" / "classical" / case / "expected" / name
    meta, table = read_oq_csv(expected)
    imt = meta["imt"]
    levels = [float(c[4:]) for c in table.columns[3:]]
    curves = table.iloc[:, 3:].to_numpy(dtype=float)
    outputs = HazardOutputs(
        sites=SiteCollection(table["lon"], table["lat"], depths=table["depth"]),
        imtls={imt: levels},
        investigation_time=meta["investigation_time"],
        realizations=[(0, "b1~b1", 1.0)],
        curves_rlzs=curves[:, None, :],  # one realization, no statistics: exported as mean
    )
    paths = export("hcurves", outputs, 1, tmp_path,
                   **{k: meta[k] for k in ("generated_by", "start_date", "checksum")})
    assert [p.name for p in paths] == [f"hazard_curve-mean-{imt}_1.csv"]
    assert paths[0].read_bytes().replace(b"\r\n", b"\n") == expected.read_bytes()


@pytest.mark.parametrize("case", ["case_04", "case_05"])
def test_uhs_match_qa_expected(oq_dir, tmp_path, case):
    expected = oq_dir / "qa" / "classical" / case / "expected" / "uhs.csv"
    meta, table = read_oq_csv(expected)
    poe = float(table.columns[2].split("~")[0])
    imts = [c.split("~")[1] for c in table.columns[2:]]
    n = len(table)
    outputs = HazardOutputs(
        sites=SiteCollection(table["lon"], table["lat"]),
        imtls={imt: [0.1, 0.2] for imt in imts},
        investigation_time=meta["investigation_time"],
        realizations=[(0, "b1", 1.0)],
        curves_rlzs=np.zeros((n, 1, 2 * len(imts))),
        poes=[poe],
        maps_stats={"mean": table.iloc[:, 2:].to_numpy(dtype=float)[:, :, None]},
    )
    paths = export("uhs", outputs, 4, tmp_path,
                   **{k: meta[k] for k in ("generated_by", "start_date", "checksum")})
    assert [p.name for p in paths] == ["hazard_uhs-mean_4.csv"]
    assert paths[0].read_bytes().replace(b"\r\n", b"\n") == expected.read_bytes()


def test_read_oq_csv_on_qa_and_cli_files(oq_dir):
    meta, table = read_oq_csv(oq_dir / "qa" / "classical" / "case_01" / "expected"
                              / "hazard_curve-PGA.csv")
    assert meta == {"generated_by": "OpenQuake engine 3.20.0-git6a5db97d59",
                    "start_date": "2024-06-03T09:36:04", "checksum": 2107362341,
                    "kind": "mean", "investigation_time": 1.0, "imt": "PGA"}
    assert list(table.columns) == ["lon", "lat", "depth", "poe-0.1000000", "poe-0.4000000",
                                   "poe-0.6000000"]
    assert len(table) == 4 and table["depth"].tolist() == [-0.1] * 4
    assert table.iloc[0, 3] == pytest.approx(4.553861e-01, rel=0, abs=0)
    meta, table = read_oq_csv(oq_dir / "cli-exports" / "calc_5" / "hazard_curve-mean-PGA_5.csv")
    assert table["custom_site_id"].tolist()[0] == "7zzzzzzz"  # kept as a string
    meta, table = read_oq_csv(oq_dir / "cli-exports" / "calc_3" / "realizations_3.csv")
    assert meta["checksum"] == 3617874260 and "kind" not in meta
    assert table.to_dict("list") == {"rlz_id": [0, 1], "branch_path": ["A~A", "A~B"],
                                     "weight": [0.5, 0.5]}
    meta, _ = read_oq_csv(oq_dir / "cli-exports" / "calc_3" / "mean_rates_by_src-0_3.csv.head12")
    assert (meta["lon"], meta["lat"], meta["vs30"]) == (15.2, 37.5, 800.0)


# -- format details without the shared data -------------------------------------------------------
def tiny(n_rlzs=1, stats=("mean",), individual=False, imtls=None, poes=(0.1, 0.02)):
    imtls = imtls or {"PGA": [0.005, 0.1, 5.0], "SA(0.1)": [0.01, 0.2]}
    n_levels = sum(len(v) for v in imtls.values())
    curves = np.full((2, n_rlzs, n_levels), 0.5)
    maps = np.arange(2 * n_rlzs * len(imtls) * len(poes), dtype=float).reshape(
        2, n_rlzs, len(imtls), len(poes)) + 1.0
    return HazardOutputs(
        sites=SiteCollection([-0.0, 1.25], [0.0, -2.5], depths=[0.0, -0.1]),
        imtls=imtls,
        investigation_time=50.0,
        realizations=[(i, f"b{i}", 1.0 / n_rlzs) for i in range(n_rlzs)],
        curves_rlzs=curves,
        curves_stats={s: curves[:, 0] for s in stats},
        poes=list(poes),
        maps_rlzs=maps if poes else None,
        maps_stats={s: maps[:, 0] for s in stats} if poes else {},
        individual_rlzs=individual,
    )


META = {"checksum": 42, "start_date": "2026-01-02T03:04:05"}


def test_curve_file_layout(tmp_path):
    (path, _) = export("hcurves", tiny(), 8, tmp_path, **META)
    text = path.read_bytes().decode()
    assert path.name == "hazard_curve-mean-PGA_8.csv"
    lines = text.split("\r\n")
    assert lines[-1] == "" and "\n" not in text.replace("\r\n", "")
    assert lines[0].startswith('#,,,,,"generated_by=\'toolkit ')
    assert lines[0].endswith("start_date='2026-01-02T03:04:05', checksum=42, kind='mean', "
                             "investigation_time=50.0, imt='PGA'\"")
    assert lines[1] == "lon,lat,depth,poe-0.0050000,poe-0.1000000,poe-5.0000000"
    assert lines[2] == "0.00000,0.00000,0.00000,5.000000E-01,5.000000E-01,5.000000E-01"
    assert lines[3].startswith("1.25000,-2.50000,-0.10000,")


def test_map_and_uhs_headers_with_several_poes(tmp_path):
    out = tiny()
    (hmap,) = export("hmaps", out, 1, tmp_path, **META)
    (uhs,) = export("uhs", out, 1, tmp_path, **META)
    stats = export("hmaps-stats", out, 1, tmp_path, **META)
    meta, table = read_oq_csv(hmap)
    assert list(table.columns) == ["lon", "lat", "PGA-0.1", "PGA-0.02", "SA(0.1)-0.1",
                                   "SA(0.1)-0.02"]
    assert meta["kind"] == "mean" and "imt" not in meta
    expected = out.maps_stats["mean"].reshape(2, 4)
    np.testing.assert_array_equal(table.iloc[:, 2:].to_numpy(), expected)
    _, table = read_oq_csv(uhs)
    assert list(table.columns) == ["lon", "lat", "0.100000~PGA", "0.100000~SA(0.1)",
                                   "0.020000~PGA", "0.020000~SA(0.1)"]
    np.testing.assert_array_equal(table["0.020000~SA(0.1)"], out.maps_stats["mean"][:, 1, 1])
    assert [p.name for p in stats] == ["hazard_map-mean-475y_1.csv", "hazard_map-mean-2475y_1.csv"]
    meta, table = read_oq_csv(stats[1])
    assert set(meta) == {"generated_by", "start_date", "checksum"}
    assert list(table.columns) == ["lon", "lat", "PGA", "SA(0.1)"]
    assert return_period(0.02, 100.0) == 4950


def test_which_kinds_are_exported(tmp_path):
    def names(out, name="hcurves"):
        return sorted(p.name for p in export(name, out, 1, tmp_path / name, **META))

    assert names(tiny(stats=())) == ["hazard_curve-mean-PGA_1.csv",
                                     "hazard_curve-mean-SA(0.1)_1.csv"]
    two = tiny(n_rlzs=2, stats=("mean", "quantile-0.15"))
    assert names(two) == ["hazard_curve-mean-PGA_1.csv", "hazard_curve-mean-SA(0.1)_1.csv",
                          "quantile_curve-0.15-PGA_1.csv", "quantile_curve-0.15-SA(0.1)_1.csv"]
    indiv = tiny(n_rlzs=2, stats=("mean",), individual=True)
    assert "hazard_curve-rlz-001-SA(0.1)_1.csv" in names(indiv)
    assert names(indiv, "hmaps") == ["hazard_map-mean_1.csv", "hazard_map-rlz-000_1.csv",
                                     "hazard_map-rlz-001_1.csv"]
    assert names(tiny(n_rlzs=2, stats=()), "uhs") == ["hazard_uhs-rlz-000_1.csv",
                                                      "hazard_uhs-rlz-001_1.csv"]
    assert names(tiny(n_rlzs=2, stats=()), "hmaps-stats") == []
    no_maps = tiny(poes=())
    assert available_exports(no_maps) == ["hcurves", "realizations"]
    pgv = tiny(imtls={"PGV": [1.0, 2.0]})
    assert available_exports(pgv) == ["hcurves", "hmaps", "hmaps-stats", "realizations"]
    assert export("uhs", pgv, 1, tmp_path, **META) == []


def test_export_from_a_datastore_and_realizations(data_dir, tmp_path):
    out = tiny(n_rlzs=2, stats=("mean",), individual=True)
    with open_writer(data_dir, 5) as ds:
        save_hazard(ds, out)
    with open_reader(data_dir, 5) as ds:
        meta = ExportMeta(checksum=7, start_date="2026-01-01T00:00:00")
        paths = export_all(5, ds, tmp_path, meta)
    assert len(paths) == len({p.name for p in paths}) == 6 + 3 + 2 + 3 + 1
    rlz = tmp_path / "realizations_5.csv"
    assert rlz.read_bytes().split(b"\r\n")[1:] == [
        b"rlz_id,branch_path,weight", b"0,b0,5.0000000e-01", b"1,b1,5.0000000e-01", b""]
    assert rlz.read_bytes().startswith(b'#,,"generated_by=')


def test_errors_and_metadata(tmp_path):
    with pytest.raises(UnknownName, match="unknown exporter 'hcurve'; did you mean 'hcurves'"):
        export("hcurve", tiny(), 1, tmp_path)
    with pytest.raises(InputError, match=r"unknown export metadata \['cheksum'\]"):
        export("hcurves", tiny(), 1, tmp_path, cheksum=1)
    with pytest.raises(InputError, match="32-bit"):
        export("hcurves", tiny(), 1, tmp_path, checksum=2**32)
    with pytest.raises(InputError, match="cannot export from a dict"):
        export("hcurves", {}, 1, tmp_path)
    with pytest.raises(NotFound, match="not found"):
        read_oq_csv(tmp_path / "missing.csv")
    assert set(exporters.names()) == {"hcurves", "hmaps", "hmaps-stats", "uhs", "realizations"}
    meta = ExportMeta().resolved()
    assert meta.generated_by.startswith("toolkit ") and len(meta.start_date) == 19


def test_write_and_parse_helpers(tmp_path):
    path = write_oq_csv(tmp_path / "x.csv", ["id", "name", "v"],
                        [([1, 2], "%d"), (["a,b", 'q"'], "%s"), ([0.5, -0.0], "%.6E")],
                        {"kind": "it's"})
    meta, table = read_oq_csv(path)
    assert meta == {"kind": "it's"}
    assert table["name"].tolist() == ["a,b", 'q"'] and table["v"].tolist() == [0.5, 0.0]
    with pytest.raises(InputError, match="2 header names for 3 columns"):
        write_oq_csv(tmp_path / "y.csv", ["a", "b"], [([1], "%d")] * 3, None)
    assert parse_comment("a=1, b='x, y', c=2.5, d=word") == {"a": 1, "b": "x, y", "c": 2.5,
                                                           "d": "word"}
    (tmp_path / "in1").write_bytes(b"abc")
    (tmp_path / "in2").write_bytes(b"def")
    assert input_checksum([tmp_path / "in1", tmp_path / "in2"]) == 0x4B8E39EF


def test_exports_with_the_other_imts(tmp_path):
    out = tiny(imtls={"IA": [0.001, 5.0], "AvgSA(0.1)": [0.0105084], "SA(0.1)": [0.01, 0.2],
                      "EAS(1.000000)": [0.005], "PGA": [0.1]})
    paths = {p.name: p for p in export("hcurves", out, 1, tmp_path, **META)}
    assert sorted(paths) == ["hazard_curve-mean-AvgSA(0.1)_1.csv",
                             "hazard_curve-mean-EAS(1.000000)_1.csv",
                             "hazard_curve-mean-IA_1.csv", "hazard_curve-mean-PGA_1.csv",
                             "hazard_curve-mean-SA(0.1)_1.csv"]
    meta, table = read_oq_csv(paths["hazard_curve-mean-IA_1.csv"])
    assert meta["imt"] == "IA"
    assert list(table.columns) == ["lon", "lat", "depth", "poe-1.00000e-03", "poe-5.00000e+00"]
    _, table = read_oq_csv(paths["hazard_curve-mean-AvgSA(0.1)_1.csv"])
    assert list(table.columns)[3:] == ["poe-1.05084e-02"]
    _, table = read_oq_csv(paths["hazard_curve-mean-SA(0.1)_1.csv"])
    assert list(table.columns)[3:] == ["poe-0.0100000", "poe-0.2000000"]
    (hmap,) = export("hmaps", out, 1, tmp_path, **META)
    _, table = read_oq_csv(hmap)
    assert list(table.columns)[2:4] == ["IA-0.1", "IA-0.02"]
    (uhs,) = export("uhs", out, 1, tmp_path, **META)  # PGA and SA only, not AvgSA
    _, table = read_oq_csv(uhs)
    assert list(table.columns) == ["lon", "lat", "0.100000~SA(0.1)", "0.100000~PGA",
                                   "0.020000~SA(0.1)", "0.020000~PGA"]
