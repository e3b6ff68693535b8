"""Fragility and vulnerability models (NRML 0.4 and 0.5) and taxonomy mappings (CSV).

The readers build the plain dataclasses of :mod:`toolkit.engine.risk.models` and validate
them at the edge: every :class:`~toolkit.errors.InputError` names the file, the line, the
function id and the field.

Fragility models
----------------
NRML 0.5 ``<fragilityModel>`` with ``<limitStates>`` and ``<fragilityFunction>`` elements,
either ``format="discrete"``::

    <fragilityFunction id="RC" format="discrete">
      <imls imt="PGA" noDamageLimit="0.05">0.1 0.2 0.3</imls>
      <poes ls="slight">0.1 0.5 0.9</poes> ...

or ``format="continuous"`` (lognormal CDFs, mean and standard deviation in intensity
units)::

    <fragilityFunction id="RM" format="continuous" shape="logncdf">
      <imls imt="PGA" noDamageLimit="0.05" minIML="0.01" maxIML="3.0"/>
      <params ls="slight" mean="0.2" stddev="0.1"/> ...

and the NRML 0.4 layout (``<fragilityModel format="discrete|continuous">`` with ``<ffs>``
sets holding ``<taxonomy>``, ``<IML IMT=...>`` and ``<ffd ls=..><poEs>`` or
``<ffc ls=..><params mean= stddev=/>``).

Checks: every limit state of the model appears once per function, in the model's order;
levels are >= 0 and strictly increasing; poes lie in [0, 1], do not decrease with the level
and do not increase from one limit state to the next; continuous means and standard
deviations are positive and ``minIML < maxIML``.

Vulnerability models
--------------------
NRML 0.5 ``<vulnerabilityModel>`` with ``<vulnerabilityFunction id= dist="LN|BT|PM">``:
``<imls imt=>``, ``<meanLRs>`` and ``<covLRs>`` for LN (lognormal) and BT (beta), or one
``<probabilities lr="0.1">`` row per loss ratio for PM (probability mass); and the NRML 0.4
``<discreteVulnerabilitySet>`` layout (``<IML IMT=>``, ``<discreteVulnerability
vulnerabilityFunctionID= probabilisticDistribution=>`` with ``<lossRatio>`` and
``<coefficientsVariation>``).

Checks: lengths agree with the levels; levels >= 0 and strictly increasing; mean loss ratios
and PM loss ratios in [0, 1]; coefficients of variation >= 0 and zero where the mean is
zero; PM columns sum to one (within :data:`PROBABILITY_TOLERANCE`); for BT, a beta
distribution must exist at each level, i.e. the variance :math:`(\\mathrm{cov}\\,\\mu)^2` is
below :math:`\\mu(1-\\mu)` (Johnson, Kotz and Balakrishnan, 1995, ch. 25), unless the
coefficient of variation is zero.

Taxonomy mapping
----------------
OpenQuake's ``taxonomy_mapping_csv``: columns ``taxonomy``, ``conversion`` (or ``risk_id``),
optionally ``weight`` (default 1) and ``loss_type``; the weights of each taxonomy (and loss
type) sum to one.

References
----------
GEM (2024). The OpenQuake Engine User Manual, sections "Fragility Models" and "Vulnerability
Models". Global Earthquake Model Foundation, Pavia.

Johnson, N. L., Kotz, S., Balakrishnan, N. (1995). Continuous Univariate Distributions,
Vol. 2, 2nd ed. Wiley.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from toolkit.engine.hazard.imt import from_string
from toolkit.engine.risk.models import (
    FragilityFunction,
    FragilityModel,
    VulnerabilityFunction,
    VulnerabilityModel,
)
from toolkit.errors import InputError
from toolkit.io.exposure import read_csv_table
from toolkit.io.nrml import Node, read_nrml

__all__ = [
    "read_fragility_model",
    "read_vulnerability_model",
    "read_taxonomy_mapping",
    "canonical_imt",
    "LOSS_TYPES",
    "PROBABILITY_TOLERANCE",
]

#: the loss types a ``lossCategory`` is checked against (other categories are not checked)
LOSS_TYPES = ("structural", "nonstructural", "contents", "business_interruption", "occupants")

#: tolerance on probabilities (PM columns, taxonomy-mapping weights) summing to one
PROBABILITY_TOLERANCE = 1e-6

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------- helpers
def canonical_imt(text: str, where: str) -> str:
    """Canonical IMT string: ``"SA(0.30)"`` -> ``"SA(0.3)"``; other plain names kept.

    ``PGA``, ``PGV`` and ``SA(T)`` are parsed by :func:`toolkit.engine.hazard.imt.from_string`;
    other identifiers (``MMI``, ``PGD``, ...) are returned unchanged.

    Raises
    ------
    InputError
        Malformed IMT (``"SA(-1)"``, ``"SA()"``, empty), naming ``where``.
    """
    text = text.strip()
    try:
        return str(from_string(text))
    except InputError as exc:
        if _IDENT.match(text) and text != "SA":
            return text
        raise InputError(f"{where}: {exc}") from None


def _numbers(node: Node, what: str, fid: str) -> np.ndarray:
    out = []
    for item in node.value.split():
        try:
            value = float(item)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InputError(f"{node.where}, function {fid!r}: {what} must be finite numbers, "
                             f"got {item!r}")
        out.append(value)
    if not out:
        raise InputError(f"{node.where}, function {fid!r}: <{node.tag}> is empty: {what} "
                         "expected")
    return np.array(out)


def _attr_number(node: Node, name: str, fid: str, required: bool = True,
                 positive: bool = False) -> float | None:
    text = node.attrib.get(name, "").strip()
    if not text:
        if required:
            raise InputError(f"{node.where}, function {fid!r}: <{node.tag}> lacks the "
                             f"attribute {name!r}")
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"{node.where}, function {fid!r}: {name} must be a finite number, "
                         f"got {text!r}")
    if positive and value <= 0:
        raise InputError(f"{node.where}, function {fid!r}: {name} must be > 0, got {text}")
    if value < 0:
        raise InputError(f"{node.where}, function {fid!r}: {name} must be >= 0, got {text}")
    return value


def _check_levels(imls: np.ndarray, node: Node, fid: str) -> None:
    if np.any(imls < 0):
        raise InputError(f"{node.where}, function {fid!r}: intensity levels must be >= 0, "
                         f"got {imls.min():g}")
    steps = np.diff(imls)
    if np.any(steps <= 0):
        k = int(np.argmax(steps <= 0))
        raise InputError(f"{node.where}, function {fid!r}: intensity levels must be strictly "
                         f"increasing, got {imls[k]:g} then {imls[k + 1]:g}")


def _check_loss_category(model: Node, attr: str, loss_type: str) -> None:
    category = model.attrib.get(attr, "").strip()
    if category in LOSS_TYPES and category != loss_type:
        raise InputError(f"{model.where}: the model is for {attr}={category!r} but it is read "
                         f"as the {loss_type!r} model")


def _add(functions: dict, fid: str, func: object, node: Node) -> None:
    if fid in functions:
        raise InputError(f"{node.where}: function id {fid!r} appears twice in the model")
    functions[fid] = func


# --------------------------------------------------------------------------- fragility
def read_fragility_model(path: str | Path, loss_type: str) -> FragilityModel:
    """Read a fragility model (NRML 0.5, or NRML 0.4 ``ffs`` sets).

    Parameters
    ----------
    path : str or Path
    loss_type : str
        The loss type the job reads the model for (``structural_fragility_file`` ->
        ``"structural"``); a different standard ``lossCategory`` in the file is an error.

    Returns
    -------
    FragilityModel
        Functions by id (taxonomy or risk id).

    Raises
    ------
    InputError
        Naming file, line, function id and field (see the module docstring for the checks).
    """
    path = Path(path)
    model, version = read_nrml(path)
    if model.tag != "fragilityModel":
        raise InputError(f"{model.where}: expected a <fragilityModel>, found <{model.tag}>")
    _check_loss_category(model, "lossCategory", loss_type)
    ls_node = model.child("limitStates")
    limit_states = ls_node.value.split()
    if not limit_states:
        raise InputError(f"{ls_node.where}: <limitStates> is empty")
    if len(set(limit_states)) != len(limit_states):
        raise InputError(f"{ls_node.where}: repeated limit states in {limit_states}")
    functions: dict[str, FragilityFunction] = {}
    if model.findall("ffs"):
        fmt = model.attrib.get("format", "").strip()
        if fmt not in ("discrete", "continuous"):
            raise InputError(f"{model.where}: the NRML 0.4 <fragilityModel> format must be "
                             f"'discrete' or 'continuous', got {fmt!r}")
        for node in model.findall("ffs"):
            ff = _ffs_04(node, fmt, limit_states)
            _add(functions, ff.id, ff, node)
    else:
        for node in model.findall("fragilityFunction"):
            ff = _fragility_05(node, limit_states)
            _add(functions, ff.id, ff, node)
    if not functions:
        raise InputError(f"{model.where}: the fragility model has no fragility functions "
                         f"(NRML {version})")
    return FragilityModel(path=path, loss_type=loss_type, limit_states=limit_states,
                          functions=functions)


def _by_limit_state(nodes: list[Node], limit_states: list[str], fid: str,
                    parent: Node) -> list[Node]:
    """The nodes in the order of the limit states; every limit state exactly once."""
    found: dict[str, Node] = {}
    for node in nodes:
        ls = node.attrib.get("ls", "").strip()
        if ls not in limit_states:
            raise InputError(f"{node.where}, function {fid!r}: unknown limit state {ls!r}; "
                             f"the model's limit states are {' '.join(limit_states)}")
        if ls in found:
            raise InputError(f"{node.where}, function {fid!r}: limit state {ls!r} is given "
                             "twice")
        found[ls] = node
    missing = [ls for ls in limit_states if ls not in found]
    if missing:
        raise InputError(f"{parent.where}, function {fid!r}: missing limit state(s) "
                         f"{' '.join(missing)}")
    return [found[ls] for ls in limit_states]


def _discrete(fid: str, imt: str, imls: np.ndarray, iml_node: Node, poe_nodes: list[Node],
              limit_states: list[str], no_damage_limit: float | None) -> FragilityFunction:
    _check_levels(imls, iml_node, fid)
    rows = []
    for node, ls in zip(poe_nodes, limit_states, strict=True):
        poes = _numbers(node, "poes", fid)
        if len(poes) != len(imls):
            raise InputError(f"{node.where}, function {fid!r}: limit state {ls!r} has "
                             f"{len(poes)} poes but there are {len(imls)} intensity levels")
        bad = (poes < 0) | (poes > 1)
        if np.any(bad):
            raise InputError(f"{node.where}, function {fid!r}: limit state {ls!r}: poes must "
                             f"be in [0, 1], got {poes[np.argmax(bad)]:g}")
        drop = np.diff(poes) < 0
        if np.any(drop):
            k = int(np.argmax(drop))
            raise InputError(f"{node.where}, function {fid!r}: limit state {ls!r}: poes must "
                             f"not decrease with the intensity level, got {poes[k]:g} at "
                             f"{imls[k]:g} then {poes[k + 1]:g} at {imls[k + 1]:g}")
        if rows:
            up = poes > rows[-1]
            if np.any(up):
                k = int(np.argmax(up))
                raise InputError(
                    f"{node.where}, function {fid!r}: limit state {ls!r}: the poe "
                    f"{poes[k]:g} at level {imls[k]:g} exceeds the poe {rows[-1][k]:g} of the "
                    f"previous limit state {limit_states[len(rows) - 1]!r}; poes must not "
                    "increase from one limit state to the next")
        rows.append(poes)
    return FragilityFunction(id=fid, imt=imt, limit_states=list(limit_states),
                             format="discrete", imls=imls, poes=np.array(rows),
                             no_damage_limit=no_damage_limit)


def _continuous(fid: str, imt: str, iml_node: Node, param_nodes: list[Node],
                limit_states: list[str], no_damage_limit: float | None) -> FragilityFunction:
    min_iml = _attr_number(iml_node, "minIML", fid)
    max_iml = _attr_number(iml_node, "maxIML", fid)
    assert min_iml is not None and max_iml is not None
    if not min_iml < max_iml:
        raise InputError(f"{iml_node.where}, function {fid!r}: minIML ({min_iml:g}) must be "
                         f"below maxIML ({max_iml:g})")
    means, stddevs = [], []
    for node in param_nodes:
        params = node if node.tag == "params" else node.child("params", f"function {fid!r}")
        means.append(_attr_number(params, "mean", fid, positive=True))
        stddevs.append(_attr_number(params, "stddev", fid, positive=True))
    return FragilityFunction(id=fid, imt=imt, limit_states=list(limit_states),
                             format="continuous", means=np.array(means),
                             stddevs=np.array(stddevs), no_damage_limit=no_damage_limit,
                             min_iml=min_iml, max_iml=max_iml)


def _fragility_05(node: Node, limit_states: list[str]) -> FragilityFunction:
    fid = node.get("id")
    fmt = node.attrib.get("format", "").strip()
    imls_node = node.child("imls", f"function {fid!r}")
    imt = canonical_imt(imls_node.get("imt", f"function {fid!r}"),
                        f"{imls_node.where}, function {fid!r}")
    ndl = _attr_number(imls_node, "noDamageLimit", fid, required=False)
    if fmt == "discrete":
        poes = _by_limit_state(node.findall("poes"), limit_states, fid, node)
        return _discrete(fid, imt, _numbers(imls_node, "intensity levels", fid), imls_node,
                         poes, limit_states, ndl)
    if fmt == "continuous":
        shape = node.attrib.get("shape", "logncdf").strip()
        if shape != "logncdf":
            raise InputError(f"{node.where}, function {fid!r}: shape {shape!r} is not "
                             "supported; only 'logncdf'")
        params = _by_limit_state(node.findall("params"), limit_states, fid, node)
        return _continuous(fid, imt, imls_node, params, limit_states, ndl)
    raise InputError(f"{node.where}, function {fid!r}: format must be 'discrete' or "
                     f"'continuous', got {fmt!r}")


def _ffs_04(node: Node, fmt: str, limit_states: list[str]) -> FragilityFunction:
    tax = node.child("taxonomy")
    fid = tax.value
    if not fid:
        raise InputError(f"{tax.where}: empty <taxonomy>")
    iml = node.child("IML", f"function {fid!r}")
    imt = canonical_imt(iml.get("IMT", f"function {fid!r}"), f"{iml.where}, function {fid!r}")
    ndl = _attr_number(node, "noDamageLimit", fid, required=False)
    if fmt == "discrete":
        ffd = _by_limit_state(node.findall("ffd"), limit_states, fid, node)
        poes = [n.child("poEs", f"function {fid!r}") for n in ffd]
        return _discrete(fid, imt, _numbers(iml, "intensity levels", fid), iml, poes,
                         limit_states, ndl)
    ffc = _by_limit_state(node.findall("ffc"), limit_states, fid, node)
    return _continuous(fid, imt, iml, ffc, limit_states, ndl)


# --------------------------------------------------------------------------- vulnerability
def read_vulnerability_model(path: str | Path, loss_type: str) -> VulnerabilityModel:
    """Read a vulnerability model (NRML 0.5, or NRML 0.4 ``discreteVulnerabilitySet``).

    Parameters
    ----------
    path : str or Path
    loss_type : str
        The loss type the job reads the model for; a different standard ``lossCategory`` in
        the file is an error.

    Raises
    ------
    InputError
        Naming file, line, function id and field (see the module docstring for the checks).
    """
    path = Path(path)
    model, version = read_nrml(path)
    if model.tag != "vulnerabilityModel":
        raise InputError(f"{model.where}: expected a <vulnerabilityModel>, found "
                         f"<{model.tag}>")
    functions: dict[str, VulnerabilityFunction] = {}
    sets = model.findall("discreteVulnerabilitySet")
    if sets:
        for vset in sets:
            _check_loss_category(vset, "lossCategory", loss_type)
            iml = vset.child("IML")
            for node in vset.findall("discreteVulnerability"):
                vf = _vulnerability_04(node, iml)
                _add(functions, vf.id, vf, node)
    else:
        _check_loss_category(model, "lossCategory", loss_type)
        for node in model.findall("vulnerabilityFunction"):
            vf = _vulnerability_05(node)
            _add(functions, vf.id, vf, node)
    if not functions:
        raise InputError(f"{model.where}: the vulnerability model has no vulnerability "
                         f"functions (NRML {version})")
    return VulnerabilityModel(path=path, loss_type=loss_type, functions=functions)


def _check_moments(fid: str, dist: str, imls: np.ndarray, means: np.ndarray, covs: np.ndarray,
                   mean_node: Node, cov_node: Node) -> None:
    for arr, node, what in ((means, mean_node, "mean loss ratios"),
                            (covs, cov_node, "coefficients of variation")):
        if len(arr) != len(imls):
            raise InputError(f"{node.where}, function {fid!r}: {len(arr)} {what} but "
                             f"{len(imls)} intensity levels")
    bad = (means < 0) | (means > 1)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise InputError(f"{mean_node.where}, function {fid!r}: mean loss ratio {means[k]:g} "
                         f"at level {imls[k]:g} is outside [0, 1]")
    if np.any(covs < 0):
        k = int(np.argmax(covs < 0))
        raise InputError(f"{cov_node.where}, function {fid!r}: coefficient of variation "
                         f"{covs[k]:g} at level {imls[k]:g} must be >= 0")
    zero = (means == 0) & (covs > 0)
    if np.any(zero):
        k = int(np.argmax(zero))
        raise InputError(f"{cov_node.where}, function {fid!r}: at level {imls[k]:g} the mean "
                         f"loss ratio is 0 but the coefficient of variation is {covs[k]:g}; "
                         "it must be 0 there")
    if dist == "BT":
        # a beta distribution with mean m needs a variance below m (1 - m)
        variance = (covs * means) ** 2
        bad = (covs > 0) & (variance >= means * (1 - means))
        if np.any(bad):
            k = int(np.argmax(bad))
            limit = math.sqrt((1 - means[k]) / means[k]) if means[k] < 1 else 0.0
            raise InputError(
                f"{cov_node.where}, function {fid!r}: no beta distribution has mean "
                f"{means[k]:g} and coefficient of variation {covs[k]:g} (level {imls[k]:g}): "
                f"the variance must be below mean*(1-mean), i.e. cov < {limit:.6g}")


def _vulnerability_05(node: Node) -> VulnerabilityFunction:
    fid = node.get("id")
    dist = node.get("dist", f"function {fid!r}")
    if dist not in ("LN", "BT", "PM"):
        raise InputError(f"{node.where}, function {fid!r}: dist must be LN, BT or PM, got "
                         f"{dist!r}")
    imls_node = node.child("imls", f"function {fid!r}")
    imt = canonical_imt(imls_node.get("imt", f"function {fid!r}"),
                        f"{imls_node.where}, function {fid!r}")
    imls = _numbers(imls_node, "intensity levels", fid)
    _check_levels(imls, imls_node, fid)
    if dist == "PM":
        return _probability_mass(node, fid, imt, imls)
    mean_node = node.child("meanLRs", f"function {fid!r}")
    cov_node = node.child("covLRs", f"function {fid!r}")
    means = _numbers(mean_node, "mean loss ratios", fid)
    covs = _numbers(cov_node, "coefficients of variation", fid)
    _check_moments(fid, dist, imls, means, covs, mean_node, cov_node)
    return VulnerabilityFunction(id=fid, imt=imt, dist=dist, imls=imls, mean_lrs=means,
                                 covs=covs)


def _probability_mass(node: Node, fid: str, imt: str, imls: np.ndarray
                      ) -> VulnerabilityFunction:
    rows = node.findall("probabilities")
    if not rows:
        raise InputError(f"{node.where}, function {fid!r}: a PM function needs "
                         "<probabilities lr=...> rows")
    ratios, probs = [], []
    for row in rows:
        lr = row.attrib.get("lr", "").strip()
        try:
            ratio = float(lr)
        except ValueError:
            ratio = math.nan
        if not 0 <= ratio <= 1:
            raise InputError(f"{row.where}, function {fid!r}: the loss ratio lr must be a "
                             f"number in [0, 1], got {lr!r}")
        if ratio in ratios:
            raise InputError(f"{row.where}, function {fid!r}: loss ratio {ratio:g} is given "
                             "twice")
        values = _numbers(row, "probabilities", fid)
        if len(values) != len(imls):
            raise InputError(f"{row.where}, function {fid!r}: {len(values)} probabilities for "
                             f"lr={lr} but {len(imls)} intensity levels")
        bad = (values < 0) | (values > 1)
        if np.any(bad):
            k = int(np.argmax(bad))
            raise InputError(f"{row.where}, function {fid!r}: probability {values[k]:g} at "
                             f"level {imls[k]:g} is outside [0, 1]")
        ratios.append(ratio)
        probs.append(values)
    order = np.argsort(ratios, kind="stable")
    loss_ratios = np.array(ratios)[order]
    matrix = np.array(probs)[order]
    sums = matrix.sum(axis=0)
    off = np.abs(sums - 1) > PROBABILITY_TOLERANCE
    if np.any(off):
        k = int(np.argmax(off))
        raise InputError(f"{node.where}, function {fid!r}: the probabilities at level "
                         f"{imls[k]:g} sum to {sums[k]:.10g}, not 1")
    return VulnerabilityFunction(id=fid, imt=imt, dist="PM", imls=imls,
                                 loss_ratios=loss_ratios, probs=matrix)


def _vulnerability_04(node: Node, iml: Node) -> VulnerabilityFunction:
    fid = node.get("vulnerabilityFunctionID")
    dist = node.get("probabilisticDistribution", f"function {fid!r}")
    if dist not in ("LN", "BT"):
        raise InputError(f"{node.where}, function {fid!r}: probabilisticDistribution must be "
                         f"LN or BT, got {dist!r}")
    imt = canonical_imt(iml.get("IMT", f"function {fid!r}"), f"{iml.where}, function {fid!r}")
    imls = _numbers(iml, "intensity levels", fid)
    _check_levels(imls, iml, fid)
    mean_node = node.child("lossRatio", f"function {fid!r}")
    cov_node = node.child("coefficientsVariation", f"function {fid!r}")
    means = _numbers(mean_node, "mean loss ratios", fid)
    covs = _numbers(cov_node, "coefficients of variation", fid)
    _check_moments(fid, dist, imls, means, covs, mean_node, cov_node)
    return VulnerabilityFunction(id=fid, imt=imt, dist=dist, imls=imls, mean_lrs=means,
                                 covs=covs)


# --------------------------------------------------------------------------- taxonomy mapping
def read_taxonomy_mapping(path: str | Path, loss_type: str | None = None
                          ) -> dict[str, list[tuple[str, float]]]:
    """Read a taxonomy mapping CSV: taxonomy -> [(risk id, weight), ...].

    Parameters
    ----------
    path : str or Path
        CSV with the columns ``taxonomy``, ``conversion`` (or ``risk_id``), optionally
        ``weight`` (default 1) and ``loss_type``.
    loss_type : str, optional
        With a ``loss_type`` column, only its rows (and rows whose loss type is empty or
        ``"*"``) are used; it is required then.

    Raises
    ------
    InputError
        Missing columns, empty cells, weights that are not numbers in (0, 1], a risk id
        repeated for one taxonomy, or weights of a taxonomy not summing to one; messages name
        the file and the line.
    """
    table = read_csv_table(path, "taxonomy mapping file")
    where0 = f"{table.path} line {table.header_line}"
    tax_col = table.index("taxonomy")
    conv_col = table.index("conversion")
    if conv_col is None:
        conv_col = table.index("risk_id")
    if tax_col is None or conv_col is None:
        raise InputError(f"{where0}: the taxonomy mapping needs the columns 'taxonomy' and "
                         f"'conversion' (or 'risk_id'); got {','.join(table.header)}")
    known = {"taxonomy", "conversion", "risk_id", "weight", "loss_type"}
    unknown = [c for c in table.header if c not in known]
    if unknown:
        raise InputError(f"{where0}: unknown column(s) {unknown}; expected taxonomy, "
                         "conversion (or risk_id), weight, loss_type")
    weight_col = table.index("weight")
    lt_col = table.index("loss_type")
    if lt_col is not None and loss_type is None:
        found = sorted({row[lt_col] for row in table.rows} - {"", "*"})
        raise InputError(f"{where0}: the taxonomy mapping has a loss_type column (loss types "
                         f"{', '.join(found)}): read it for one loss type")
    weights = (table.floats(weight_col, "weight") if weight_col is not None
               else np.ones(len(table.rows)))
    mapping: dict[str, list[tuple[str, float]]] = {}
    first_line: dict[str, int] = {}
    for i, row in enumerate(table.rows):
        if lt_col is not None and row[lt_col] not in ("", "*", loss_type):
            continue
        tax, risk_id = row[tax_col], row[conv_col]
        if not tax or not risk_id:
            what = "taxonomy" if not tax else table.header[conv_col]
            raise InputError(f"{table.where(i)}: empty {what}")
        weight = float(weights[i])
        if not 0 < weight <= 1:
            raise InputError(f"{table.where(i)}: taxonomy {tax!r}: weight must be in (0, 1], "
                             f"got {weight:g}")
        entries = mapping.setdefault(tax, [])
        first_line.setdefault(tax, i)
        if any(rid == risk_id for rid, _ in entries):
            raise InputError(f"{table.where(i)}: taxonomy {tax!r} maps to {risk_id!r} twice")
        entries.append((risk_id, weight))
    for tax, entries in mapping.items():
        total = math.fsum(w for _, w in entries)
        if abs(total - 1) > PROBABILITY_TOLERANCE:
            raise InputError(f"{table.where(first_line[tax])}: the weights of taxonomy {tax!r} "
                             f"sum to {total:.10g}, not 1")
    if not mapping:
        raise InputError(f"{table.path}: the taxonomy mapping has no rows"
                         + (f" for loss type {loss_type!r}" if lt_col is not None else ""))
    return mapping
