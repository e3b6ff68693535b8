"""Source-model and GSIM logic trees (NRML 0.4 and 0.5) and their realizations.

A logic tree is a sequence of branch sets; each branch carries a model and a weight, and the
weights of a branch set sum to one. NRML 0.4 wraps each branch set in a
``<logicTreeBranchingLevel>``; NRML 0.5 puts the branch sets directly under ``<logicTree>``.
Both are read.

* The **source-model logic tree** has one branch set of ``uncertaintyType="sourceModel"``
  whose branches name one or more source-model files (whitespace separated). Further branch
  sets (``abGRAbsolute``, ``maxMagGRAbsolute``, ``extendModel``...) are not supported yet.
* The **GSIM logic tree** has one branch set of ``uncertaintyType="gmpeModel"`` per
  tectonic region type (``applyToTectonicRegionType``); each branch names a GSIM class, or
  gives it in OpenQuake's TOML form ``[GSIMName]\\nparam = value``.

Realizations (full enumeration)
-------------------------------
For each source-model branch, in file order, the realizations are the cartesian product of
the GSIM branch sets of the tectonic region types present in that source model, taken in the
order of the GSIM logic tree file (OpenQuake ignores the branch sets of regions without
sources). The weight of a realization is the product of its branch weights.

Branch paths follow OpenQuake's export (``realizations_<calc>.csv``): one character per
branch set, the source-model part and the GSIM part joined by ``~`` (``A~A``, ``A~B``). The
character of a branch is its position in its branch set: ``A`` for the first, ``B`` for the
second... as in OpenQuake's logic-tree FAQ (``AAAAA~AA`` ... ``ACCCC~BB``) and the recorded
export of classical QA case 5. See :data:`BRANCH_CODES`.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import InputError, UnknownName
from toolkit.io.nrml import Node, read_nrml

__all__ = [
    "SourceModelBranch",
    "GsimBranch",
    "GsimBranchSet",
    "GsimLogicTree",
    "Realization",
    "read_source_model_logic_tree",
    "read_gsim_logic_tree",
    "enumerate_realizations",
    "branch_code",
    "BRANCH_CODES",
    "WEIGHT_TOLERANCE",
]

#: characters of the 1st, 2nd, ... branch of a branch set in branch paths. OpenQuake uses
#: ``A``, ``B``, ``C``... (documented); the order after ``Z`` is the toolkit's choice.
BRANCH_CODES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

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
    files : list of Path
        Source-model files of the branch (absolute or relative to the current directory).
    weight : float
    code : str
        Its branch-path character (``"A"`` for the first branch).
    where : str
        ``"<file> line <n>"`` of the branch.
    """

    branch_id: str
    files: list[Path]
    weight: float
    code: str = "A"
    where: str = ""


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
def _branch_sets(path: Path, expected: str) -> list[Node]:
    content, _version = read_nrml(path)
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
    """Read a source-model logic tree.

    Returns
    -------
    list of SourceModelBranch
        In file order; file paths are resolved against the logic tree's directory.

    Raises
    ------
    InputError
        Not a logic tree; branch sets of other uncertainty types; weights not summing to one;
        duplicate branch ids; missing source-model files (naming the branch and the path).
    """
    path = Path(path)
    sets = _branch_sets(path, "source_model_logic_tree_file")
    first, rest = sets[0], sets[1:]
    utype = first.attrib.get("uncertaintyType", "")
    if utype != "sourceModel":
        raise InputError(f"{first.where}: the first branch set of a source-model logic tree "
                         f"must have uncertaintyType='sourceModel', got {utype!r}")
    for bset in rest:
        other = bset.attrib.get("uncertaintyType", "")
        raise InputError(f"{bset.where}: uncertainty type {other!r} is not supported yet "
                         "(only one branch set of uncertaintyType='sourceModel')")
    base = path.parent
    branches = []
    for index, (node, branch_id, model, weight) in enumerate(_branches(first, {})):
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
    lines = [line.strip() for line in text.splitlines()]
    try:
        data = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: invalid GSIM specification {text!r} ({exc})") from None
    if len(data) != 1 or not isinstance(next(iter(data.values())), dict):
        raise InputError(f"{where}: a GSIM in TOML form must be a single table "
                         f"'[GSIMName]' with its parameters, got {text!r}")
    name, kwargs = next(iter(data.items()))
    return name, dict(kwargs)


def read_gsim_logic_tree(path: str | Path) -> GsimLogicTree:
    """Read a GSIM logic tree: one ``gmpeModel`` branch set per tectonic region type.

    GSIM names are not checked here (see :meth:`GsimLogicTree.validate`), so a file can be
    read before the engine knows its models.

    Raises
    ------
    InputError
        Not a logic tree; other uncertainty types; missing or repeated
        ``applyToTectonicRegionType``; weights not summing to one; malformed TOML.
    """
    path = Path(path)
    ids: dict[str, str] = {}
    sets: dict[str, GsimBranchSet] = {}
    for bset in _branch_sets(path, "gsim_logic_tree_file"):
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
            if model.attrib:
                raise InputError(f"{model.where}: attributes of <uncertaintyModel> "
                                 f"({', '.join(model.attrib)}) are not supported yet "
                                 f"(branch {branch_id!r})")
            name, kwargs = parse_gsim(model.text, f"{model.where}, branch {branch_id!r}")
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
    trts_by_sm : dict of branch_id -> set of str
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
        trts = trts_by_sm.get(sm.branch_id)
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
