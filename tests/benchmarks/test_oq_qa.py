"""benchmarks/oq_qa.py: runs OpenQuake QA case folders unchanged and compares with their
expected CSVs; an expected realization is compared only with the same realization."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks import oq_qa  # noqa: E402

HEADER = ('#,,,,,"generated_by=\'OpenQuake engine 3.26.2\', kind=\'{kind}\', '
          'investigation_time=1.0, imt=\'PGA\'"\n')


def curve_csv(path: Path, kind: str, poes: tuple[float, float]) -> Path:
    path.write_text(HEADER.format(kind=kind) + "lon,lat,depth,poe-0.1,poe-0.2\n"
                    f"0.0,0.0,0.0,{poes[0]},{poes[1]}\n")
    return path


def realizations_csv(path: Path, n: int) -> None:
    rows = "".join(f"{i},b{i},{1 / n}\n" for i in range(n))
    path.write_text('#,,"generated_by=\'OpenQuake engine 3.26.2\'"\n'
                    "rlz_id,branch_path,weight\n" + rows)


@pytest.mark.parametrize("n_rlzs, expected_kind, matched", [
    (1, "rlz-000", True),   # one realization: its curve is the mean
    (1, "mean", True),
    (2, "rlz-001", False),  # never a realization against the mean
    (2, "rlz-000", False),
])
def test_an_expected_realization_is_not_compared_with_the_mean(tmp_path, n_rlzs,
                                                                  expected_kind, matched):
    out = tmp_path / "out"
    out.mkdir()
    curve_csv(out / "hazard_curve-mean-PGA_1.csv", "mean", (0.5, 0.1))
    realizations_csv(out / "realizations_1.csv", n_rlzs)
    expected = curve_csv(tmp_path / f"hazard_curve-{expected_kind}-PGA.csv", expected_kind,
                         (0.5, 0.1))
    assert oq_qa._realizations(out) == n_rlzs
    got = oq_qa._match(expected, oq_qa._index(out), oq_qa._realizations(out))
    assert (got is not None) == matched


def test_compare_reports_the_largest_relative_error(tmp_path):
    a = curve_csv(tmp_path / "a.csv", "mean", (0.5, 0.1))
    b = curve_csv(tmp_path / "b.csv", "mean", (0.5, 0.1003))
    assert oq_qa.compare(a, b) == pytest.approx(0.003, rel=1e-6)  # relative to expected
    c = curve_csv(tmp_path / "c.csv", "mean", (0.5, 0.1 + 2e-5))
    assert oq_qa.compare(a, c) == pytest.approx(2e-4, rel=1e-6)


MAP_HEADER = ('#,,,"generated_by=\'OpenQuake engine 3.26.2\', kind=\'mean\', '
              'investigation_time=50.0"\n')


def map_csv(path: Path, rows: list[tuple[float, float, float]], labels: bool) -> Path:
    head = "custom_site_id,lon,lat,PGA-0.02\n" if labels else "lon,lat,PGA-0.02\n"
    body = "".join((f"s{i}," if labels else "") + f"{lon:.5f},{lat:.5f},{v}\n"
                   for i, (lon, lat, v) in enumerate(rows))
    path.write_text(MAP_HEADER + head + body)
    return path


SITES = [(0.0, 0.0, 0.2), (0.0, 1.0, 0.3), (1.0, 0.0, 0.4)]


def test_an_expected_subset_of_sites_is_compared_site_by_site(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    ours = map_csv(out / "hazard_map-mean_1.csv", SITES, labels=False)
    # a tile: two of the sites, in another order, with OpenQuake's site labels
    tile = map_csv(tmp_path / "hmap1.csv", [SITES[2], SITES[0]], labels=True)
    assert oq_qa._match(tile, oq_qa._index(out), 1) == ours
    assert oq_qa.compare(tile, ours) == 0.0
    off = map_csv(tmp_path / "hmap2.csv", [(1.0, 0.0, 0.4004), SITES[0]], labels=True)
    assert oq_qa.compare(off, ours) == pytest.approx(0.0004 / 0.4004, rel=1e-9)


def test_a_site_we_do_not_have_or_an_ambiguous_site_fails(tmp_path):
    ours = map_csv(tmp_path / "ours.csv", SITES, labels=False)
    missing = map_csv(tmp_path / "missing.csv", [(2.0, 2.0, 0.2)], labels=True)
    assert oq_qa.compare(missing, ours) == float("inf")
    # two sites at one place (override_vs30) are paired by position only
    twice = map_csv(tmp_path / "twice.csv", [(0.0, 0.0, 0.2), (0.0, 0.0, 0.5)], labels=True)
    same = map_csv(tmp_path / "same.csv", [(0.0, 0.0, 0.2), (0.0, 0.0, 0.5)], labels=False)
    assert oq_qa.compare(twice, same) == 0.0
    one = map_csv(tmp_path / "one.csv", [(0.0, 0.0, 0.2)], labels=False)
    assert oq_qa.compare(twice, one) == float("inf")


@pytest.mark.shared
def test_shared_qa_cases_pass_or_name_the_missing_gsim(shared_dir, tmp_path):
    qa = shared_dir / "reference" / "openquake" / "qa" / "classical"
    assert oq_qa.main([str(qa), "--cases", "case_01,case_02", "--name", "t",
                       "--results-dir", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "oq_qa_t.json").read_text())
    status = {row["case"]: row for row in result["cases"]}
    assert status["classical/case_01"]["status"] == "pass"
    assert status["classical/case_01"]["max_rel_error"] <= 1e-3
    if status["classical/case_02"]["status"] != "pass":  # passes only with hazardlib bridged
        assert "LanzanoEtAl2019_RJB_OMO" in status["classical/case_02"]["cause"]
    assert result["total"] == 2
    assert "Pass rate" in (tmp_path / "oq_qa_t.md").read_text()


def test_the_same_sites_in_another_order_fail(tmp_path):
    """Pairing by coordinates is for a subset of the sites only: a site-order change fails."""
    ours = map_csv(tmp_path / "ours.csv", SITES, labels=False)
    shuffled = map_csv(tmp_path / "shuffled.csv", [SITES[1], SITES[0], SITES[2]], labels=True)
    assert oq_qa.compare(shuffled, ours) == float("inf")
    more = map_csv(tmp_path / "more.csv", [*SITES, (2.0, 2.0, 0.1)], labels=True)
    assert oq_qa.compare(more, ours) == float("inf")
