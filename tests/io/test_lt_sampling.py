"""Monte Carlo logic-tree sampling: frequencies, reproducibility, weights, methods, job inputs.

The sampled frequencies are checked against the branch weights with a binomial bound: for n
independent draws a branch of probability p is picked k ~ Binomial(n, p) times, and
|k/n - p| < 4.5 sqrt(p (1 - p) / n) fails with probability below 1e-5 (normal tail).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.io.logictree import (
    SAMPLING_METHODS,
    GsimLogicTree,
    read_gsim_logic_tree,
    read_source_model_tree,
    sample_realizations,
)
from toolkit.io.lt_uncertainties import build_source_model_inputs

from .lt_trees import DATA, branch_set, job_params, write_tree

TRTS = {"sm04": {"Stable Crust", "Active Crust"}, "sm05": {"Subduction Inslab", "Active Crust"}}


def two_level_tree(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path,
        branch_set("bGRRelative", "B", [("b1", "0.1", 0.2), ("b2", "0", 0.5),
                                        ("b3", "-0.1", 0.3)], applyToSources="P1 S1"),
        branch_set("maxMagGRRelative", "C", [("c1", "0.2", 0.1), ("c2", "0", 0.9)],
                   applyToBranches="b1", applyToSources="P1 S1"))


def draw(tmp_path: Path, n: int, seed: int, method: str = "early_weights"):
    tree = read_source_model_tree(two_level_tree(tmp_path))
    gsim_lt = read_gsim_logic_tree(DATA / "gslt_three_trts.xml")
    return sample_realizations(tree, gsim_lt, TRTS, n, seed, method=method, validate=False)


def binomial_ok(count: int, n: int, p: float) -> bool:
    return abs(count / n - p) < 4.5 * math.sqrt(p * (1 - p) / n)


# --------------------------------------------------------------------------- frequencies
def test_frequencies_converge_to_the_weights(tmp_path):
    n = 10_000
    rlzs = draw(tmp_path, n, seed=2024)
    assert len(rlzs) == n
    assert all(r.weight == 1 / n for r in rlzs)
    assert [r.index for r in rlzs] == list(range(n))
    sm = Counter(r.sm_branch.base_id for r in rlzs)
    assert binomial_ok(sm["sm04"], n, 0.6) and binomial_ok(sm["sm05"], n, 0.4)
    # bGRRelative branches, independent of the source model
    b = Counter(r.sm_branch.code[1] for r in rlzs)
    for code, p in zip("ABC", (0.2, 0.5, 0.3), strict=True):
        assert binomial_ok(b[code], n, p), (code, b[code])
    # the C branch set applies only after b1: '.' elsewhere, then 0.1 / 0.9
    c = Counter(r.sm_branch.code[2] for r in rlzs if r.sm_branch.code[1] == "A")
    n_b1 = b["A"]
    assert binomial_ok(c["A"], n_b1, 0.1) and c["A"] + c["B"] == n_b1
    assert all(r.sm_branch.code[2] == "." for r in rlzs if r.sm_branch.code[1] != "A")
    # GSIMs of Active Crust (0.5, 0.3, 0.2), present in both source models
    g = Counter(r.gsim_by_trt["Active Crust"][0] for r in rlzs)
    for branch_id, p in (("act1", 0.5), ("act2", 0.3), ("act3", 0.2)):
        assert binomial_ok(g[branch_id], n, p), (branch_id, g[branch_id])
    # a realization path has the GSIM codes of the regions of its source model only
    for r in rlzs[:50]:
        sm_part, gsim_part = r.branch_path.split("~")
        assert sm_part == r.sm_branch.code and len(gsim_part) == 2
    # joint frequency of a whole path = product of its weights
    full = Counter(r.branch_path for r in rlzs)
    # sm05 (0.4), b2 (0.5), act1 (0.5), sub1 (0.75)
    assert binomial_ok(full["BB.~AA"], n, 0.4 * 0.5 * 0.5 * 0.75)


def test_same_seed_same_samples_different_seed_different(tmp_path):
    first = [r.branch_path for r in draw(tmp_path, 200, seed=7)]
    again = [r.branch_path for r in draw(tmp_path, 200, seed=7)]
    other = [r.branch_path for r in draw(tmp_path, 200, seed=8)]
    assert first == again
    assert first != other
    # the first samples do not depend on how many are drawn after them (row by row)
    assert [r.branch_path for r in draw(tmp_path, 20, seed=7)] == first[:20]


def test_equal_paths_share_one_source_model_path_object(tmp_path):
    rlzs = draw(tmp_path, 500, seed=3)
    by_code: dict[str, set[int]] = {}
    for r in rlzs:
        by_code.setdefault(r.sm_branch.branch_id, set()).add(id(r.sm_branch))
    assert all(len(ids) == 1 for ids in by_code.values())
    assert len(by_code) <= 2 * 4


def test_early_latin_is_stratified(tmp_path):
    n = 1000
    rlzs = draw(tmp_path, n, seed=11, method="early_latin")
    sm = Counter(r.sm_branch.base_id for r in rlzs)
    # one number in each stratum of width 1/n: counts within 1 of n * weight
    assert abs(sm["sm04"] - 600) <= 1 and abs(sm["sm05"] - 400) <= 1
    b = Counter(r.sm_branch.code[1] for r in rlzs)
    for code, p in zip("ABC", (0.2, 0.5, 0.3), strict=True):
        assert abs(b[code] - n * p) <= 1
    assert all(r.weight == 1 / n for r in rlzs)


@pytest.mark.parametrize("method", ["late_weights", "late_latin"])
def test_late_weights(tmp_path, method):
    n = 3000
    rlzs = draw(tmp_path, n, seed=5, method=method)
    # branches are picked with equal probabilities ...
    sm = Counter(r.sm_branch.base_id for r in rlzs)
    assert binomial_ok(sm["sm04"], n, 0.5)
    b = Counter(r.sm_branch.code[1] for r in rlzs)
    assert all(binomial_ok(b[c], n, 1 / 3) for c in "ABC")
    # ... and weighted by the product of their weights times the number of samples that
    # drew the same path, normalised (OpenQuake 3.26's rule, measured: weights 0.3 / 0.7 with
    # 6 samples drawn 4 / 2 give 4 x 0.1579 and 2 x 0.1842)
    drawn = Counter(r.branch_path for r in rlzs)
    raw = []
    for r in rlzs:
        w = r.sm_branch.weight
        for branch in r.gsim_branches.values():
            w *= branch.weight
        raw.append(w * drawn[r.branch_path])
    expected = np.array(raw) / math.fsum(raw)
    np.testing.assert_allclose([r.weight for r in rlzs], expected, rtol=1e-12)
    assert math.fsum(r.weight for r in rlzs) == pytest.approx(1.0, abs=1e-12)


def test_unknown_method_and_bad_count(tmp_path):
    with pytest.raises(InputError, match="sampling_method 'late_latino' is not supported; "
                                         "supported: " + ", ".join(SAMPLING_METHODS)):
        draw(tmp_path, 5, seed=1, method="late_latino")
    with pytest.raises(InputError, match="number_of_logic_tree_samples must be >= 1, got 0"):
        draw(tmp_path, 0, seed=1)


def test_sampling_does_not_enumerate_a_huge_tree(tmp_path):
    # 2 x 4**10 = 2,097,152 source-model paths: sampling 100 of them is immediate
    sets = [branch_set("bGRRelative", f"s{k}", [(f"s{k}b{j}", f"0.0{j}", 0.25)
                                                 for j in range(4)], applyToSources="P1 S1")
            for k in range(10)]
    tree = read_source_model_tree(write_tree(tmp_path, *sets))
    rlzs = sample_realizations(tree, GsimLogicTree.from_gsim("SadighEtAl1997"), TRTS, 100, 1,
                               validate=False)
    assert len(rlzs) == 100
    assert all(len(r.sm_branch.code) == 11 for r in rlzs)
    assert len({r.sm_branch.branch_id for r in rlzs}) > 90


# --------------------------------------------------------------------------- job inputs
def test_classical_inputs_compute_each_sampled_path_once(tmp_path):
    params = job_params(two_level_tree(tmp_path), samples=50, seed=9)
    sms, rlzs, idx = build_source_model_inputs(params, GsimLogicTree.from_gsim("SadighEtAl1997"))
    assert len(rlzs) == 50 and len(idx) == 50
    distinct = {r.sm_branch.branch_id for r in rlzs}
    assert len(sms) == len(distinct)
    for r, i in zip(rlzs, idx, strict=True):
        assert sms[i].branch_id == r.sm_branch.branch_id
    np.testing.assert_allclose([r.weight for r in rlzs], 1 / 50)


def test_event_based_inputs_give_each_sample_its_own_source_model(tmp_path):
    params = job_params(two_level_tree(tmp_path), samples=20, seed=9, mode="event_based")
    sms, rlzs, idx = build_source_model_inputs(params, GsimLogicTree.from_gsim("SadighEtAl1997"))
    assert idx == list(range(20)) and len(sms) == 20
    # equal paths share their (unmodified and modified) sources: only the entries differ
    first = {}
    for r, sm in zip(rlzs, sms, strict=True):
        if r.sm_branch.branch_id in first:
            other = first[r.sm_branch.branch_id]
            assert [id(s) for g in sm.groups.values() for s in g] == [
                id(s) for g in other.groups.values() for s in g]
        first.setdefault(r.sm_branch.branch_id, sm)


def test_job_sampling_method_is_checked(tmp_path):
    params = job_params(two_level_tree(tmp_path), samples=5, sampling_method="weird")
    with pytest.raises(InputError, match=r"job.ini line 1: sampling_method: sampling_method "
                                         "= weird is not supported yet"):
        build_source_model_inputs(params, GsimLogicTree.from_gsim("SadighEtAl1997"))


def test_job_ini_accepts_sampling(tmp_path):
    from toolkit.io.jobini import read_job_ini

    two_level_tree(tmp_path)
    job = tmp_path / "job.ini"
    job.write_text("[general]\ncalculation_mode = classical\nnumber_of_logic_tree_samples = 10\n"
                   "random_seed = 5\ninvestigation_time = 1\ngsim = SadighEtAl1997\n"
                   "source_model_logic_tree_file = ssmLT.xml\n"
                   "maximum_distance = 200\nreference_vs30_value = 760\ntruncation_level = 3\n"
                   "sites = 0 0\nintensity_measure_types_and_levels = {'PGA': [0.1]}\n")
    params = read_job_ini(job, modes=["classical"])
    assert params.number_of_logic_tree_samples == 10 and params.random_seed == 5
