"""Input readers: OpenQuake job.ini files, NRML source models and logic trees, and sites.

Everything here validates at the edge: errors are :class:`toolkit.errors.InputError` (or
:class:`toolkit.errors.UnknownName`) whose message names the file, the line, the field and
what was expected. Unknown job.ini keys give a :class:`JobIniWarning`.

Typical use::

    params = read_job_ini("job.ini")
    sites = read_sites(params)
    sm_branches = read_source_model_logic_tree(params.source_model_logic_tree_file)
    gsim_lt = (read_gsim_logic_tree(params.gsim_logic_tree_file)
               if params.gsim_logic_tree_file else GsimLogicTree.from_gsim(params.gsim))
    models = {b.branch_id: read_source_models(b.files, params=params) for b in sm_branches}
    rlzs = enumerate_realizations(
        sm_branches, gsim_lt, {bid: set(m.trts) for bid, m in models.items()})
"""

from __future__ import annotations

from toolkit.io.jobini import (
    CALCULATION_MODES,
    KNOWN_KEYS,
    JobIniWarning,
    JobParams,
    linscale,
    logscale,
    read_job_ini,
)
from toolkit.io.logictree import (
    GsimBranch,
    GsimBranchSet,
    GsimLogicTree,
    Realization,
    SourceModelBranch,
    enumerate_realizations,
    read_gsim_logic_tree,
    read_source_model_logic_tree,
)
from toolkit.io.nrml import (
    Node,
    SourceGroup,
    SourceModel,
    SourceSpec,
    parse_source_model,
    parse_xml,
    read_nrml,
    read_source_model,
    read_source_models,
)
from toolkit.io.sites import read_sites, read_sites_csv

__all__ = [
    # job.ini
    "JobParams",
    "JobIniWarning",
    "read_job_ini",
    "logscale",
    "linscale",
    "CALCULATION_MODES",
    "KNOWN_KEYS",
    # sites
    "read_sites",
    "read_sites_csv",
    # NRML
    "Node",
    "parse_xml",
    "read_nrml",
    "SourceSpec",
    "SourceGroup",
    "SourceModel",
    "parse_source_model",
    "read_source_model",
    "read_source_models",
    # logic trees
    "SourceModelBranch",
    "GsimBranch",
    "GsimBranchSet",
    "GsimLogicTree",
    "Realization",
    "read_source_model_logic_tree",
    "read_gsim_logic_tree",
    "enumerate_realizations",
]
