"""Fragility and vulnerability models (NRML 0.4/0.5) and taxonomy mappings, with their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit.engine.risk.models import FragilityModel, VulnerabilityModel
from toolkit.errors import InputError
from toolkit.io.riskmodels import (
    canonical_imt,
    read_fragility_model,
    read_taxonomy_mapping,
    read_vulnerability_model,
)

NS = {"0.4": "http://openquake.org/xmlns/nrml/0.4", "0.5": "http://openquake.org/xmlns/nrml/0.5"}


def write(tmp_path: Path, body: str, version: str = "0.5", name: str = "model.xml") -> Path:
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<nrml xmlns="{NS[version]}">\n'
                    f"{body}</nrml>\n", encoding="utf-8")
    return path


def raises(func, path, *parts: str, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        func(path, **kwargs)
    message = str(info.value)
    for part in parts:
        assert part in message, (part, message)
    return message


@pytest.fixture
def qa(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "openquake" / "qa"


# --------------------------------------------------------------------------- fragility
def test_scenario_damage_case_1_discrete_fragility(qa: Path):
    path = qa / "scenario_damage" / "case_1" / "fragility_discrete.xml"
    fm = read_fragility_model(path, "structural")
    assert isinstance(fm, FragilityModel)
    assert fm.limit_states == ["LS1", "LS2"] and fm.loss_type == "structural"
    assert fm.path == path and list(fm.functions) == ["RC", "RM"]
    rc = fm.functions["RC"]
    assert (rc.id, rc.imt, rc.format, rc.no_damage_limit) == ("RC", "PGA", "discrete", 0.0)
    np.testing.assert_array_equal(rc.imls, [0.1, 0.2, 0.3, 0.5])
    np.testing.assert_array_equal(rc.poes, [[0.0073, 0.35, 0.74, 0.99],
                                            [0.001, 0.02, 0.25, 0.72]])
    np.testing.assert_array_equal(fm.functions["RM"].poes[:, -1], [1.0, 0.86])
    assert rc.means is None and rc.min_iml is None


def test_qa_vulnerability_models(qa: Path):
    for case in ("scenario_damage", "scenario_risk"):
        vm = read_vulnerability_model(qa / case / "case_1" / "vulnerability.xml", "structural")
        assert isinstance(vm, VulnerabilityModel) and list(vm.functions) == ["RC", "RM"]
        rm = vm.functions["RM"]
        assert (rm.imt, rm.dist) == ("PGA", "LN")
        np.testing.assert_array_equal(rm.imls, [0.1, 0.2, 0.3, 0.5, 0.7])
        np.testing.assert_array_equal(rm.mean_lrs, [0.05, 0.1, 0.2, 0.4, 0.8])
        np.testing.assert_array_equal(rm.covs, np.zeros(5))
        assert rm.loss_ratios is None and rm.probs is None


FRAGILITY_05 = """<fragilityModel id="fm" assetCategory="buildings" lossCategory="{loss}">
<description>test</description>
<limitStates>slight moderate</limitStates>
{functions}
</fragilityModel>
"""
DISCRETE = """<fragilityFunction id="{id}" format="discrete">
<imls imt="{imt}" noDamageLimit="0.05">{imls}</imls>
<poes ls="slight">{p1}</poes>
<poes ls="moderate">{p2}</poes>
</fragilityFunction>"""
CONTINUOUS = """<fragilityFunction id="{id}" format="continuous" shape="logncdf">
<imls imt="SA(0.30)" noDamageLimit="0.01" minIML="{lo}" maxIML="{hi}"/>
<params ls="slight" mean="{m1}" stddev="0.1"/>
<params ls="moderate" mean="0.6" stddev="{s2}"/>
</fragilityFunction>"""


def discrete(id="D", imt="PGA", imls="0.1 0.2 0.4", p1="0.1 0.5 0.9", p2="0 0.2 0.6"):
    return DISCRETE.format(id=id, imt=imt, imls=imls, p1=p1, p2=p2)


def continuous(id="C", lo="0.01", hi="3", m1="0.2", s2="0.3"):
    return CONTINUOUS.format(id=id, lo=lo, hi=hi, m1=m1, s2=s2)


def fragility(tmp_path, functions, loss="structural"):
    return write(tmp_path, FRAGILITY_05.format(loss=loss, functions=functions))


def test_mixed_discrete_and_continuous_fragility(tmp_path):
    fm = read_fragility_model(fragility(tmp_path, discrete() + continuous()), "structural")
    d, c = fm.functions["D"], fm.functions["C"]
    assert d.no_damage_limit == 0.05 and d.poes.shape == (2, 3)
    assert c.format == "continuous" and c.imt == "SA(0.3)"
    np.testing.assert_array_equal(c.means, [0.2, 0.6])
    np.testing.assert_array_equal(c.stddevs, [0.1, 0.3])
    assert (c.no_damage_limit, c.min_iml, c.max_iml) == (0.01, 0.01, 3.0)
    assert c.imls is None and c.poes is None and c.limit_states == ["slight", "moderate"]


def test_limit_states_are_reordered_to_the_model_order(tmp_path):
    func = discrete().replace('<poes ls="slight">0.1 0.5 0.9</poes>\n', "") + "\n"
    func = func.replace("</fragilityFunction>", '<poes ls="slight">0.1 0.5 0.9</poes>\n'
                        "</fragilityFunction>")
    fm = read_fragility_model(fragility(tmp_path, func), "structural")
    np.testing.assert_array_equal(fm.functions["D"].poes[:, 1], [0.5, 0.2])


FRAGILITY_04_DISCRETE = """<fragilityModel format="discrete">
<description>old</description>
<limitStates>LS1 LS2</limitStates>
<ffs noDamageLimit="0.05">
<taxonomy>RC</taxonomy>
<IML IMT="PGA" imlUnit="g">0.1 0.2 0.3</IML>
<ffd ls="LS1"><poEs>0.1 0.6 0.9</poEs></ffd>
<ffd ls="LS2"><poEs>0.0 0.1 0.5</poEs></ffd>
</ffs>
</fragilityModel>
"""
FRAGILITY_04_CONTINUOUS = """<fragilityModel format="continuous">
<description>old</description>
<limitStates>LS1 LS2</limitStates>
<ffs type="lognormal">
<taxonomy>RM</taxonomy>
<IML IMT="SA(1.0)" minIML="0.05" maxIML="2.0" imlUnit="g"/>
<ffc ls="LS1"><params mean="0.3" stddev="0.2"/></ffc>
<ffc ls="LS2"><params mean="0.9" stddev="0.5"/></ffc>
</ffs>
</fragilityModel>
"""


def test_nrml_04_fragility(tmp_path):
    fm = read_fragility_model(write(tmp_path, FRAGILITY_04_DISCRETE, "0.4"), "structural")
    rc = fm.functions["RC"]
    assert (rc.format, rc.imt, rc.no_damage_limit) == ("discrete", "PGA", 0.05)
    np.testing.assert_array_equal(rc.poes, [[0.1, 0.6, 0.9], [0.0, 0.1, 0.5]])
    fm = read_fragility_model(write(tmp_path, FRAGILITY_04_CONTINUOUS, "0.4"), "contents")
    rm = fm.functions["RM"]
    assert (rm.format, rm.imt, rm.min_iml, rm.max_iml) == ("continuous", "SA(1.0)", 0.05, 2.0)
    np.testing.assert_array_equal(rm.means, [0.3, 0.9])
    np.testing.assert_array_equal(rm.stddevs, [0.2, 0.5])
    assert rm.no_damage_limit is None and fm.loss_type == "contents"


FRAGILITY_ERRORS = [
    # (functions, line of the error, message fragments)
    (discrete(p1="0.1 0.5"), 8, ["function 'D'", "'slight' has 2 poes but there are 3"]),
    (discrete(p1="0.1 0.5 1.2"), 8, ["function 'D'", "poes must be in [0, 1], got 1.2"]),
    (discrete(p1="0.1 0.5 -0.1"), 8, ["poes must be in [0, 1], got -0.1"]),
    (discrete(p1="0.1 0.6 0.5"), 8, ["function 'D'", "must not decrease", "0.6 at 0.2",
                                     "0.5 at 0.4"]),
    (discrete(p2="0 0.7 0.8"), 9, ["function 'D'", "'moderate'", "poe 0.7 at level 0.2",
                                   "exceeds the poe 0.5", "previous limit state 'slight'"]),
    (discrete(imls="0.1 0.4 0.2"), 7, ["function 'D'", "strictly increasing", "0.4 then 0.2"]),
    (discrete(imls="0.1 0.1 0.2"), 7, ["strictly increasing"]),
    (discrete(imls="-0.1 0.1 0.2"), 7, ["intensity levels must be >= 0"]),
    (discrete(imls="0.1 x 0.2"), 7, ["function 'D'", "finite numbers, got 'x'"]),
    (discrete(imls=""), 7, ["function 'D'", "<imls> is empty"]),
    (discrete(imt="SA(-1)"), 7, ["function 'D'", "unknown intensity measure type 'SA(-1)'"]),
    (discrete(imt="SA(0)"), 7, ["function 'D'", "spectral period must be positive"]),
    (discrete(imt="SA"), 7, ["function 'D'", "unknown intensity measure type 'SA'"]),
    (discrete().replace(' imt="PGA"', ""), 7, ["lacks the attribute 'imt'"]),
    (discrete().replace('<poes ls="moderate">0 0.2 0.6</poes>', ""), 6,
     ["function 'D'", "missing limit state(s) moderate"]),
    (discrete().replace('ls="moderate"', 'ls="extensive"'), 9,
     ["function 'D'", "unknown limit state 'extensive'", "slight moderate"]),
    (discrete().replace('ls="moderate"', 'ls="slight"'), 9, ["'slight' is given twice"]),
    (discrete().replace('noDamageLimit="0.05"', 'noDamageLimit="-1"'), 7,
     ["noDamageLimit must be >= 0"]),
    (discrete().replace('noDamageLimit="0.05"', 'noDamageLimit="low"'), 7,
     ["noDamageLimit must be a finite number, got 'low'"]),
    (discrete().replace('format="discrete"', 'format="tabular"'), 6,
     ["format must be 'discrete' or 'continuous', got 'tabular'"]),
    (discrete().replace('<imls imt="PGA" noDamageLimit="0.05">0.1 0.2 0.4</imls>', ""), 6,
     ["function 'D'", "has no <imls> element"]),
    (discrete() + discrete(), 10, ["function id 'D' appears twice"]),
    (continuous(lo="2", hi="1"), 7, ["function 'C'", "minIML (2) must be below maxIML (1)"]),
    (continuous().replace(' minIML="0.01"', ""), 7, ["function 'C'", "lacks the attribute "
                                                     "'minIML'"]),
    (continuous(m1="0"), 8, ["function 'C'", "mean must be > 0"]),
    (continuous(s2="-0.3"), 9, ["function 'C'", "stddev must be > 0"]),
    (continuous().replace('shape="logncdf"', 'shape="normcdf"'), 6,
     ["shape 'normcdf' is not supported"]),
    ("", 3, ["has no fragility functions"]),
]


@pytest.mark.parametrize(("functions", "line", "parts"), FRAGILITY_ERRORS)
def test_fragility_errors(tmp_path, functions, line, parts):
    path = fragility(tmp_path, functions)
    raises(read_fragility_model, path, f"{path} line {line}", *parts, loss_type="structural")


@pytest.mark.parametrize(("body", "version", "parts"), [
    (FRAGILITY_05.format(loss="contents", functions=discrete()), "0.5",
     ["lossCategory='contents'", "it is read as the 'structural' model"]),
    ('<fragilityModel id="f"><limitStates>  </limitStates></fragilityModel>', "0.5",
     ["<limitStates> is empty"]),
    ('<fragilityModel id="f"><limitStates>a b a</limitStates></fragilityModel>', "0.5",
     ["repeated limit states"]),
    ('<fragilityModel id="f"><description/></fragilityModel>', "0.5",
     ["has no <limitStates> element"]),
    ('<vulnerabilityModel id="v"/>', "0.5", ["expected a <fragilityModel>"]),
    (FRAGILITY_04_DISCRETE.replace('format="discrete"', ""), "0.4",
     ["NRML 0.4 <fragilityModel> format must be 'discrete' or 'continuous', got ''"]),
    (FRAGILITY_04_DISCRETE.replace("<taxonomy>RC</taxonomy>", "<taxonomy> </taxonomy>"), "0.4",
     ["empty <taxonomy>"]),
    (FRAGILITY_04_DISCRETE.replace("<poEs>0.0 0.1 0.5</poEs>", ""), "0.4",
     ["function 'RC'", "has no <poEs> element"]),
    (FRAGILITY_04_CONTINUOUS.replace('<params mean="0.9" stddev="0.5"/>', ""), "0.4",
     ["function 'RM'", "has no <params> element"]),
])
def test_fragility_model_errors(tmp_path, body, version, parts):
    path = write(tmp_path, body, version)
    raises(read_fragility_model, path, f"{path} line", *parts, loss_type="structural")


def test_fragility_loss_category_not_a_loss_type_is_accepted(tmp_path):
    path = fragility(tmp_path, discrete(), loss="economic")
    assert list(read_fragility_model(path, "structural").functions) == ["D"]


# --------------------------------------------------------------------------- vulnerability
VULNERABILITY_05 = """<vulnerabilityModel id="vm" assetCategory="buildings" lossCategory="{loss}">
<description>test</description>
{functions}
</vulnerabilityModel>
"""
MOMENTS = """<vulnerabilityFunction id="{id}" dist="{dist}">
<imls imt="PGA">{imls}</imls>
<meanLRs>{means}</meanLRs>
<covLRs>{covs}</covLRs>
</vulnerabilityFunction>"""
PM = """<vulnerabilityFunction id="{id}" dist="PM">
<imls imt="SA(0.2)">0.1 0.3 0.5</imls>
<probabilities lr="0.5">{p05}</probabilities>
<probabilities lr="0">{p0}</probabilities>
<probabilities lr="1.0">0 0.1 0.4</probabilities>
</vulnerabilityFunction>"""


def moments(id="L", dist="LN", imls="0.1 0.3 0.5", means="0 0.2 0.5", covs="0 0.5 0.3"):
    return MOMENTS.format(id=id, dist=dist, imls=imls, means=means, covs=covs)


def pm(id="P", p05="0.2 0.4 0.5", p0="0.8 0.5 0.1"):
    return PM.format(id=id, p05=p05, p0=p0)


def vulnerability(tmp_path, functions, loss="structural"):
    return write(tmp_path, VULNERABILITY_05.format(loss=loss, functions=functions))


def test_ln_bt_and_pm_vulnerability(tmp_path):
    path = vulnerability(tmp_path, moments() + moments("B", "BT") + pm())
    vm = read_vulnerability_model(path, "structural")
    assert list(vm.functions) == ["L", "B", "P"] and vm.loss_type == "structural"
    ln, bt, p = (vm.functions[k] for k in "LBP")
    assert (ln.dist, bt.dist, p.dist) == ("LN", "BT", "PM")
    np.testing.assert_array_equal(bt.mean_lrs, [0, 0.2, 0.5])
    np.testing.assert_array_equal(bt.covs, [0, 0.5, 0.3])
    assert p.imt == "SA(0.2)" and p.mean_lrs is None
    np.testing.assert_array_equal(p.loss_ratios, [0, 0.5, 1])  # sorted by loss ratio
    np.testing.assert_array_equal(p.probs, [[0.8, 0.5, 0.1], [0.2, 0.4, 0.5], [0, 0.1, 0.4]])


def test_bt_feasibility_boundary(tmp_path):
    # mean 0.5: the largest feasible cov is sqrt((1 - 0.5) / 0.5) = 1
    ok = moments(dist="BT", imls="0.1", means="0.5", covs="0.999")
    assert read_vulnerability_model(vulnerability(tmp_path, ok), "structural")
    bad = moments(dist="BT", imls="0.1", means="0.5", covs="1.0")
    path = vulnerability(tmp_path, bad)
    raises(read_vulnerability_model, path, f"{path} line 8", "function 'L'",
           "no beta distribution has mean 0.5 and coefficient of variation 1 (level 0.1)",
           "cov < 1", loss_type="structural")
    # a mean of one only allows a zero cov (and the same cov is fine for LN)
    path = vulnerability(tmp_path, moments(dist="BT", imls="0.1 0.2", means="0.9 1",
                                           covs="0 0.1"))
    raises(read_vulnerability_model, path, "level 0.2", "cov < 0", loss_type="structural")
    path = vulnerability(tmp_path, moments(imls="0.1 0.2", means="0.9 1", covs="0 0.1"))
    assert read_vulnerability_model(path, "structural").functions["L"].covs[1] == 0.1


VULNERABILITY_04 = """<vulnerabilityModel>
<discreteVulnerabilitySet vulnerabilitySetID="PAGER" assetCategory="buildings"
    lossCategory="structural">
<IML IMT="PGA">0.1 0.2 0.4</IML>
<discreteVulnerability vulnerabilityFunctionID="RC" probabilisticDistribution="LN">
<lossRatio>0.05 0.1 0.3</lossRatio>
<coefficientsVariation>0.3 0.2 0.1</coefficientsVariation>
</discreteVulnerability>
<discreteVulnerability vulnerabilityFunctionID="RM" probabilisticDistribution="BT">
<lossRatio>0.1 0.2 0.4</lossRatio>
<coefficientsVariation>0.2 0.2 0.2</coefficientsVariation>
</discreteVulnerability>
</discreteVulnerabilitySet>
</vulnerabilityModel>
"""


def test_nrml_04_vulnerability(tmp_path):
    vm = read_vulnerability_model(write(tmp_path, VULNERABILITY_04, "0.4"), "structural")
    assert list(vm.functions) == ["RC", "RM"]
    rc, rm = vm.functions["RC"], vm.functions["RM"]
    assert (rc.imt, rc.dist, rm.dist) == ("PGA", "LN", "BT")
    np.testing.assert_array_equal(rc.imls, [0.1, 0.2, 0.4])
    np.testing.assert_array_equal(rc.mean_lrs, [0.05, 0.1, 0.3])
    np.testing.assert_array_equal(rm.covs, [0.2, 0.2, 0.2])


VULNERABILITY_ERRORS = [
    (moments(means="0 0.2"), 7, ["function 'L'", "2 mean loss ratios but 3 intensity levels"]),
    (moments(covs="0 0.5"), 8, ["function 'L'", "2 coefficients of variation but 3"]),
    (moments(means="0 0.2 1.5"), 7, ["function 'L'", "mean loss ratio 1.5 at level 0.5",
                                     "outside [0, 1]"]),
    (moments(covs="0 -0.5 0.3"), 8, ["function 'L'", "coefficient of variation -0.5 at level "
                                     "0.3 must be >= 0"]),
    (moments(covs="0.1 0.5 0.3"), 8, ["function 'L'", "at level 0.1 the mean loss ratio is 0 "
                                      "but the coefficient of variation is 0.1"]),
    (moments(imls="0.5 0.3 0.1"), 6, ["function 'L'", "strictly increasing"]),
    (moments(means="0 abc 0.5"), 7, ["function 'L'", "got 'abc'"]),
    (moments(dist="XX"), 5, ["function 'L'", "dist must be LN, BT or PM, got 'XX'"]),
    (moments().replace(' dist="LN"', ""), 5, ["lacks the attribute 'dist'"]),
    (moments().replace("<covLRs>0 0.5 0.3</covLRs>", ""), 5,
     ["function 'L'", "has no <covLRs> element"]),
    (moments().replace('imt="PGA"', 'imt="SA(x)"'), 6, ["unknown intensity measure type"]),
    (pm(p05="0.2 0.4 0.55"), 5, ["function 'P'", "probabilities at level 0.5 sum to 1.05, "
                                 "not 1"]),
    (pm(p05="0.2 0.4"), 7, ["function 'P'", "2 probabilities for lr=0.5 but 3"]),
    (pm(p05="0.2 1.4 0.5"), 7, ["function 'P'", "probability 1.4 at level 0.3"]),
    (pm().replace('lr="0.5"', 'lr="1.5"'), 7, ["function 'P'", "lr must be a number in [0, 1], "
                                             "got '1.5'"]),
    (pm().replace('lr="0.5"', 'lr="half"'), 7, ["got 'half'"]),
    (pm().replace('lr="0"', 'lr="0.5"'), 8, ["loss ratio 0.5 is given twice"]),
    ('<vulnerabilityFunction id="P" dist="PM"><imls imt="PGA">0.1</imls>'
     "</vulnerabilityFunction>", 5, ["function 'P'", "needs <probabilities lr=...> rows"]),
    (moments() + moments(), 9, ["function id 'L' appears twice"]),
    ("", 3, ["has no vulnerability functions"]),
]


@pytest.mark.parametrize(("functions", "line", "parts"), VULNERABILITY_ERRORS)
def test_vulnerability_errors(tmp_path, functions, line, parts):
    path = vulnerability(tmp_path, functions)
    raises(read_vulnerability_model, path, f"{path} line {line}", *parts,
           loss_type="structural")


@pytest.mark.parametrize(("body", "version", "parts"), [
    (VULNERABILITY_05.format(loss="occupants", functions=moments()), "0.5",
     ["lossCategory='occupants'", "it is read as the 'structural' model"]),
    (VULNERABILITY_04.replace('lossCategory="structural"', 'lossCategory="contents"'), "0.4",
     ["lossCategory='contents'"]),
    (VULNERABILITY_04.replace('probabilisticDistribution="BT"', 'probabilisticDistribution="PM"'),
     "0.4", ["function 'RM'", "probabilisticDistribution must be LN or BT, got 'PM'"]),
    (VULNERABILITY_04.replace("<coefficientsVariation>0.3 0.2 0.1</coefficientsVariation>", ""),
     "0.4", ["function 'RC'", "has no <coefficientsVariation> element"]),
    (VULNERABILITY_04.replace('<IML IMT="PGA">0.1 0.2 0.4</IML>', ""), "0.4",
     ["has no <IML> element"]),
    (VULNERABILITY_04.replace("0.1 0.2 0.4</IML>", "0.1 0.4 0.2</IML>"), "0.4",
     ["function 'RC'", "strictly increasing"]),
    (FRAGILITY_05.format(loss="structural", functions=""), "0.5",
     ["expected a <vulnerabilityModel>, found <fragilityModel>"]),
])
def test_vulnerability_model_errors(tmp_path, body, version, parts):
    path = write(tmp_path, body, version)
    raises(read_vulnerability_model, path, f"{path} line", *parts, loss_type="structural")


def test_missing_model_file(tmp_path):
    raises(read_vulnerability_model, tmp_path / "nope.xml", "nope.xml: file not found",
           loss_type="structural")


# --------------------------------------------------------------------------- IMT names
@pytest.mark.parametrize(("text", "expected"), [
    ("PGA", "PGA"), (" SA(0.30) ", "SA(0.3)"), ("SA(1)", "SA(1.0)"), ("MMI", "MMI"),
    ("PGD", "PGD"),
])
def test_canonical_imt(text, expected):
    assert canonical_imt(text, "here") == expected


@pytest.mark.parametrize("text", ["SA(0)", "SA()", "", "SA", "1PGA", "PGA g"])
def test_canonical_imt_errors(text):
    with pytest.raises(InputError, match="^here: "):
        canonical_imt(text, "here")


# --------------------------------------------------------------------------- taxonomy mapping
def mapping(tmp_path, text: str) -> Path:
    path = tmp_path / "taxonomy_mapping.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_taxonomy_mapping_with_weights(tmp_path):
    path = mapping(tmp_path, "taxonomy,conversion,weight\nRC_low,RC,0.6\nRC_low,RM,0.4\n"
                             "MUR,MUR_1,1\n")
    assert read_taxonomy_mapping(path) == {"RC_low": [("RC", 0.6), ("RM", 0.4)],
                                           "MUR": [("MUR_1", 1.0)]}


def test_taxonomy_mapping_without_weights_and_risk_id_column(tmp_path):
    path = mapping(tmp_path, "taxonomy,risk_id\nA,X\nB,X\n")
    assert read_taxonomy_mapping(path) == {"A": [("X", 1.0)], "B": [("X", 1.0)]}


def test_taxonomy_mapping_by_loss_type(tmp_path):
    path = mapping(tmp_path, "taxonomy,conversion,loss_type,weight\n"
                             "A,X,structural,0.5\nA,Y,structural,0.5\n"
                             "A,Z,contents,1\nB,W,*,1\n")
    assert read_taxonomy_mapping(path, "structural") == {"A": [("X", 0.5), ("Y", 0.5)],
                                                         "B": [("W", 1.0)]}
    assert read_taxonomy_mapping(path, "contents") == {"A": [("Z", 1.0)], "B": [("W", 1.0)]}
    raises(read_taxonomy_mapping, path, f"{path} line 1", "has a loss_type column",
           "contents, structural", "read it for one loss type")
    raises(read_taxonomy_mapping, mapping(tmp_path, "taxonomy,conversion,loss_type\nA,X,c\n"),
           "no rows for loss type 'structural'", loss_type="structural")


@pytest.mark.parametrize(("text", "line", "parts"), [
    ("taxonomy,conversion,weight\nA,X,0.6\nA,Y,0.3\n", 2,
     ["weights of taxonomy 'A' sum to 0.9, not 1"]),
    ("taxonomy,conversion,weight\nA,X,0.5\nA,X,0.5\n", 3, ["taxonomy 'A' maps to 'X' twice"]),
    ("taxonomy,conversion,weight\nA,X,1.5\n", 2, ["taxonomy 'A': weight must be in (0, 1]"]),
    ("taxonomy,conversion,weight\nA,X,0\n", 2, ["weight must be in (0, 1], got 0"]),
    ("taxonomy,conversion,weight\nA,X,half\n", 2, ["weight must be a finite number"]),
    ("taxonomy,conversion\n,X\n", 2, ["empty taxonomy"]),
    ("taxonomy,conversion\nA,\n", 2, ["empty conversion"]),
    ("taxonomy,weight\nA,1\n", 1, ["needs the columns 'taxonomy' and 'conversion'"]),
    ("taxonomy,conversion,comment\nA,X,ok\n", 1, ["unknown column(s) ['comment']"]),
    ("taxonomy,conversion\nA,X,Y\n", 2, ["expected 2 fields"]),
])
def test_taxonomy_mapping_errors(tmp_path, text, line, parts):
    path = mapping(tmp_path, text)
    raises(read_taxonomy_mapping, path, f"{path} line {line}", *parts)


def test_taxonomy_mapping_empty_and_missing(tmp_path):
    raises(read_taxonomy_mapping, mapping(tmp_path, "taxonomy,conversion\n"),
           "the taxonomy mapping has no rows")
    raises(read_taxonomy_mapping, tmp_path / "none.csv", "none.csv: taxonomy mapping file not "
           "found")
