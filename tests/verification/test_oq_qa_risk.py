"""OpenQuake QA scenario_damage/case_1 and scenario_risk/case_1 run unchanged.

Both read their ground motion from a file, so everything but the damage-state sampling is
deterministic:

* scenario_risk/case_1 (vulnerability functions with zero coefficients of variation): every
  exported file equals OpenQuake 3.26.2's export of the same job (``cli-exports/calc_8``) byte
  for byte after the comment line, and the QA expected ``agg.csv`` / ``risk_by_event.csv``
  match to 1e-5; without ``minimum_asset_loss`` the per-event losses of asset a2 give the mean
  and standard deviation of the older expected ``asset-loss.csv`` and, with its deductible
  and insurance limit, of ``asset-ins.csv``.
* scenario_damage/case_1 (``discrete_damage_distribution = true``): the numbers of buildings in
  each damage state are multinomial samples. The job sets no ``master_seed``, so the toolkit
  uses OpenQuake's default 123456789 with its own streams (see
  :mod:`toolkit.engine.risk.calculators`); OpenQuake's sample cannot be reproduced. The modal
  damage states are exact (expected ``dmg_by_asset.csv``, and ``avg_damages`` byte for byte),
  the counts sum to the 6000 buildings, and the aggregated counts lie within 4 standard
  deviations of the multinomial expectation, as OpenQuake's own counts do.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from toolkit.config import Settings
from toolkit.engine.hazard.calculators import calculators
from toolkit.engine.risk.calculators import RiskWarning
from toolkit.engine.risk.fragility import damage_state_probs, limit_state_poes
from toolkit.engine.risk.losses import insured_losses, loss_stddev
from toolkit.errors import InputError
from toolkit.io.inputs import build_inputs, load_job
from toolkit.io.riskmodels import read_fragility_model
from toolkit.jobs.runner import run_job
from toolkit.store import Catalogue, read_oq_csv

Z = 4.0


def _qa(shared_dir: Path, case: str) -> Path:
    return shared_dir / "reference" / "openquake" / "qa" / case / "case_1"


def _sample(shared_dir: Path, calc: int) -> Path:
    return shared_dir / "reference" / "openquake" / "cli-exports" / f"calc_{calc}"


def _body(path: Path) -> list[bytes]:
    """The lines of an export after its comment line (OpenQuake's differ in the checksum,
    date and version)."""
    lines = path.read_bytes().split(b"\r\n")
    return lines[1:] if lines[0].startswith(b"#") else lines


def _exports(out: Path, calc_id: int) -> dict[str, Path]:
    return {p.name[: -len(f"_{calc_id}.csv")]: p for p in out.glob(f"*_{calc_id}.csv")}


def test_qa_scenario_risk_case_1(shared_dir, tmp_path):
    case = _qa(shared_dir, "scenario_risk")
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.warns(RiskWarning, match="2 asset"):
        calc_id = run_job(case / "job_risk.ini", settings, export_dir=tmp_path / "out",
                          progress=False)
    ours = _exports(tmp_path / "out", calc_id)
    theirs = _exports(_sample(shared_dir, 8), 8)
    assert sorted(ours) == sorted(theirs)
    for name, path in theirs.items():
        assert _body(ours[name]) == _body(path), name
        head = path.read_bytes().split(b",")[0]
        assert ours[name].read_bytes().split(b",")[0] == head, name  # comment line or not
    _, agg = read_oq_csv(case / "expected" / "agg.csv")
    _, mine = read_oq_csv(ours["aggrisk-"])
    np.testing.assert_allclose(mine[["loss_value", "loss_ratio"]].to_numpy(float),
                               agg[["loss_value", "loss_ratio"]].to_numpy(float), rtol=1e-5)
    _, expected = read_oq_csv(case / "expected" / "risk_by_event.csv")
    _, mine = read_oq_csv(ours["risk_by_event"])
    assert mine["event_id"].tolist() == expected["event_id"].tolist()
    np.testing.assert_allclose(mine["loss"], expected["loss"], rtol=1e-5)


def test_qa_scenario_risk_case_1_losses_and_insurance(shared_dir):
    case = _qa(shared_dir, "scenario_risk")
    inputs = build_inputs(load_job(case / "job_risk.ini"))
    inputs.minimum_asset_loss = {}
    sink = type("Sink", (), {"save": lambda self, r: setattr(self, "r", r)})()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RiskWarning)
        calculators.get("scenario_risk")(inputs, sink).run()
    result = sink.r
    assert result.assets.asset_id.tolist() == ["a2"]
    losses = result.event_totals["structural"]  # one asset: its losses per event
    _, loss = read_oq_csv(case / "expected" / "asset-loss.csv")
    np.testing.assert_allclose([losses.mean(), loss_stddev(losses)],
                               loss[["Mean", "Standard Deviation"]].to_numpy(float)[0],
                               rtol=1e-5)
    insured = insured_losses(losses, 2000.0, 350.0, 800.0)  # a2's deductible and limit
    _, ins = read_oq_csv(case / "expected" / "asset-ins.csv")
    np.testing.assert_allclose([insured.mean(), loss_stddev(insured)],
                               ins[["Mean", "Standard Deviation"]].to_numpy(float)[0],
                               rtol=1e-5)


def _expected_damage(case: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the buildings per damage state summed over the assets."""
    model = read_fragility_model(case / "fragility_discrete.xml", "structural")
    # site order (lon, lat): a1 (15.48, 38.09) sid 0, a3 (15.48, 38.25) sid 1, a2 sid 2
    gmv = {"a1": 0.30512801, "a3": 0.60403198, "a2": 0.17111}
    taxonomy = {"a1": "RM", "a2": "RC", "a3": "RM"}
    number = {"a1": 3000, "a2": 2000, "a3": 1000}
    mean, var = np.zeros(3), np.zeros(3)
    for asset, x in gmv.items():
        p = damage_state_probs(limit_state_poes(model.functions[taxonomy[asset]], x))
        mean += number[asset] * p
        var += number[asset] * p * (1 - p)
    return mean, var


def test_qa_scenario_damage_case_1(shared_dir, tmp_path):
    case = _qa(shared_dir, "scenario_damage")
    settings = Settings(data_dir=tmp_path / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        calc_id = run_job(case / "job_risk.ini", settings, export_dir=tmp_path / "out",
                          progress=False)
    ours = _exports(tmp_path / "out", calc_id)
    theirs = _exports(_sample(shared_dir, 7), 7)
    assert sorted(ours) == sorted(theirs)
    for name in ("avg_damages-rlz-000", "avg_gmf", "events", "gmf-data", "sitemesh"):
        assert _body(ours[name]) == _body(theirs[name]), name
    for name in ("aggrisk-", "risk_by_event"):  # sampled: same layout
        assert _body(ours[name])[0] == _body(theirs[name])[0], name
    # the modal damage states of the QA expected file
    _, expected = read_oq_csv(case / "expected" / "dmg_by_asset.csv")
    _, mine = read_oq_csv(ours["avg_damages-rlz-000"])
    assert mine.to_dict("list") == expected.to_dict("list")
    # counts: integers, 6000 buildings, within the multinomial bound (as OpenQuake's)
    mean, var = _expected_damage(case)
    _, agg = read_oq_csv(ours["aggrisk-"])
    _, oq = read_oq_csv(theirs["aggrisk-"])
    states = ["no_damage", "LS1", "LS2"]
    counts = agg[states].to_numpy(float)[0]
    assert np.array_equal(counts, np.round(counts)) and counts.sum() == 6000
    assert np.all(np.abs(counts - mean) <= Z * np.sqrt(var)), (counts, mean)
    assert np.all(np.abs(oq[states].to_numpy(float)[0] - mean) <= Z * np.sqrt(var))
    _, by_event = read_oq_csv(ours["risk_by_event"])
    np.testing.assert_allclose(by_event[["LS1", "LS2"]].to_numpy(float)[0], counts[1:])


def test_qa_scenario_damage_job_bad_fails_clearly(shared_dir, tmp_path):
    case = _qa(shared_dir, "scenario_damage")
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(InputError, match=r"job_bad.ini: missing structural_fragility_file "
                                         r"\(or another <loss_type>_fragility_file: the "
                                         r"fragility model; the job gives only "
                                         r"structural_vulnerability_file\); required for "
                                         r"calculation_mode 'scenario_damage'"):
        run_job(case / "job_bad.ini", settings, progress=False)
    if settings.catalogue_path.exists():
        with Catalogue(settings.catalogue_path) as catalogue:
            assert catalogue.list() == []
