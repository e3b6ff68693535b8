"""Source-model and GSIM logic trees (NRML 0.4 and 0.5) and their realizations.

A logic tree is a sequence of branch sets; each branch carries a model and a weight, and the
weights of a branch set sum to one. NRML 0.4 wraps each branch set in a
``<logicTreeBranchingLevel>``; NRML 0.5 puts the branch sets directly under ``<logicTree>``.
Both are read.

* The **source-model logic tree** starts with one branch set of
  ``uncertaintyType="sourceModel"`` whose branches name one or more source-model files
  (whitespace separated). Further branch sets modify the MFDs of the sources
  (``abGRAbsolute``, ``maxMagGRAbsolute``, ``bGRRelative``, ``maxMagGRRelative``,
  ``incrementalMFDAbsolute``; see :mod:`toolkit.io.lt_uncertainties`). Each full path
  through these branch sets is a *source-model path* (:meth:`SourceModelLogicTree.paths`).
* The **GSIM logic tree** has one branch set of ``uncertaintyType="gmpeModel"`` per
  tectonic region type (``applyToTectonicRegionType``); each branch names a GSIM class, or
  gives it in OpenQuake's TOML form ``[GSIMName]\\nparam = value``.

Realizations (full enumeration)
-------------------------------
For each source-model branch, in file order, the realizations are the cartesian product of
the GSIM branch sets of the tectonic region types present in that source model, taken in the
order of the GSIM logic tree file (OpenQuake ignores the branch sets of regions without
sources). The weight of a realization is the product of its branch weights.

Source-model paths are enumerated as OpenQuake's full enumeration does: the product of
the branch sets in file order, the last one varying fastest; a branch set whose
``applyToBranches`` names none of the branches of the path so far is skipped on that path
(its character is ``.``). OpenQuake may then *reduce* the tree (merge paths that give the
same sources) and reorder realizations; the toolkit does not: it keeps every path in
product order (so a path may repeat another one's sources, e.g. a branch set whose
``applyToSources`` is not in that path's model), which changes the numbering of
realizations, not the mean or the quantiles.

Branch paths follow OpenQuake's export (``realizations_<calc>.csv``): one character per
branch set, the source-model part and the GSIM part joined by ``~`` (``A~A``, ``A~B``,
``A.B~A``). The character of a branch is its position in its branch set: ``A`` for the
first, ``B`` for the second... as in OpenQuake's logic-tree FAQ (``AAAAA~AA`` ...
``ACCCC~BB``) and the recorded export of classical QA case 5. See :data:`BRANCH_CODES`.

Monte Carlo sampling
--------------------
With ``number_of_logic_tree_samples = n`` (:func:`sample_realizations`), each of the n
realizations picks one branch in every branch set of the source-model path and one GSIM per
tectonic region type, each branch with the probability of its weight, and has weight
``1/n`` (OpenQuake's default ``sampling_method = early_weights``; ``early_latin``,
``late_weights`` and ``late_latin`` are also read, see :func:`sample_realizations`). A
classical calculation computes each distinct sampled source-model path once; an
event-based one gives every sample its own stochastic event sets. The draws come from
numpy's PCG64 generator seeded with ``random_seed``: reproducible, but not OpenQuake's own
random stream, so the sampled paths differ from OpenQuake's for the same seed (the
statistics agree only within the Monte Carlo error).
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, UnknownName
from toolkit.io.lt_uncertainties import (
    UncertaintyBranch,
    UncertaintyBranchSet,
    read_uncertainty_branch_set,
)
from toolkit.io.nrml import NRML_NAMESPACES, Node, parse_xml, read_nrml

__all__ = [
    "SourceModelBranch",
    "SourceModelLogicTree",
    "GsimBranch",
    "GsimBranchSet",
    "GsimLogicTree",
    "Realization",
    "read_source_model_logic_tree",
    "read_source_model_tree",
    "read_gsim_logic_tree",
    "enumerate_realizations",
    "sample_realizations",
    "branch_code",
    "BRANCH_CODES",
    "SAMPLING_METHODS",
    "WEIGHT_TOLERANCE",
]

#: characters of the 1st, 2nd, ... branch of a branch set in branch paths. OpenQuake uses
#: ``A``, ``B``, ``C``... (documented); the order after ``Z`` is the toolkit's choice.
BRANCH_CODES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

#: ``sampling_method`` values supported by :func:`sample_realizations`
SAMPLING_METHODS = ("early_weights", "early_latin", "late_weights", "late_latin")

#: tolerance on the weights of a branch set summing to one
WEIGHT_TOLERANCE = 1e-6

#: wildcard tectonic region type of ``GsimLogicTree.from_gsim`` (job.ini ``gsim = X``)
ANY_TRT = "*"


def branch_code(index: int) -> str:
    """The branch-path character of the ``index``-th (0-based) branch of a branch set.

    Beyond the 62 characters of :data:`BRANCH_CODES` the toolkit continues with the Unicode
    letters from U+00C0 (OpenQuake's choice there was not established).
    """
    if index < 0:
        raise ValueError("branch index must be >= 0")
    if index < len(BRANCH_CODES):
        return BRANCH_CODES[index]
    return chr(0xC0 + index - len(BRANCH_CODES))


# --------------------------------------------------------------------------- data
@dataclass
class SourceModelBranch:
    """A branch of the source-model logic tree.

    Attributes
    ----------
    branch_id : str
        For a path with uncertainties, the branch ids of the path joined by ``_``
        (``"b1_b22_b31"``, OpenQuake's ``smltp_`` naming).
    files : list of Path
        Source-model files of the branch (absolute or relative to the current directory).
    weight : float
        Product of the weights of the branches of the path.
    code : str
        Its branch-path characters (``"A"`` for the first branch, ``"AB."`` for a path).
    where : str
        ``"<file> line <n>"`` of the branch.
    uncertainties : tuple of (UncertaintyBranchSet, UncertaintyBranch)
        The source modifications of a path, in order (empty for a plain branch).
    base_id : str
        The ``sourceModel`` branch of the path (defaults to ``branch_id``).
    """

    branch_id: str
    files: list[Path]
    weight: float
    code: str = "A"
    where: str = ""
    uncertainties: tuple[tuple[UncertaintyBranchSet, UncertaintyBranch], ...] = ()
    base_id: str = ""

    def __post_init__(self) -> None:
        if not self.base_id:
            self.base_id = self.branch_id


@dataclass
class SourceModelLogicTree:
    """A source-model logic tree: its ``sourceModel`` branches and the branch sets after.

    Attributes
    ----------
    branches : list of SourceModelBranch
        The branches of the ``sourceModel`` branch set, in file order.
    branch_sets : list of UncertaintyBranchSet
        The uncertainty branch sets that follow, in file order.
    path : Path
    """

    branches: list[SourceModelBranch]
    branch_sets: list[UncertaintyBranchSet]
    path: Path | None = None

    def _path(self, sm: SourceModelBranch, chosen: list[UncertaintyBranch | None]
              ) -> SourceModelBranch:
        pairs = tuple((bs, b) for bs, b in zip(self.branch_sets, chosen, strict=True)
                      if b is not None)
        if not self.branch_sets:
            return sm
        return SourceModelBranch(
            branch_id="_".join([sm.branch_id, *(b.branch_id for _, b in pairs)]),
            files=sm.files,
            weight=sm.weight * math.prod(b.weight for _, b in pairs),
            code=sm.code + "".join("." if b is None else b.code for b in chosen),
            where=sm.where, uncertainties=pairs, base_id=sm.branch_id)

    def paths(self) -> list[SourceModelBranch]:
        """Every source-model path (full enumeration), in OpenQuake's product order."""
        out: list[SourceModelBranch] = []

        def walk(sm: SourceModelBranch, chosen: list[UncertaintyBranch | None]) -> None:
            k = len(chosen)
            if k == len(self.branch_sets):
                out.append(self._path(sm, chosen))
                return
            ids = [sm.branch_id, *(b.branch_id for b in chosen if b is not None)]
            bset = self.branch_sets[k]
            if not bset.applies_to_path(ids):
                walk(sm, [*chosen, None])
                return
            for branch in bset.branches:
                walk(sm, [*chosen, branch])

        for sm in self.branches:
            walk(sm, [])
        return out

    def sample_paths(self, u: np.ndarray, *, uniform: bool = False) -> list[SourceModelBranch]:
        """The source-model paths picked by uniform numbers ``u`` in [0, 1).

        Parameters
        ----------
        u : ndarray, shape (n, 1 + len(branch_sets))
            One row per sample: column 0 picks the ``sourceModel`` branch, column k the
            branch of the k-th uncertainty branch set (ignored where the set does not apply
            to the path). Branch i is picked when ``u`` falls in the i-th interval of the
            cumulative weights (of equal weights if ``uniform``).

        Returns
        -------
        list of SourceModelBranch
            One per row; equal paths are the same object.
        """
        sets = [self.branches, *(bs.branches for bs in self.branch_sets)]
        picks = np.column_stack([_pick([1.0 if uniform else b.weight for b in branches],
                                       u[:, k]) for k, branches in enumerate(sets)])
        cache: dict[str, SourceModelBranch] = {}
        out = []
        for row in picks:
            sm = self.branches[row[0]]
            chosen: list[UncertaintyBranch | None] = []
            ids = [sm.branch_id]
            for k, bset in enumerate(self.branch_sets, start=1):
                if bset.applies_to_path(ids):
                    branch = bset.branches[row[k]]
                    chosen.append(branch)
                    ids.append(branch.branch_id)
                else:
                    chosen.append(None)
            key = "/".join(ids) + "|" + "".join("." if c is None else "x" for c in chosen)
            if key not in cache:
                cache[key] = self._path(sm, chosen)
            out.append(cache[key])
        return out


def _pick(weights: list[float], u: np.ndarray) -> np.ndarray:
    """Index of the branch whose cumulative-weight interval contains each ``u``."""
    cum = np.cumsum(weights)
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(weights) - 1)


@dataclass(frozen=True)
class GsimBranch:
    """A branch of a GSIM branch set: a GSIM name with its parameters and a weight."""

    branch_id: str
    gsim_name: str
    kwargs: dict[str, Any]
    weight: float
    code: str = "A"
    where: str = ""

    @property
    def gsim(self) -> tuple[str, str, dict[str, Any]]:
        """``(branch_id, gsim_name, kwargs)`` as stored in :attr:`Realization.gsim_by_trt`."""
        return (self.branch_id, self.gsim_name, self.kwargs)

    def instantiate(self) -> Any:
        """The engine GSIM object.

        Raises
        ------
        UnknownName
            Unknown GSIM (the message names the file, line and branch, with close names).
        InputError
            Invalid GSIM parameters.
        """
        from toolkit.engine.hazard.gsim.base import get_gsim

        label = f"{self.where}, branch {self.branch_id!r}" if self.where else (
            f"branch {self.branch_id!r}")
        try:
            return get_gsim(self.gsim_name, where=label, **self.kwargs)
        except UnknownName:
            raise
        except (InputError, TypeError) as exc:
            raise InputError(f"{label}: GSIM {self.gsim_name} with parameters {self.kwargs}: "
                             f"{exc}") from exc


@dataclass
class GsimBranchSet:
    """The GSIM branches of one tectonic region type (``"*"`` = every region)."""

    trt: str
    branchset_id: str
    branches: list[GsimBranch]
    where: str = ""


@dataclass
class GsimLogicTree:
    """GSIM branch sets by tectonic region type, in file order.

    Attributes
    ----------
    branch_sets : dict of str -> GsimBranchSet
        Keyed by the exact ``applyToTectonicRegionType`` string (``"*"`` for
        :meth:`from_gsim`).
    path : Path or None
        The logic-tree file (None for :meth:`from_gsim`).
    """

    branch_sets: dict[str, GsimBranchSet]
    path: Path | None = None

    @classmethod
    def from_gsim(cls, name: str, where: str = "") -> GsimLogicTree:
        """A one-branch tree applying GSIM ``name`` to every tectonic region type.

        ``name`` may also be in TOML form (``[GSIMName]\\nparam = value``).
        """
        gsim_name, kwargs = parse_gsim(name, where or "gsim")
        branch = GsimBranch("b1", gsim_name, kwargs, 1.0, branch_code(0), where)
        return cls({ANY_TRT: GsimBranchSet(ANY_TRT, "bs1", [branch], where)}, None)

    @property
    def trts(self) -> list[str]:
        return list(self.branch_sets)

    @property
    def source(self) -> str:
        """What the tree was read from, for messages."""
        return str(self.path) if self.path else "the job.ini gsim"

    def branch_set(self, trt: str) -> GsimBranchSet:
        """The branch set applying to ``trt`` (exact, case-sensitive match, or ``"*"``).

        Raises
        ------
        InputError
            If no branch set applies to ``trt``.
        """
        found = self.branch_sets.get(trt) or self.branch_sets.get(ANY_TRT)
        if found is None:
            known = ", ".join(repr(t) for t in self.branch_sets)
            raise InputError(f"{self.source}: no GSIM branch set for the tectonic region type "
                             f"{trt!r} of the sources (applyToTectonicRegionType values: "
                             f"{known}); names must match exactly, case included")
        return found

    def branches(self) -> list[GsimBranch]:
        return [b for bs in self.branch_sets.values() for b in bs.branches]

    def validate(self, trts: set[str] | None = None) -> None:
        """Check that every GSIM (of the given regions, default all) exists and accepts its
        parameters, by instantiating it.

        Raises
        ------
        UnknownName
            Naming the file, line, branch and GSIM, with close matches.
        """
        for trt, bset in self.branch_sets.items():
            if trts is None or trt in trts or trt == ANY_TRT:
                for branch in bset.branches:
                    branch.instantiate()


@dataclass
class Realization:
    """One end-branch of the full enumeration.

    Attributes
    ----------
    index : int
    sm_branch : SourceModelBranch
    gsim_by_trt : dict of str -> (branch_id, gsim_name, kwargs)
        One GSIM per tectonic region type of the source model.
    weight : float
    branch_path : str
        OpenQuake's export form, e.g. ``"A~AB"``.
    """

    index: int
    sm_branch: SourceModelBranch
    gsim_by_trt: dict[str, tuple[str, str, dict[str, Any]]]
    weight: float
    branch_path: str
    gsim_branches: dict[str, GsimBranch] = field(default_factory=dict, repr=False)


# --------------------------------------------------------------------------- reading
def _read_logic_tree_root(path: Path) -> Node:
    """The ``<logicTree>`` (or other content) element of a logic-tree file.

    Besides the NRML 0.4 and 0.5 namespaces, a bare ``<nrml>`` root without a namespace is
    accepted for logic trees, as OpenQuake 3.26 does (measured: its QA classical cases 39
    and 67 ship GSIM logic trees in that form); the branch sets are read the same way.
    Source-model files still need a namespace.

    Raises
    ------
    InputError
        Not ``<nrml>``, an unknown namespace, no content, or several ``<logicTree>``
        elements (OpenQuake's one tree per site label, ``site_labels``, is not supported).
    """
    root = parse_xml(path)
    if root.tag != "nrml" or (root.ns and root.ns not in NRML_NAMESPACES):
        read_nrml(path)  # raises, with the message of the other NRML files
    if not root.children:
        raise InputError(f"{root.where}: the <nrml> element is empty")
    if len(root.children) > 1:
        extra = root.children[1]
        raise InputError(f"{extra.where}: a second <{extra.tag}> in the logic-tree file "
                         f"(logicTreeID {extra.attrib.get('logicTreeID', '')!r}): one logic "
                         "tree per site label (site_labels) is not supported yet")
    return root.children[0]


def _branch_sets(path: Path, expected: str) -> list[Node]:
    content = _read_logic_tree_root(path)
    if content.tag != "logicTree":
        raise InputError(f"{path} is not a valid {expected}: expected a <logicTree> element, "
                         f"found <{content.tag}> ({content.where})")
    sets: list[Node] = []
    for child in content.children:
        if child.tag == "logicTreeBranchingLevel":
            for sub in child.children:
                if sub.tag != "logicTreeBranchSet":
                    raise InputError(f"{sub.where}: unexpected <{sub.tag}> in a "
                                     "logicTreeBranchingLevel")
                sets.append(sub)
        elif child.tag == "logicTreeBranchSet":
            sets.append(child)
        else:
            raise InputError(f"{child.where}: unexpected <{child.tag}> in a <logicTree>")
    if not sets:
        raise InputError(f"{content.where}: the logic tree has no logicTreeBranchSet")
    return sets


def _branches(bset: Node, ids: dict[str, str]) -> list[tuple[Node, str, str, float]]:
    """(node, branch_id, model text, weight) of each branch; checks ids and weights."""
    set_id = bset.attrib.get("branchSetID", "").strip() or "?"
    out = []
    for node in bset.children:
        if node.tag != "logicTreeBranch":
            raise InputError(f"{node.where}: unexpected <{node.tag}> in branch set {set_id!r}")
        branch_id = node.get("branchID", f"branch set {set_id!r}")
        if branch_id in ids:
            raise InputError(f"{node.where}: duplicate branchID {branch_id!r} (first at "
                             f"{ids[branch_id]})")
        ids[branch_id] = node.where
        label = f"branch {branch_id!r}"
        model = node.child("uncertaintyModel", label)
        weight_node = node.child("uncertaintyWeight", label)
        if "imt" in weight_node.attrib or len(node.findall("uncertaintyWeight")) > 1:
            raise InputError(f"{weight_node.where}: weights per IMT are not supported yet "
                             f"({label})")
        try:
            weight = float(weight_node.value)
        except ValueError:
            raise InputError(f"{weight_node.where}: the weight of {label} must be a number, "
                             f"got {weight_node.value!r}") from None
        if not 0 <= weight <= 1 or not math.isfinite(weight):
            raise InputError(f"{weight_node.where}: the weight of {label} must be in [0, 1], "
                             f"got {weight_node.value!r}")
        out.append((node, branch_id, model, weight))
    if not out:
        raise InputError(f"{bset.where}: branch set {set_id!r} has no branches")
    total = math.fsum(b[3] for b in out)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise InputError(f"{bset.where}: the weights of branch set {set_id!r} sum to "
                         f"{total:.10g}, not 1")
    return out


def read_source_model_logic_tree(path: str | Path) -> list[SourceModelBranch]:
    """Read a source-model logic tree: the branches of its ``sourceModel`` branch set.

    The whole tree is read and checked (see :func:`read_source_model_tree`, which also
    returns the uncertainty branch sets).

    Returns
    -------
    list of SourceModelBranch
        In file order; file paths are resolved against the logic tree's directory.
    """
    return read_source_model_tree(path).branches


def read_source_model_tree(path: str | Path) -> SourceModelLogicTree:
    """Read a source-model logic tree with its uncertainty branch sets.

    Raises
    ------
    InputError
        Not a logic tree; a first branch set that is not ``sourceModel``; a later one of an
        unsupported type, with malformed values or an ``applyToBranches`` naming no earlier
        branch; weights not summing to one; duplicate branch ids; missing source-model files
        (naming the branch and the path).
    """
    path = Path(path)
    sets = _branch_sets(path, "source_model_logic_tree_file")
    first, rest = sets[0], sets[1:]
    utype = first.attrib.get("uncertaintyType", "")
    if utype != "sourceModel":
        raise InputError(f"{first.where}: the first branch set of a source-model logic tree "
                         f"must have uncertaintyType='sourceModel', got {utype!r}")
    ids: dict[str, str] = {}
    branches = _source_model_branches(path, first, ids)
    branch_sets: list[UncertaintyBranchSet] = []
    for bset in rest:
        if bset.attrib.get("uncertaintyType", "") == "sourceModel":
            raise InputError(f"{bset.where}: a second sourceModel branch set (only the first "
                             "branch set of a source-model logic tree may be one)")
        earlier = set(ids)
        parsed = _branches(bset, ids)
        unc = read_uncertainty_branch_set(bset, parsed,
                                          [branch_code(i) for i in range(len(parsed))])
        unknown = [b for b in unc.apply_to_branches if b not in earlier]
        if unknown:
            raise InputError(f"{bset.where}: applyToBranches names branch(es) "
                             f"{', '.join(repr(b) for b in unknown)} that are not in an "
                             "earlier branch set")
        branch_sets.append(unc)
    return SourceModelLogicTree(branches, branch_sets, path)


def _source_model_branches(path: Path, first: Node, ids: dict[str, str]
                           ) -> list[SourceModelBranch]:
    base = path.parent
    branches = []
    for index, (node, branch_id, model, weight) in enumerate(_branches(first, ids)):
        names = model.value.split()
        if not names:
            raise InputError(f"{model.where}: branch {branch_id!r} names no source-model file")
        files = []
        for name in names:
            file = Path(name) if Path(name).is_absolute() else base / name
            if not file.is_file():
                raise InputError(f"{model.where}: branch {branch_id!r} refers to a missing "
                                 f"source-model file: {file}")
            files.append(file)
        branches.append(SourceModelBranch(branch_id, files, weight, branch_code(index),
                                          node.where))
    return branches


def parse_gsim(text: str, where: str) -> tuple[str, dict[str, Any]]:
    """A GSIM name and its keyword arguments from ``"Name"`` or ``"[Name]\\nkey = value"``."""
    text = text.strip()
    if not text:
        raise InputError(f"{where}: empty GSIM name")
    if not text.startswith("["):
        if any(c.isspace() for c in text):
            raise InputError(f"{where}: invalid GSIM {text!r}: expected a class name or "
                             "'[ClassName]' followed by 'parameter = value' lines")
        return text, {}
    lines = _merge_empty_tables([line.strip() for line in text.splitlines()])
    try:
        data = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: invalid GSIM specification {text!r} ({exc})") from None
    if len(data) != 1 or not isinstance(next(iter(data.values())), dict):
        raise InputError(f"{where}: a GSIM in TOML form must be a single table "
                         f"'[GSIMName]' with its parameters, got {text!r}")
    name, kwargs = next(iter(data.items()))
    return name, dict(kwargs)


_EMPTY_TABLE = re.compile(r"^([A-Za-z0-9_.\"'-]+?)\s*=\s*\{\s*\}\s*(#.*)?$")


def _merge_empty_tables(lines: list[str]) -> list[str]:
    """Drop a ``key = {}`` line when later lines set ``key.sub = value``.

    OpenQuake's GSIM logic trees write a modification without and then with parameters
    (``nrcan15_site_term = {}`` followed by ``nrcan15_site_term.kind = 'base'``), which
    OpenQuake's lenient TOML reader merges; strict TOML 1.0 forbids adding keys to an inline
    table, so the empty one is dropped: the dotted keys define the same table.
    """
    out = []
    for index, line in enumerate(lines):
        match = _EMPTY_TABLE.match(line)
        if match:
            prefix = match.group(1) + "."
            if any(later.startswith(prefix) for later in lines[index + 1:]):
                continue
        out.append(line)
    return out


def _resolve_gsim_files(kwargs: dict[str, Any], base: Path) -> dict[str, Any]:
    """File parameters of a GSIM (names ending in ``_file`` or ``_table``, as OpenQuake's
    ``gmpe_table`` and ``volc_arc_file``) relative to the logic tree's folder, not to the
    working directory."""
    out = {}
    for key, value in kwargs.items():
        if (isinstance(value, str) and key.endswith(("_file", "_table"))
                and value and not Path(value).is_absolute()):
            value = str((base / value).resolve())
        out[key] = value
    return out


def _attribute_value(text: str) -> Any:
    """An ``<uncertaintyModel>`` attribute as a GSIM parameter: a TOML number or boolean
    when it reads as one (``"1"`` -> 1, ``"0.5"`` -> 0.5, ``"true"`` -> True), else the
    string itself (``"central"``, ``"01"``: a leading zero is not a TOML number), as
    OpenQuake 3.26 passes them (measured)."""
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    return value if isinstance(value, bool | int | float) else text


def _with_model_attributes(kwargs: dict[str, Any], attrib: dict[str, str], label: str
                           ) -> dict[str, Any]:
    """The GSIM parameters with the attributes of its ``<uncertaintyModel>`` added.

    OpenQuake passes every attribute of a GSIM's ``<uncertaintyModel>`` to the GSIM as a
    keyword argument: ``<uncertaintyModel submodel="high">CanadaSHM6_StableCrust_AA13
    </uncertaintyModel>`` is the GSIM ``[CanadaSHM6_StableCrust_AA13] submodel = "high"``
    and ``ordinal="1"`` gives ``ordinal = 1`` (OpenQuake's ``DummyGMPE``). A GSIM that does
    not take the parameter is refused when it is instantiated, naming the branch.
    """
    out = dict(kwargs)
    for key, text in attrib.items():
        if key in out:
            raise InputError(f"{label}: the GSIM parameter {key!r} is given twice: as an "
                             "attribute of <uncertaintyModel> and in its text")
        out[key] = _attribute_value(text)
    return out


def read_gsim_logic_tree(path: str | Path) -> GsimLogicTree:
    """Read a GSIM logic tree: one ``gmpeModel`` branch set per tectonic region type.

    GSIM names are not checked here (see :meth:`GsimLogicTree.validate`), so a file can be
    read before the engine knows its models. Attributes of ``<uncertaintyModel>`` are GSIM
    parameters (:func:`_with_model_attributes`).

    Branch ids need to be unique within a branch set only: OpenQuake 3.26 accepts the same
    ``branchID`` in the branch sets of different tectonic region types (measured; its QA
    classical case 42 names both its branches ``AbrahamsonEtAl2015``). Realizations are
    named by branch positions (``A~AB``), not by ids, so nothing is ambiguous. (A source-model
    logic tree, where ``applyToBranches`` refers to branch ids, needs them unique in the
    whole tree, as OpenQuake requires.)

    Raises
    ------
    InputError
        Not a logic tree; other uncertainty types; missing or repeated
        ``applyToTectonicRegionType``; a branch id repeated in a branch set; weights not
        summing to one; malformed TOML; a parameter given both as an attribute and in
        the TOML text.
    """
    path = Path(path)
    sets: dict[str, GsimBranchSet] = {}
    for bset in _branch_sets(path, "gsim_logic_tree_file"):
        ids: dict[str, str] = {}  # unique within a branch set only (see the docstring)
        utype = bset.attrib.get("uncertaintyType", "")
        if utype != "gmpeModel":
            raise InputError(f"{bset.where}: uncertainty type {utype!r} is not supported in a "
                             "GSIM logic tree (expected 'gmpeModel')")
        trt = bset.attrib.get("applyToTectonicRegionType", "").strip()
        if not trt:
            raise InputError(f"{bset.where}: the gmpeModel branch set lacks "
                             "applyToTectonicRegionType")
        if trt in sets:
            raise InputError(f"{bset.where}: a second branch set for the tectonic region type "
                             f"{trt!r} (the first is at {sets[trt].where})")
        set_id = bset.attrib.get("branchSetID", "").strip()
        branches = []
        for index, (_node, branch_id, model, weight) in enumerate(_branches(bset, ids)):
            label = f"{model.where}, branch {branch_id!r}"
            name, kwargs = parse_gsim(model.text, label)
            kwargs = _with_model_attributes(kwargs, model.attrib, label)
            kwargs = _resolve_gsim_files(kwargs, path.parent)
            branches.append(GsimBranch(branch_id, name, kwargs, weight, branch_code(index),
                                       model.where))
        sets[trt] = GsimBranchSet(trt, set_id, branches, bset.where)
    return GsimLogicTree(sets, path)


# --------------------------------------------------------------------------- enumeration
def enumerate_realizations(
    sm_branches: list[SourceModelBranch],
    gsim_lt: GsimLogicTree,
    trts_by_sm: dict[str, set[str]],
    *,
    validate: bool = True,
) -> list[Realization]:
    """All realizations of the logic trees (full enumeration), in OpenQuake's order.

    Parameters
    ----------
    sm_branches : list of SourceModelBranch
    gsim_lt : GsimLogicTree
    trts_by_sm : dict of base branch_id -> set of str
        Tectonic region types of the sources of each source-model branch.
    validate : bool
        Instantiate each GSIM used (once) to check its name and parameters.

    Raises
    ------
    InputError
        A tectonic region type without a GSIM branch set, or a branch without sources.
    UnknownName
        A GSIM used by a realization is unknown (message with file, line, close names).
    """
    realizations: list[Realization] = []
    checked: set[int] = set()
    order = {trt: i for i, trt in enumerate(gsim_lt.branch_sets)}
    for sm in sm_branches:
        trts = trts_by_sm.get(sm.base_id)  # the source model's TRTs, whatever the path
        if not trts:
            raise InputError(f"source-model branch {sm.branch_id!r} ({sm.where or sm.files}) "
                             "has no sources")
        # branch sets in logic-tree file order; one per region, or one '*' for all
        per_trt = {trt: gsim_lt.branch_set(trt) for trt in trts}
        used = sorted({id(bs): bs for bs in per_trt.values()}.values(),
                      key=lambda bs: order[bs.trt])
        if validate:
            for bset in used:
                for branch in bset.branches:
                    if id(branch) not in checked:
                        branch.instantiate()
                        checked.add(id(branch))
        for combo in itertools.product(*(bs.branches for bs in used)):
            chosen = {bs.trt: branch for bs, branch in zip(used, combo, strict=True)}
            by_trt = {trt: chosen[per_trt[trt].trt]
                      for trt in sorted(trts, key=lambda t: (order[per_trt[t].trt], t))}
            weight = sm.weight * math.prod(b.weight for b in combo)
            path = sm.code + "~" + "".join(b.code for b in combo)
            realizations.append(Realization(
                index=len(realizations), sm_branch=sm,
                gsim_by_trt={trt: b.gsim for trt, b in by_trt.items()},
                weight=weight, branch_path=path, gsim_branches=by_trt,
            ))
    return realizations


def sample_realizations(
    tree: SourceModelLogicTree,
    gsim_lt: GsimLogicTree,
    trts_by_sm: dict[str, set[str]],
    n: int,
    seed: int,
    *,
    method: str = "early_weights",
    validate: bool = True,
) -> list[Realization]:
    """``n`` realizations sampled from the logic trees (Monte Carlo).

    A ``(n, 1 + len(tree.branch_sets) + len(gsim_lt.branch_sets))`` matrix ``u`` of uniform
    numbers in [0, 1) is drawn from ``numpy.random.Generator(PCG64(seed))``; row i picks
    realization i: its source-model path (:meth:`SourceModelLogicTree.sample_paths`) and one
    branch of every GSIM branch set (column order: the branch sets of the GSIM logic tree
    file). As in the full enumeration, a realization keeps the GSIMs of the tectonic region
    types of its source model only. The same seed gives the same realizations; OpenQuake's
    own random stream is not reproduced. The ``sampling_method`` values of OpenQuake:

    * ``early_weights`` (default): a branch is picked with the probability of its weight;
      every realization has weight ``1/n``;
    * ``early_latin``: the same, with Latin hypercube sampling: in each column the n
      numbers are ``(permutation(n) + uniform) / n``, one in each stratum of width ``1/n``;
    * ``late_weights``: branches are picked with equal probabilities; the weight of a
      realization is the product of the weights of its branches, normalised so that the n
      weights sum to one;
    * ``late_latin``: ``late_weights`` with Latin hypercube sampling.

    Parameters
    ----------
    tree : SourceModelLogicTree
    gsim_lt : GsimLogicTree
    trts_by_sm : dict of str -> set of str
        Tectonic region types of the sources of each ``sourceModel`` branch (keyed by the
        branch id of the first branch set).
    n : int
        Number of samples (>= 1).
    seed : int
        ``random_seed`` of the job.
    method : str
        ``sampling_method`` (see above).
    validate : bool
        Instantiate each GSIM used (once) to check its name and parameters.

    Returns
    -------
    list of Realization
        In sample order, ``index`` = sample number. Equal samples are distinct
        realizations (with the same source-model path object).
    """
    if n < 1:
        raise InputError(f"number_of_logic_tree_samples must be >= 1, got {n}")
    if method not in SAMPLING_METHODS:
        raise InputError(f"sampling_method {method!r} is not supported; supported: "
                         f"{', '.join(SAMPLING_METHODS)}")
    rng = np.random.Generator(np.random.PCG64(seed))
    n_sm = 1 + len(tree.branch_sets)
    gsim_sets = list(gsim_lt.branch_sets.values())
    n_cols = n_sm + len(gsim_sets)
    if method.endswith("latin"):
        u = np.column_stack([(rng.permutation(n) + rng.random(n)) / n
                             for _ in range(n_cols)]).reshape(n, n_cols)
    else:
        u = rng.random((n, n_cols))
    late = method.startswith("late")
    paths = tree.sample_paths(u[:, :n_sm], uniform=late)
    picks = {bs.trt: _pick([1.0 if late else b.weight for b in bs.branches], u[:, n_sm + j])
             for j, bs in enumerate(gsim_sets)}
    weights = np.full(n, 1.0 / n)
    order = {trt: i for i, trt in enumerate(gsim_lt.branch_sets)}
    checked: set[int] = set()
    realizations: list[Realization] = []
    for i, sm in enumerate(paths):
        trts = trts_by_sm.get(sm.base_id)
        if not trts:
            raise InputError(f"source-model branch {sm.base_id!r} ({sm.where or sm.files}) "
                             "has no sources")
        per_trt = {trt: gsim_lt.branch_set(trt) for trt in trts}
        used = sorted({id(bs): bs for bs in per_trt.values()}.values(),
                      key=lambda bs: order[bs.trt])
        chosen = {bs.trt: bs.branches[picks[bs.trt][i]] for bs in used}
        if validate:
            for branch in chosen.values():
                if id(branch) not in checked:
                    branch.instantiate()
                    checked.add(id(branch))
        by_trt = {trt: chosen[per_trt[trt].trt]
                  for trt in sorted(trts, key=lambda t: (order[per_trt[t].trt], t))}
        if late:
            weights[i] = sm.weight * math.prod(b.weight for b in chosen.values())
        realizations.append(Realization(
            index=i, sm_branch=sm, gsim_by_trt={trt: b.gsim for trt, b in by_trt.items()},
            weight=0.0,
            branch_path=sm.code + "~" + "".join(chosen[bs.trt].code for bs in used),
            gsim_branches=by_trt,
        ))
    if late:  # as OpenQuake 3.26 (measured): each realization's path weight times the
        # number of samples that drew the same path, normalised
        drawn: dict[str, int] = {}
        for rlz in realizations:
            drawn[rlz.branch_path] = drawn.get(rlz.branch_path, 0) + 1
        weights = weights * np.array([drawn[rlz.branch_path] for rlz in realizations])
    total = math.fsum(weights)
    if total <= 0:
        raise InputError(f"sampling_method {method}: the sampled realizations all have "
                         "weight 0")
    for rlz, weight in zip(realizations, weights, strict=True):
        rlz.weight = float(weight / total) if late else 1.0 / n
    return realizations
