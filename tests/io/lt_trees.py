"""Logic-tree files for the tests: the sourceModel branch set over sources_04/05.xml, extra
branch sets, the tree file and the job parameters that read it (shared by the uncertainty and
the sampling tests)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

DATA = Path(__file__).parent / "data"
PARAMS = SimpleNamespace(rupture_mesh_spacing=5.0, area_source_discretization=10.0,
                         width_of_mfd_bin=0.1)

#: the sourceModel branch set of the test trees: sources_04.xml (P1 truncated G-R a=3 b=1
#: M 5-6, A1 incremental, F1 arbitrary) and sources_05.xml (D1 a=2 b=0.9 M 5-7, S1 a=3 b=1
#: M 5-6.5)
SM_SET = f"""
    <logicTreeBranchSet uncertaintyType="sourceModel" branchSetID="bs1">
      <logicTreeBranch branchID="sm04">
        <uncertaintyModel>{DATA / 'sources_04.xml'}</uncertaintyModel>
        <uncertaintyWeight>0.6</uncertaintyWeight>
      </logicTreeBranch>
      <logicTreeBranch branchID="sm05">
        <uncertaintyModel>{DATA / 'sources_05.xml'}</uncertaintyModel>
        <uncertaintyWeight>0.4</uncertaintyWeight>
      </logicTreeBranch>
    </logicTreeBranchSet>"""


def branch_set(kind: str, set_id: str, branches: list[tuple[str, str, float]],
               **attrs: str) -> str:
    """XML of a branch set: ``branches`` are (branch id, uncertaintyModel text, weight)."""
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    body = "".join(f"""
      <logicTreeBranch branchID="{bid}">
        <uncertaintyModel>{model}</uncertaintyModel>
        <uncertaintyWeight>{weight}</uncertaintyWeight>
      </logicTreeBranch>""" for bid, model, weight in branches)
    return f"""
    <logicTreeBranchSet uncertaintyType="{kind}" branchSetID="{set_id}"{extra}>{body}
    </logicTreeBranchSet>"""


def write_tree(folder: Path, *sets: str, sm_set: str = SM_SET, name: str = "ssmLT.xml"
               ) -> Path:
    """A source-model logic tree file with the sourceModel set and then ``sets``."""
    path = folder / name
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
  <logicTree logicTreeID="lt1">{sm_set}{''.join(sets)}
  </logicTree>
</nrml>
""")
    return path


def job_params(tree: Path, *, samples: int = 0, seed: int = 42, mode: str = "classical",
               sampling_method: str | None = None) -> SimpleNamespace:
    """The job parameters :func:`build_source_model_inputs` reads."""
    raw = {} if sampling_method is None else {"sampling_method": sampling_method}
    return SimpleNamespace(
        source_model_logic_tree_file=tree, number_of_logic_tree_samples=samples,
        random_seed=seed, calculation_mode=mode, raw=raw, job_ini=tree.parent / "job.ini",
        where=lambda key: f"{tree.parent / 'job.ini'} line 1: {key}",
        rupture_mesh_spacing=5.0, area_source_discretization=10.0, width_of_mfd_bin=0.1)
