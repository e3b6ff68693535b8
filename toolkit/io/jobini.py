"""OpenQuake job.ini files: read, validate and type the parameters of a calculation.

A job.ini is an INI file whose sections are only for the reader: keys are flat. This module
reads it line by line (so every error can name its line), with the conventions of Python's
:mod:`configparser`, which OpenQuake uses:

* ``key = value`` or ``key: value``; keys are case-insensitive (stored lower case);
* full-line comments start with ``#`` or ``;`` (there are no inline comments);
* a value continues on the following lines that are indented (blank lines inside such a value
  are allowed), as in ``intensity_measure_types_and_levels = {"PGA": [...],\\n    "SA(0.1)": ...}``.

Values are then validated and typed into a :class:`JobParams`. Python-literal values (the
intensity measure levels, per-region distances) are parsed with :mod:`ast` and evaluated by a
small whitelist (numbers, strings, lists, tuples, dicts and the calls ``logscale(a, b, n)`` and
``linscale(a, b, n)``), never with ``eval``.

Unknown keys give a :class:`JobIniWarning` naming the key, the file and line, and the closest
known key. The known keys are the 154 parameters with defaults reported by the OpenQuake
3.26.2 WebAPI (``/v1/ini_defaults``), plus the parameters without defaults and the input-file
keys of OpenQuake job files.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import InputError, UnknownName

__all__ = [
    "JobParams",
    "JobIniWarning",
    "read_job_ini",
    "parse_ini",
    "logscale",
    "linscale",
    "CALCULATION_MODES",
    "KNOWN_KEYS",
    "RISK_MODES",
    "check_risk_requirements",
    "parse_bool",
]


class JobIniWarning(UserWarning):
    """A job.ini key that the toolkit does not know (probably misspelled) and ignores."""


#: calculation modes of OpenQuake job files
CALCULATION_MODES = (
    "classical", "preclassical", "disaggregation", "conditional_spectrum", "event_based",
    "scenario", "classical_risk", "classical_damage", "classical_bcr", "event_based_risk",
    "event_based_damage", "ebrisk", "scenario_risk", "scenario_damage", "multi_risk",
    "postrisk",
)

#: modes that compute hazard from a source model (need logic trees, sites, IMTs)
_SOURCE_MODES = frozenset({"classical", "preclassical", "disaggregation",
                           "conditional_spectrum", "event_based"})
#: modes that compute hazard curves (need intensity measure levels)
_CURVE_MODES = frozenset({"classical", "preclassical", "disaggregation",
                          "conditional_spectrum"})
#: modes that need the reference site parameters (unless a site model is given)
_SITE_MODES = _SOURCE_MODES | {"scenario"}

# The 154 job.ini parameters with defaults of OpenQuake 3.26.2 (GET /v1/ini_defaults).
_OQ_DEFAULT_KEYS = """
    aggregate_by aggregate_exposure aggregate_loss_curves_types amplification_method
    area_source_discretization asce_version ash_wet_amplification_factor asset_correlation
    asset_hazard_distance assets_per_site_limit avg_losses base_path cache cholesky_limit
    collapse_gsim_logic_tree collapse_level collect_rlzs compare_with_classical
    complex_fault_mesh_spacing concurrent_tasks conditional_loss_poes
    continuous_fragility_discretization coordinate_bin_width correlation_cutoff countries
    cross_correlation description disagg_bin_edges disagg_by_src disagg_outputs
    discard_assets discard_trts discrete_damage_distribution epsilon_star export_dir exports
    extreme_gmv floating_x_step floating_y_step gmf_max_gb ground_motion_correlation_model
    ground_motion_correlation_params ground_motion_fields gsim hazard_calculation_id
    hazard_curves_from_gmfs hazard_maps horiz_comp_to_geom_mean ignore_covs
    ignore_encoding_errors ignore_master_seed ignore_missing_costs iml_disagg imt_ref
    individual_curves individual_rlzs infer_occur_rates infrastructure_connectivity_analysis
    inputs intensity_measure_types intensity_measure_types_and_levels investigation_time
    job_id keep_trt limit_states local_timestamp lrem_steps_per_interval mag_bin_width
    master_seed max max_data_transfer max_hazard_curves max_nodes_network
    max_potential_paths max_sites_correl max_sites_disagg maximum_distance_stations
    maximum_rupture_depth mea_tau_phi mean mean_hazard_curves minimum_asset_loss
    minimum_distance minimum_engine_version minimum_intensity minimum_magnitude
    modal_damage_state mosaic_model num_epsilon_bins num_rlzs_disagg
    number_of_logic_tree_samples override_vs30 oversampling poes poes_disagg
    pointsource_distance postproc_args postproc_func postrisk_args postrisk_func
    prefer_global_site_params ps_grid_spacing quantile_hazard_curves quantiles random_seed
    reaggregate_by reference_vs30_type region region_grid_spacing reqv_ignore_sources
    return_periods risk_imtls risk_investigation_time rlz_index rupture_dict rupture_id
    rupture_mesh_spacing sampling_method sec_peril_params secondary_perils
    ses_per_logic_tree_path ses_seed shakemap_id shakemap_uri shift_hypo site_class
    site_labels siteid sites smlt_branch soil_intensities source_id source_nodes
    spatial_correlation specific_assets split_by_gsim split_sources split_time std
    steps_per_interval strict tectonic_region_type tile_spec tiling time_event total_losses
    truncated_mvn truncation_level_between truncation_level_within uniform_hazard_spectra
    use_rates vs30_tolerance width_of_mfd_bin with_betw_ratio
""".split()

# Parameters without a default and input files (not listed by /v1/ini_defaults).
_OQ_OTHER_KEYS = """
    calculation_mode maximum_distance truncation_level reference_vs30_value
    reference_depth_to_1pt0km_per_sec reference_depth_to_2pt5km_per_sec reference_backarc
    reference_depth_to_1pt4km_per_sec
    number_of_ground_motion_fields distance_bin_width interest_rate asset_life_expectancy
    source_model_logic_tree_file gsim_logic_tree_file source_model_file site_model_file
    sites_csv exposure_file rupture_model_file gmfs_file gmfs_csv hazard_curves_file
    hazard_curves_csv shakemap_file taxonomy_mapping_csv reqv_file amplification_csv
    consequence_file fragility_file vulnerability_file ins_loss_file
    post_loss_amplification_file station_data_file multi_peril_csv mmi_file
    input_model_file max_site_model_distance
""".split()

#: every key accepted without a warning
KNOWN_KEYS = frozenset(_OQ_DEFAULT_KEYS) | frozenset(_OQ_OTHER_KEYS)

# risk model files named after a loss type: structural_vulnerability_file, ...
_RISK_FILE = re.compile(
    r"^[a-z][a-z0-9_]*_(vulnerability|vulnerability_retrofitted|fragility|consequence)_file$"
)

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_SPLIT = re.compile(r"[,\s]+")


def parse_bool(value: str | None, where: str, key: str, default: bool = False) -> bool:
    """A job.ini boolean: true/yes/on/1 or false/no/off/0 (any case); ``default`` when the
    value is absent or blank.

    Raises
    ------
    InputError
        Any other value; the message starts with ``where`` (file and line) and names ``key``.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        return default
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise InputError(f"{where}: {key} must be true or false, got {text!r}")


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True, eq=False)
class JobParams:
    """The validated, typed parameters of a job.ini (OpenQuake names and meanings).

    Attributes
    ----------
    job_ini : Path
        The job file.
    input_dir : Path
        Its directory; relative paths in the file are relative to it.
    raw : dict of str -> str
        Every key of the file with its (stripped) text value.
    lines : dict of str -> int
        Line of every key.
    calculation_mode : str
    description : str
    random_seed : int
    number_of_logic_tree_samples : int
        0 = full enumeration; n > 0 = n realizations sampled with ``random_seed``.
    rupture_mesh_spacing : float
        km.
    width_of_mfd_bin : float or None
        Magnitude bin width of truncated Gutenberg-Richter MFDs.
    area_source_discretization : float or None
        km.
    shift_hypo : bool
        Point-source hypocentres at the depth of their rupture's centre (``shift_hypo``).
    sites : ndarray of shape (n, 3) or None
        lon, lat, depth (km, positive down) from ``sites``.
    sites_csv : Path or None
    reference_vs30_type : str
        ``"measured"`` or ``"inferred"``.
    reference_vs30_value : float or None
        m/s.
    reference_depth_to_1pt0km_per_sec : float or None
        z1pt0 in **m**.
    reference_depth_to_2pt5km_per_sec : float or None
        z2pt5 in **km**.
    source_model_logic_tree_file, gsim_logic_tree_file : Path or None
    gsim : str or None
        A single GSIM for all tectonic region types (instead of a GSIM logic tree).
    investigation_time : float or None
        years.
    imtls : dict of str -> ndarray
        Canonical IMT string (``"SA(0.1)"``) -> increasing positive levels, in file order.
        Empty arrays when only ``intensity_measure_types`` is given.
    truncation_level : float or None
        Number of standard deviations; None = untruncated.
    maximum_distance : dict of str -> float
        km per tectonic region type, with a ``"default"`` entry for the others.
    minimum_magnitude : dict of str -> float
        Per tectonic region type, with a ``"default"`` entry (0 = no cut).
    minimum_distance : float
        km; shorter source-site distances are raised to it before the GSIMs (0 = none).
    mean : bool
    quantiles : tuple of float
    poes : tuple of float
    uniform_hazard_spectra, hazard_maps : bool
    individual_rlzs : bool or None
        None = OpenQuake's default (export realizations only when there is one).
    export_dir : Path or None
    concurrent_tasks : int or None
    max_sites_disagg : int
    source_nodes : tuple of str
    minimum_engine_version : str or None
    ses_seed : int
        Seed of the stochastic event sets and ground-motion fields.
    master_seed : int
        Seed of the risk sampling (loss ratios, damage states).
    number_of_ground_motion_fields : int or None
        Scenario: GMFs per GSIM (positive).
    rupture_model_file : Path or None
        Scenario: NRML rupture.
    rupture_dict : dict or None
        Scenario: a rupture given as a dict literal (``lon lat dep mag rake strike dip``...).
    ses_per_logic_tree_path : int
        Event based: number of stochastic event sets per realization.
    ground_motion_fields : bool
        Event based: compute GMFs (False stores the ruptures only).
    hazard_curves_from_gmfs : bool
        Event based: hazard curves from the GMFs.
    ground_motion_correlation_model : str or None
        ``"JB2009"`` or None.
    ground_motion_correlation_params : dict
        e.g. ``{"vs30_clustering": True}``.
    minimum_intensity : dict of str -> float
        Ground-motion values below this (per IMT, or ``"default"``) are discarded.

    Risk parameters (calculation modes ``scenario_damage``, ``scenario_risk``,
    ``event_based_risk``, ``classical_risk``, ``classical_damage``):

    exposure_file : tuple of Path
        The exposure model(s) (space-separated in the file).
    risk_files : dict of str -> dict of str -> Path
        ``{"fragility": {"structural": path}, "vulnerability": {...}}`` from the
        ``<loss_type>_<kind>_file`` keys (``fragility_file`` / ``vulnerability_file`` alone
        mean ``structural``).
    asset_hazard_distance : float
        km; an asset farther than this from every hazard site is discarded (default 15).
    discrete_damage_distribution, modal_damage_state : bool
    gmfs_file : Path or None
        Ground-motion fields from a CSV file (``gmfs_file`` or ``gmfs_csv``).
    minimum_asset_loss : dict of str -> float
        Loss type (or ``"default"``) -> asset losses below this are set to 0.
    aggregate_by : tuple of tuple of str
        Tag combinations to aggregate by: ``taxonomy, OCC; NAME_1`` is
        ``(("taxonomy", "OCC"), ("NAME_1",))``.
    return_periods : tuple of float
        Of the aggregate loss curves (years, increasing); empty = the default periods.
    risk_investigation_time : float or None
        years; default the investigation time.
    asset_correlation : float
        In [0, 1].
    hazard_calculation_id : int or None
        Take the hazard from a previous calculation.
    taxonomy_mapping_csv : Path or None
    region : ndarray (n, 2) or None
        lon, lat of a polygon: sites and assets outside it are discarded.
    lrem_steps_per_interval : int
        Classical risk loss-ratio grid refinement (0 = OpenQuake's default, 1 here).
    steps_per_interval : int
        Classical damage refinement of the hazard levels.
    time_event : str
        Occupancy period of the ``occupants`` loss type (``"avg"``: mean of the periods).
    ignore_covs : bool
        Use the mean loss ratios of the vulnerability functions (no sampling).
    continuous_fragility_discretization : int
        Hazard levels per continuous fragility function when the job gives none.
    """

    job_ini: Path
    input_dir: Path
    raw: dict[str, str]
    lines: dict[str, int]
    calculation_mode: str
    description: str = "no description"
    random_seed: int = 42
    number_of_logic_tree_samples: int = 0
    rupture_mesh_spacing: float = 5.0
    width_of_mfd_bin: float | None = None
    area_source_discretization: float | None = None
    shift_hypo: bool = False
    sites: np.ndarray | None = None
    sites_csv: Path | None = None
    reference_vs30_type: str = "inferred"
    reference_vs30_value: float | None = None
    reference_depth_to_1pt0km_per_sec: float | None = None
    reference_depth_to_2pt5km_per_sec: float | None = None
    source_model_logic_tree_file: Path | None = None
    gsim_logic_tree_file: Path | None = None
    gsim: str | None = None
    investigation_time: float | None = None
    imtls: dict[str, np.ndarray] = field(default_factory=dict)
    truncation_level: float | None = None
    maximum_distance: dict[str, float] = field(default_factory=dict)
    minimum_magnitude: dict[str, float] = field(default_factory=lambda: {"default": 0.0})
    #: km; shorter source-site distances are raised to it before the GSIMs (0: no floor)
    minimum_distance: float = 0.0
    #: km by tectonic region type (``default`` for the others); {} when not given
    maximum_rupture_depth: dict[str, float] = field(default_factory=dict)
    mean: bool = True
    quantiles: tuple[float, ...] = ()
    poes: tuple[float, ...] = ()
    uniform_hazard_spectra: bool = False
    hazard_maps: bool = False
    individual_rlzs: bool | None = None
    export_dir: Path | None = None
    concurrent_tasks: int | None = None
    max_sites_disagg: int = 10
    source_nodes: tuple[str, ...] = ()
    minimum_engine_version: str | None = None
    ses_seed: int = 42
    master_seed: int = 123456789
    number_of_ground_motion_fields: int | None = None
    rupture_model_file: Path | None = None
    rupture_dict: dict[str, Any] | None = None
    ses_per_logic_tree_path: int = 1
    ground_motion_fields: bool = True
    hazard_curves_from_gmfs: bool = False
    ground_motion_correlation_model: str | None = None
    ground_motion_correlation_params: dict[str, Any] = field(default_factory=dict)
    minimum_intensity: dict[str, float] = field(default_factory=dict)
    exposure_file: tuple[Path, ...] = ()
    risk_files: dict[str, dict[str, Path]] = field(default_factory=dict)
    asset_hazard_distance: float = 15.0
    discrete_damage_distribution: bool = False
    modal_damage_state: bool = False
    gmfs_file: Path | None = None
    minimum_asset_loss: dict[str, float] = field(default_factory=dict)
    aggregate_by: tuple[tuple[str, ...], ...] = ()
    return_periods: tuple[float, ...] = ()
    risk_investigation_time: float | None = None
    asset_correlation: float = 0.0
    hazard_calculation_id: int | None = None
    taxonomy_mapping_csv: Path | None = None
    region: np.ndarray | None = None
    lrem_steps_per_interval: int = 0
    steps_per_interval: int = 1
    time_event: str = "avg"
    ignore_covs: bool = False
    continuous_fragility_discretization: int = 20
    # disaggregation (parsed by _disagg_params)
    poes_disagg: tuple[float, ...] = ()
    iml_disagg: dict[str, float] = field(default_factory=dict)
    mag_bin_width: float | None = None
    distance_bin_width: float | None = None
    coordinate_bin_width: float | None = None
    num_epsilon_bins: int = 1
    disagg_outputs: tuple[str, ...] = ()
    epsilon_star: bool = False
    disagg_bin_edges: dict[str, Any] = field(default_factory=dict)

    @property
    def imts(self) -> list[Any]:
        """The intensity measure types as :class:`toolkit.engine.hazard.imt.IMT` objects."""
        from toolkit.engine.hazard.imt import from_string

        return [from_string(name) for name in self.imtls]

    @property
    def imtls_by_imt(self) -> dict[Any, np.ndarray]:
        """``imtls`` keyed by :class:`~toolkit.engine.hazard.imt.IMT` objects."""
        return dict(zip(self.imts, self.imtls.values(), strict=True))

    @property
    def vs30measured(self) -> bool:
        return self.reference_vs30_type == "measured"

    def where(self, key: str) -> str:
        """``"<job.ini> line <n>"`` for ``key`` (just the file when the key is absent)."""
        line = self.lines.get(key)
        return f"{self.job_ini} line {line}" if line else str(self.job_ini)

    def max_distance(self, trt: str) -> float:
        """The maximum distance (km) for a tectonic region type."""
        return self.maximum_distance.get(trt, self.maximum_distance.get("default", math.inf))

    def min_magnitude(self, trt: str) -> float:
        """The minimum magnitude for a tectonic region type."""
        return self.minimum_magnitude.get(trt, self.minimum_magnitude.get("default", 0.0))


# --------------------------------------------------------------------------- INI syntax
def parse_ini(path: str | Path) -> tuple[dict[str, str], dict[str, int]]:
    """Read the ``key = value`` pairs of an INI file, ignoring sections.

    Returns
    -------
    values : dict of str -> str
        Lower-case key -> value (continuation lines joined with newlines, stripped).
    lines : dict of str -> int
        Line of each key.

    Raises
    ------
    InputError
        Missing file, a line that is not ``key = value``, or a key given twice.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: job file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    values: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    current: str | None = None
    key_indent = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            if current is not None:
                values[current].append("")
            continue
        if stripped[0] in "#;":
            continue
        indent = len(line) - len(line.lstrip())
        if indent > key_indent and current is not None:  # a continuation line (configparser)
            values[current].append(stripped)
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = None
            continue
        match = re.match(r"^([^=:]+?)\s*[=:]\s*(.*)$", stripped)
        if match is None:
            raise InputError(f"{path} line {number}: expected 'key = value' or a [section], "
                             f"got {stripped!r}")
        key = match.group(1).strip().lower()
        if key in lines:
            raise InputError(f"{path} line {number}: {key} is given twice (also on line "
                             f"{lines[key]})")
        values[key] = [match.group(2).strip()]
        lines[key] = number
        current = key
        key_indent = indent
    return {k: "\n".join(v).strip() for k, v in values.items()}, lines


# --------------------------------------------------------------------------- literals
def logscale(start: float, stop: float, num: int) -> np.ndarray:
    """``num`` levels from ``start`` to ``stop`` equally spaced in logarithm.

    Computed as ``start * exp(k * ln(stop / start) / (num - 1))`` for ``k = 0 .. num-1``, which
    reproduces the levels OpenQuake 3.26.2 stores for ``logscale(.001, 5, 20)`` to the last bit.
    """
    return start * np.exp(np.arange(num) * math.log(stop / start) / (num - 1))


def linscale(start: float, stop: float, num: int) -> np.ndarray:
    """``num`` levels from ``start`` to ``stop`` equally spaced."""
    return np.linspace(start, stop, num)


_SCALES = {"logscale": logscale, "linscale": linscale}


class _LiteralError(Exception):
    def __init__(self, message: str, lineno: int = 1) -> None:
        super().__init__(message)
        self.lineno = lineno


def _literal(node: ast.AST) -> Any:
    """Evaluate a whitelisted literal AST: numbers, strings, lists, tuples, dicts, scales."""
    lineno = getattr(node, "lineno", 1)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _literal(node.operand)
        if isinstance(value, int | float):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(elt) for elt in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise _LiteralError("'**' is not allowed", lineno)
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name not in _SCALES:
            raise _LiteralError(f"unknown function {name}(); only logscale() and linscale() "
                                "are allowed", lineno)
        if node.keywords or len(node.args) != 3:
            raise _LiteralError(f"{name}() takes three arguments (start, stop, number)", lineno)
        start, stop, num = (_literal(arg) for arg in node.args)
        if not all(isinstance(x, int | float) for x in (start, stop, num)):
            raise _LiteralError(f"{name}() arguments must be numbers", lineno)
        if not (isinstance(num, int) and num >= 2):
            raise _LiteralError(f"{name}() needs an integer number of levels >= 2, got {num}",
                                lineno)
        if name == "logscale" and not 0 < start < stop:
            raise _LiteralError(f"logscale({start}, {stop}, {num}) needs 0 < start < stop",
                                lineno)
        if name == "linscale" and not start < stop:
            raise _LiteralError(f"linscale({start}, {stop}, {num}) needs start < stop", lineno)
        return _SCALES[name](float(start), float(stop), num)
    raise _LiteralError(f"unexpected {type(node).__name__.lower()} expression "
                        f"({ast.unparse(node)!r})", lineno)


# --------------------------------------------------------------------------- reader
class _Reader:
    """Typed access to the raw values, with errors naming file, line and key."""

    def __init__(self, path: Path, values: dict[str, str], lines: dict[str, int]) -> None:
        self.path = path
        self.values = values
        self.lines = lines
        self.input_dir = path.resolve().parent

    def where(self, key: str) -> str:
        line = self.lines.get(key)
        return f"{self.path} line {line}" if line else str(self.path)

    def fail(self, key: str, expected: str) -> InputError:
        value = self.values.get(key, "")
        return InputError(f"{self.where(key)}: {key} must be {expected}, got {value!r}")

    def text(self, key: str) -> str | None:
        value = self.values.get(key)
        return value if value else None

    def number(self, key: str, *, default: float | None = None, positive: bool = False,
               nonnegative: bool = False) -> float | None:
        value = self.text(key)
        if value is None:
            return default
        expected = ("a positive number" if positive
                    else "a non-negative number" if nonnegative else "a number")
        try:
            result = float(value)
        except ValueError:
            raise self.fail(key, expected) from None
        if not math.isfinite(result) or (positive and result <= 0) or (
            nonnegative and result < 0
        ):
            raise self.fail(key, expected)
        return result

    def integer(self, key: str, *, default: int | None = None, minimum: int | None = None
                ) -> int | None:
        value = self.text(key)
        if value is None:
            return default
        expected = "an integer" if minimum is None else f"an integer >= {minimum}"
        try:
            result = int(value)
        except ValueError:
            raise self.fail(key, expected) from None
        if minimum is not None and result < minimum:
            raise self.fail(key, expected)
        return result

    def boolean(self, key: str, default: bool | None) -> bool | None:
        value = self.text(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise self.fail(key, "true or false")

    def floats(self, key: str, low: float, high: float, *, open_low: bool,
               open_high: bool) -> tuple[float, ...]:
        value = self.text(key)
        if value is None:
            return ()
        lo, hi = ("(" if open_low else "["), (")" if open_high else "]")
        expected = f"a list of numbers in {lo}{low:g}, {high:g}{hi}"
        try:
            items = [float(x) for x in _SPLIT.split(value) if x]
        except ValueError:
            raise self.fail(key, expected) from None
        for x in items:
            if not (low < x if open_low else low <= x) or not (x < high if open_high
                                                               else x <= high):
                raise self.fail(key, expected)
        return tuple(items)

    def path_(self, key: str, *, must_exist: bool = True) -> Path | None:
        value = self.text(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.input_dir / path
        if must_exist and not path.exists():
            raise InputError(f"{self.where(key)}: {key} refers to a missing file: {path}")
        return path

    def literal(self, key: str) -> Any:
        value = self.values[key]
        try:
            tree = ast.parse(value, mode="eval")
        except SyntaxError as exc:
            line = self.lines[key] + (exc.lineno or 1) - 1
            raise InputError(f"{self.path} line {line}: {key} is not a valid literal "
                             f"({exc.msg}): {value!r}") from None
        try:
            return _literal(tree.body)
        except _LiteralError as exc:
            line = self.lines[key] + exc.lineno - 1
            raise InputError(f"{self.path} line {line}: {key}: {exc}") from None

    def dict_(self, key: str) -> dict[str, Any] | None:
        """A dict literal with string keys, or None when absent or empty."""
        if self.text(key) is None:
            return None
        data = self.literal(key)
        if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
            raise self.fail(key, "a dict literal with string keys, like {'name': value}")
        return data

    def number_or_dict(self, key: str, what: str,
                       canonical: Callable[[str], str] = str) -> dict[str, float]:
        """A non-negative number (stored under ``"default"``) or a dict ``{what: number}``
        (``minimum_intensity``, ``minimum_asset_loss``); ``canonical`` normalises the keys
        and may raise :class:`InputError` for an unknown one."""
        value = self.text(key)
        if value is None:
            return {}
        expected = f"a non-negative number or a dict {{{what}: number}}"
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None:
            if not math.isfinite(number) or number < 0:
                raise self.fail(key, expected)
            return {"default": number}
        data = self.literal(key)
        if not isinstance(data, dict):
            raise self.fail(key, expected)
        out = {}
        for name, x in data.items():
            if (not isinstance(name, str) or not isinstance(x, int | float)
                    or isinstance(x, bool) or not math.isfinite(x) or x < 0):
                raise self.fail(key, expected)
            try:
                out["default" if name == "default" else canonical(name)] = float(x)
            except InputError as exc:
                raise InputError(f"{self.where(key)}: {key}: {exc}") from None
        return out

    def minimum_intensity(self) -> dict[str, float]:
        """``minimum_intensity``: a number for every IMT or a dict IMT -> number."""
        from toolkit.engine.hazard.imt import from_string

        return self.number_or_dict("minimum_intensity", "IMT",
                                   lambda name: str(from_string(name)))

    # ------------------------------------------------------------------ structured values
    def sites(self) -> np.ndarray | None:
        value = self.text("sites")
        if value is None:
            return None
        rows = []
        for number, item in enumerate(value.replace("\n", " ").split(","), start=1):
            parts = item.split()
            try:
                coords = [float(x) for x in parts]
            except ValueError:
                coords = []
            if len(coords) not in (2, 3) or not all(map(math.isfinite, coords)):
                raise InputError(f"{self.where('sites')}: sites entry {number} ({item.strip()!r}) "
                                 "must be 'lon lat' or 'lon lat depth'")
            lon, lat = coords[:2]
            if abs(lon) > 180 or abs(lat) > 90:
                raise InputError(f"{self.where('sites')}: sites entry {number} ({item.strip()!r}) "
                                 "is out of range (lon in [-180, 180], lat in [-90, 90])")
            rows.append(coords + [0.0] * (3 - len(coords)))
        return np.array(rows, dtype=float).reshape(-1, 3)

    def imtls(self, mode: str) -> dict[str, np.ndarray]:
        from toolkit.engine.hazard.imt import from_string

        out: dict[str, np.ndarray] = {}
        key = "intensity_measure_types_and_levels"
        if self.text(key) is not None:
            data = self.literal(key)
            if not isinstance(data, dict) or not data:
                raise self.fail(key, 'a non-empty dict like {"PGA": [0.1, 0.2], ...}')
            for name, levels in data.items():
                if not isinstance(name, str):
                    raise InputError(f"{self.where(key)}: {key}: IMT names must be strings, "
                                     f"got {name!r}")
                try:
                    imt = str(from_string(name))
                except InputError as exc:
                    raise InputError(f"{self.where(key)}: {key}: {exc}") from None
                if imt in out:
                    raise InputError(f"{self.where(key)}: {key}: {name!r} duplicates {imt!r}")
                out[imt] = self._levels(key, name, levels)
        other = self.text("intensity_measure_types")
        if other is not None:
            names = []
            for name in (x for x in _SPLIT.split(other) if x):
                try:
                    names.append(str(from_string(name)))
                except InputError as exc:
                    raise InputError(f"{self.where('intensity_measure_types')}: "
                                     f"intensity_measure_types: {exc}") from None
            if out and set(names) != set(out):
                raise InputError(
                    f"{self.where('intensity_measure_types')}: intensity_measure_types "
                    f"{names} differ from the IMTs of intensity_measure_types_and_levels "
                    f"{list(out)}; give only one of the two")
            if not out:
                if mode in _CURVE_MODES:
                    raise InputError(
                        f"{self.where('intensity_measure_types')}: calculation_mode {mode!r} "
                        "needs intensity measure levels: use intensity_measure_types_and_levels"
                        " instead of intensity_measure_types")
                out = {name: np.empty(0) for name in names}
        return _by_period(out)

    def _levels(self, key: str, name: str, levels: Any) -> np.ndarray:
        where = f"{self.where(key)}: {key}[{name!r}]"
        if isinstance(levels, int | float):
            levels = [levels]
        if not isinstance(levels, list | np.ndarray) or not all(
            isinstance(x, int | float | np.floating) and not isinstance(x, bool) for x in levels
        ):
            raise InputError(f"{where} must be a list of numbers or logscale(a, b, n), "
                             f"got {levels!r}")
        arr = np.asarray(levels, dtype=float)
        if arr.size == 0:
            raise InputError(f"{where}: the list of intensity measure levels is empty")
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise InputError(f"{where}: intensity measure levels must be positive, got "
                             f"{arr.tolist()}")
        if np.any(np.diff(arr) <= 0):
            raise InputError(f"{where}: intensity measure levels must be strictly increasing, "
                             f"got {arr.tolist()}")
        return arr

    def per_trt(self, key: str, *, default: float | None, positive: bool) -> dict[str, float]:
        """A float, or a dict of tectonic region type -> float (``maximum_distance`` style)."""
        value = self.text(key)
        if value is None:
            return {} if default is None else {"default": default}
        bound = "a positive number" if positive else "a non-negative number"
        expected = f"{bound} or a dict {{tectonic region type: number}}"

        def check(x: Any) -> float:
            if isinstance(x, list):
                raise InputError(f"{self.where(key)}: {key}: magnitude-dependent values "
                                 f"(lists of (magnitude, value) pairs) are not supported yet")
            if not isinstance(x, int | float) or isinstance(x, bool) or not math.isfinite(x) or (
                x <= 0 if positive else x < 0
            ):
                raise self.fail(key, expected)
            return float(x)

        try:
            return {"default": check(float(value))}
        except ValueError:
            pass
        data = self.literal(key)
        if not isinstance(data, dict) or not data:
            check(data)
            raise self.fail(key, expected)
        out = {}
        for trt, x in data.items():
            if not isinstance(trt, str):
                raise self.fail(key, expected)
            out[trt] = check(x)
        return out


def _by_period(imtls: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The IMTs in the order OpenQuake gives them in every output: by increasing period
    (0 for PGA, PGV and the other IMTs without one, 1/f for ``EAS(f)``), the IMTs of equal
    period in the order of the job file (a stable sort; measured with OpenQuake 3.26 on
    hazard-map, UHS and ``gmv_*`` columns: ``SA(1.0), PGV, SA(0.1), PGA`` gives
    ``PGV, PGA, SA(0.1), SA(1.0)``)."""
    from toolkit.engine.hazard.imt import from_string

    return dict(sorted(imtls.items(), key=lambda item: from_string(item[0]).period))


def _warn_unknown(path: Path, key: str, line: int) -> None:
    close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    warnings.warn(f"{path} line {line}: unknown parameter {key!r} is ignored{hint}",
                  JobIniWarning, stacklevel=3)


def read_job_ini(
    path: str | Path,
    *,
    modes: Iterable[str] | None = None,
    overrides: dict[str, str] | None = None,
) -> JobParams:
    """Read and validate an OpenQuake job.ini.

    Parameters
    ----------
    path : str or Path
        The job file. Relative paths inside it are relative to its directory.
    modes : iterable of str, optional
        Accepted calculation modes (default :data:`CALCULATION_MODES`).
    overrides : dict of str -> str, optional
        Values that replace (or add to) the file's, as text, e.g.
        ``{"hazard_calculation_id": "3"}`` (OpenQuake's ``--hc`` and ``hazard_job_id``).

    Returns
    -------
    JobParams

    Raises
    ------
    InputError
        Malformed lines, invalid values, missing required keys, missing referenced files; the
        message names the file, the line, the key and what was expected.
    UnknownName
        Unknown ``calculation_mode``.

    Warns
    -----
    JobIniWarning
        For each unknown key (with the closest known key, if any).
    """
    path = Path(path)
    values, lines = parse_ini(path)
    for key, value in (overrides or {}).items():  # e.g. the server's hazard_job_id
        values[key.lower()] = str(value)
        lines.pop(key.lower(), None)
    for key, line in lines.items():
        if key not in KNOWN_KEYS and not _RISK_FILE.match(key):
            _warn_unknown(path, key, line)
    r = _Reader(path, values, lines)

    known_modes = tuple(modes) if modes is not None else CALCULATION_MODES
    mode = r.text("calculation_mode")
    if mode is None:
        raise InputError(f"{path}: missing calculation_mode (one of {', '.join(known_modes)})")
    if mode not in known_modes:
        close = difflib.get_close_matches(mode, known_modes, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownName(f"{r.where('calculation_mode')}: unknown calculation_mode {mode!r}"
                          f"{hint} (known modes: {', '.join(known_modes)})")

    samples = r.integer("number_of_logic_tree_samples", default=0, minimum=0)

    vs30_type = (r.text("reference_vs30_type") or "inferred").lower()
    if vs30_type not in ("measured", "inferred"):
        raise r.fail("reference_vs30_type", "'measured' or 'inferred'")

    gsim = r.text("gsim")
    if gsim == "[FromFile]":
        gsim = None
    gsim_lt = r.path_("gsim_logic_tree_file")
    if gsim is not None and gsim_lt is not None:
        raise InputError(f"{r.where('gsim')}: give either gsim or gsim_logic_tree_file "
                         f"(line {lines['gsim_logic_tree_file']}), not both")

    quantiles = r.floats("quantiles", 0, 1, open_low=False, open_high=False)
    if "quantile_hazard_curves" in values:
        if quantiles:
            raise InputError(f"{r.where('quantile_hazard_curves')}: give either quantiles or "
                             "quantile_hazard_curves (the same parameter), not both")
        quantiles = r.floats("quantile_hazard_curves", 0, 1, open_low=False, open_high=False)
    mean = r.boolean("mean", None)
    mean_old = r.boolean("mean_hazard_curves", None)
    if mean is not None and mean_old is not None and mean != mean_old:
        raise InputError(f"{r.where('mean')}: mean and mean_hazard_curves disagree")
    individual = r.boolean("individual_rlzs", None)
    if individual is None:
        individual = r.boolean("individual_curves", None)
    poes = r.floats("poes", 0, 1, open_low=True, open_high=True)

    export_dir = r.path_("export_dir", must_exist=False)
    params = JobParams(
        job_ini=path,
        input_dir=r.input_dir,
        raw=dict(values),
        lines=dict(lines),
        calculation_mode=mode,
        description=r.text("description") or "no description",
        random_seed=r.integer("random_seed", default=42),
        number_of_logic_tree_samples=samples or 0,
        rupture_mesh_spacing=r.number("rupture_mesh_spacing", default=5.0, positive=True),
        width_of_mfd_bin=r.number("width_of_mfd_bin", positive=True),
        area_source_discretization=r.number("area_source_discretization", positive=True),
        shift_hypo=r.boolean("shift_hypo", False),
        sites=r.sites(),
        sites_csv=r.path_("sites_csv"),
        reference_vs30_type=vs30_type,
        reference_vs30_value=r.number("reference_vs30_value", positive=True),
        reference_depth_to_1pt0km_per_sec=_basin_depth(r, "reference_depth_to_1pt0km_per_sec"),
        reference_depth_to_2pt5km_per_sec=_basin_depth(r, "reference_depth_to_2pt5km_per_sec"),
        source_model_logic_tree_file=r.path_("source_model_logic_tree_file"),
        gsim_logic_tree_file=gsim_lt,
        gsim=gsim,
        investigation_time=r.number("investigation_time", positive=True),
        imtls=r.imtls(mode),
        truncation_level=r.number("truncation_level", nonnegative=True),
        maximum_distance=_with_default(r.per_trt("maximum_distance", default=None,
                                                 positive=True), use_max=True),
        minimum_magnitude=_with_default(r.per_trt("minimum_magnitude", default=0.0,
                                                  positive=False), use_max=False),
        minimum_distance=r.number("minimum_distance", default=0.0, nonnegative=True),
        maximum_rupture_depth=r.per_trt("maximum_rupture_depth", default=None, positive=True),
        mean=True if mean is None and mean_old is None else bool(mean or mean_old),
        quantiles=quantiles,
        poes=poes,
        uniform_hazard_spectra=bool(r.boolean("uniform_hazard_spectra", False)),
        hazard_maps=bool(r.boolean("hazard_maps", False)),
        individual_rlzs=individual,
        export_dir=export_dir,
        concurrent_tasks=r.integer("concurrent_tasks", minimum=0),
        max_sites_disagg=r.integer("max_sites_disagg", default=10, minimum=1),
        source_nodes=tuple(x for x in _SPLIT.split(values.get("source_nodes", "")) if x),
        minimum_engine_version=r.text("minimum_engine_version"),
        ses_seed=r.integer("ses_seed", default=42),
        master_seed=r.integer("master_seed", default=123456789),
        number_of_ground_motion_fields=r.integer("number_of_ground_motion_fields"),
        rupture_model_file=r.path_("rupture_model_file"),
        rupture_dict=r.dict_("rupture_dict"),
        ses_per_logic_tree_path=r.integer("ses_per_logic_tree_path", default=1, minimum=1),
        ground_motion_fields=bool(r.boolean("ground_motion_fields", True)),
        hazard_curves_from_gmfs=bool(r.boolean("hazard_curves_from_gmfs", False)),
        ground_motion_correlation_model=r.text("ground_motion_correlation_model"),
        ground_motion_correlation_params=r.dict_("ground_motion_correlation_params") or {},
        minimum_intensity=r.minimum_intensity(),
        **_risk_params(r),
        **_disagg_params(r),
    )
    _check_requirements(params, r)
    _check_not_implemented(values, r)
    r.number("region_grid_spacing", positive=True)  # km; the grid: toolkit.io.sites
    r.number("max_site_model_distance", positive=True)  # km
    if values.get("site_model_file"):
        for token in values["site_model_file"].split():
            site_model = Path(token) if Path(token).is_absolute() else r.input_dir / token
            if not site_model.exists():
                raise InputError(f"{r.where('site_model_file')}: site_model_file refers to a "
                                 f"missing file: {site_model}")
    return params


def _basin_depth(r: _Reader, key: str) -> float | None:
    """A reference basin depth: a non-negative number, or ``-999`` (OpenQuake's "unknown",
    read as None: the GSIMs estimate the depth from vs30)."""
    value = r.number(key)
    if value == -999:
        return None
    if value is not None and value < 0:
        raise r.fail(key, "a non-negative number or -999 (unknown)")
    return value


def _with_default(values: dict[str, float], *, use_max: bool) -> dict[str, float]:
    """Add the ``"default"`` entry: the largest value (as OpenQuake 3.26.2 stores
    ``maximum_distance``) or 0 (no magnitude cut) when absent."""
    if not values or "default" in values:
        return values
    return {**values, "default": max(values.values()) if use_max else 0.0}


#: calculation modes of the risk calculators (they need an exposure and a risk model)
RISK_MODES = ("scenario_damage", "scenario_risk", "event_based_risk", "classical_risk",
              "classical_damage")
_DAMAGE_MODES = frozenset({"scenario_damage", "classical_damage"})


def _risk_files(r: _Reader) -> dict[str, dict[str, Path]]:
    """``{kind: {loss_type: path}}`` of the ``<loss_type>_<kind>_file`` keys."""
    out: dict[str, dict[str, Path]] = {}
    for key in r.values:
        match = _RISK_FILE.match(key)
        if match:
            kind = match.group(1)
            loss_type = key[: -len(f"_{kind}_file")]
        elif key in ("fragility_file", "vulnerability_file", "consequence_file"):
            kind, loss_type = key[: -len("_file")], "structural"
        else:
            continue
        path = r.path_(key, must_exist=False)
        if path is None:
            continue
        files = out.setdefault(kind, {})
        if loss_type in files:
            raise InputError(f"{r.where(key)}: {key}: the {kind} model of loss type "
                             f"{loss_type!r} is given twice")
        files[loss_type] = path
    return out


def _polygon(r: _Reader, key: str) -> np.ndarray | None:
    """A polygon ``lon lat, lon lat, ...`` (at least 3 vertices) as an (n, 2) array."""
    value = r.text(key)
    if value is None:
        return None
    rows = []
    for number, item in enumerate(value.replace("\n", " ").split(","), start=1):
        try:
            coords = [float(x) for x in item.split()]
        except ValueError:
            coords = []
        if len(coords) != 2 or not all(map(math.isfinite, coords)):
            raise InputError(f"{r.where(key)}: {key} vertex {number} ({item.strip()!r}) must "
                             "be 'lon lat'")
        if abs(coords[0]) > 180 or abs(coords[1]) > 90:
            raise InputError(f"{r.where(key)}: {key} vertex {number} ({item.strip()!r}) is "
                             "out of range (lon in [-180, 180], lat in [-90, 90])")
        rows.append(coords)
    if len(rows) < 3:
        raise InputError(f"{r.where(key)}: {key} must be a polygon of at least 3 vertices "
                         f"'lon lat, lon lat, lon lat', got {len(rows)}")
    return np.array(rows, dtype=float)


def _aggregate_by(r: _Reader) -> tuple[tuple[str, ...], ...]:
    """``taxonomy, OCC; NAME_1`` -> ``(("taxonomy", "OCC"), ("NAME_1",))``."""
    value = r.text("aggregate_by")
    if value is None:
        return ()
    groups = []
    for part in value.split(";"):
        tags = tuple(t for t in _SPLIT.split(part.strip()) if t)
        if not tags:
            raise r.fail("aggregate_by", "tag names separated by commas, groups by semicolons "
                         "(e.g. 'taxonomy, OCC; NAME_1')")
        if len(set(tags)) != len(tags):
            raise InputError(f"{r.where('aggregate_by')}: aggregate_by repeats a tag in "
                             f"{', '.join(tags)}")
        if tags in groups:
            raise InputError(f"{r.where('aggregate_by')}: aggregate_by gives "
                             f"{', '.join(tags)} twice")
        groups.append(tags)
    return tuple(groups)


def _loss_dict(r: _Reader, key: str) -> dict[str, float]:
    """A non-negative number (for every loss type) or a dict loss type -> number."""
    return r.number_or_dict(key, "loss_type")


def _return_periods(r: _Reader) -> tuple[float, ...]:
    key = "return_periods"
    value = r.text(key)
    if value is None:
        return ()
    expected = "a list of distinct positive numbers (years), e.g. [10, 50, 100, 500]"
    text = value.strip()
    try:
        items = (r.literal(key) if text.startswith(("[", "("))
                 else [float(x) for x in _SPLIT.split(text) if x])
    except ValueError:
        raise r.fail(key, expected) from None
    if not isinstance(items, list) or not items or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in items):
        raise r.fail(key, expected)
    periods = [float(x) for x in items]
    if any(not math.isfinite(x) or x <= 0 for x in periods) or len(set(periods)) != len(
            periods):
        raise r.fail(key, expected)
    return tuple(sorted(periods))


def _distance(r: _Reader, key: str, default: float) -> float:
    """A positive number, or a dict whose ``default`` (else largest) entry is taken."""
    values = r.per_trt(key, default=default, positive=True)
    return values.get("default", max(values.values()))


def _risk_params(r: _Reader) -> dict[str, Any]:
    """The typed risk parameters of :class:`JobParams`."""
    exposure = []
    for token in (r.text("exposure_file") or "").split():
        path = Path(token).expanduser()
        exposure.append(path if path.is_absolute() else r.input_dir / path)
    if r.text("gmfs_file") is not None and r.text("gmfs_csv") is not None:
        raise InputError(f"{r.where('gmfs_csv')}: give either gmfs_file or gmfs_csv (the same "
                         "parameter), not both")
    gmfs = r.path_("gmfs_file", must_exist=False) or r.path_("gmfs_csv", must_exist=False)
    correlation = r.number("asset_correlation", default=0.0, nonnegative=True)
    if correlation > 1:
        raise r.fail("asset_correlation", "a number in [0, 1] (0 or 1 in OpenQuake)")
    time_event = r.text("time_event") or "avg"
    return {
        "exposure_file": tuple(exposure),
        "risk_files": _risk_files(r),
        "asset_hazard_distance": _distance(r, "asset_hazard_distance", 15.0),
        "discrete_damage_distribution": bool(r.boolean("discrete_damage_distribution", False)),
        "modal_damage_state": bool(r.boolean("modal_damage_state", False)),
        "gmfs_file": gmfs,
        "minimum_asset_loss": _loss_dict(r, "minimum_asset_loss"),
        "aggregate_by": _aggregate_by(r),
        "return_periods": _return_periods(r),
        "risk_investigation_time": r.number("risk_investigation_time", positive=True),
        "asset_correlation": correlation,
        "hazard_calculation_id": r.integer("hazard_calculation_id", minimum=1),
        "taxonomy_mapping_csv": r.path_("taxonomy_mapping_csv", must_exist=False),
        "region": _polygon(r, "region"),
        "lrem_steps_per_interval": r.integer("lrem_steps_per_interval", default=0, minimum=0),
        "steps_per_interval": r.integer("steps_per_interval", default=1, minimum=1),
        "time_event": time_event,
        "ignore_covs": bool(r.boolean("ignore_covs", False)),
        "continuous_fragility_discretization": r.integer(
            "continuous_fragility_discretization", default=20, minimum=2),
    }


def check_risk_requirements(p: JobParams) -> None:
    """Check the keys and files that a risk calculation mode needs.

    Called when the inputs of a risk calculation are built (not by :func:`read_job_ini`, so
    that a risk job can be read for its hazard parameters alone).

    Raises
    ------
    InputError
        A missing key (the exposure, the fragility or vulnerability model of the mode, where
        the ground motion comes from, the hazard parameters), conflicting keys, or a file that
        does not exist (naming the job file, the line and the key).
    """
    mode = p.calculation_mode
    path = p.job_ini
    if mode not in RISK_MODES:
        raise InputError(f"{p.where('calculation_mode')}: {mode!r} is not a risk calculation "
                         f"mode ({', '.join(RISK_MODES)})")

    def missing(key: str, why: str) -> InputError:
        return InputError(f"{path}: missing {key} ({why}); required for calculation_mode "
                          f"{mode!r}")

    if not p.exposure_file:
        raise missing("exposure_file", "the exposure model: the assets at risk")
    kind = "fragility" if mode in _DAMAGE_MODES else "vulnerability"
    if not p.risk_files.get(kind):
        given = [f"{lt}_{k}_file" for k, files in p.risk_files.items() for lt in files]
        also = f"; the job gives only {', '.join(given)}" if given else ""
        raise missing(f"structural_{kind}_file",
                      f"or another <loss_type>_{kind}_file: the {kind} model{also}")
    from_parent = p.hazard_calculation_id is not None
    if mode.startswith("scenario"):
        rupture = p.rupture_model_file is not None or p.rupture_dict is not None
        sources = [name for name, given in (("gmfs_file", p.gmfs_file is not None),
                                            ("rupture_model_file", rupture),
                                            ("hazard_calculation_id", from_parent)) if given]
        if not sources:
            raise missing("gmfs_file", "or rupture_model_file, or hazard_calculation_id: "
                          "where the ground motion comes from")
        if len(sources) > 1:
            raise InputError(f"{path}: give only one of gmfs_file, rupture_model_file and "
                             f"hazard_calculation_id (the job gives {', '.join(sources)})")
        if rupture:
            if p.rupture_model_file is not None and p.rupture_dict is not None:
                raise InputError(f"{p.where('rupture_dict')}: give either rupture_model_file "
                                 "or rupture_dict, not both")
            if p.gsim is None and p.gsim_logic_tree_file is None:
                raise missing("gsim", "or gsim_logic_tree_file: the ground-motion models")
            if p.number_of_ground_motion_fields is None:
                raise missing("number_of_ground_motion_fields",
                              "GMFs per ground-motion model")
    elif not from_parent:
        if p.source_model_logic_tree_file is None:
            raise missing("source_model_logic_tree_file", "the source-model logic tree, or "
                          "hazard_calculation_id")
        if p.gsim is None and p.gsim_logic_tree_file is None:
            raise missing("gsim_logic_tree_file", "or gsim: the ground-motion models")
        if p.investigation_time is None:
            raise missing("investigation_time", "years")
        if not p.maximum_distance:
            raise missing("maximum_distance", "km")
    computes = not from_parent and p.gmfs_file is None
    if computes and not p.raw.get("site_model_file") and p.reference_vs30_value is None:
        raise missing("reference_vs30_value", "the vs30 of the sites in m/s, or a "
                      "site_model_file")
    n_gmfs = p.number_of_ground_motion_fields
    if n_gmfs is not None and n_gmfs < 1:
        raise InputError(f"{p.where('number_of_ground_motion_fields')}: "
                         f"number_of_ground_motion_fields must be a positive integer, got "
                         f"{n_gmfs}: zero ground-motion fields would compute nothing")
    files = [("exposure_file", f) for f in p.exposure_file]
    files += [(f"{lt}_{kind}_file", f) for kind, by_lt in p.risk_files.items()
              for lt, f in by_lt.items()]
    files += [(key, f) for key, f in (("taxonomy_mapping_csv", p.taxonomy_mapping_csv),
                                      ("gmfs_csv" if "gmfs_csv" in p.raw else "gmfs_file",
                                       p.gmfs_file)) if f is not None]
    for key, file in files:
        if key not in p.raw:  # fragility_file alone means structural_fragility_file
            key = key.split("_", 1)[1]
        if not file.is_file():
            raise InputError(f"{p.where(key)}: {key} refers to a missing file: {file}")


def _check_requirements(p: JobParams, r: _Reader) -> None:
    """Keys that the calculation mode needs."""
    mode = p.calculation_mode
    path = p.job_ini

    def missing(key: str, why: str) -> InputError:
        return InputError(f"{path}: missing {key} ({why}); required for calculation_mode "
                          f"{mode!r}")

    if mode in _SOURCE_MODES:
        if p.source_model_logic_tree_file is None:
            raise missing("source_model_logic_tree_file", "the source-model logic tree")
        if p.gsim is None and p.gsim_logic_tree_file is None:
            raise missing("gsim_logic_tree_file", "or gsim: the ground-motion models")
        if p.investigation_time is None:
            raise missing("investigation_time", "years")
        if not p.imtls and not p.iml_disagg:
            raise missing("intensity_measure_types_and_levels", "IMTs and their levels")
        if not p.maximum_distance:
            raise missing("maximum_distance", "km")
    if mode in _SITE_MODES and not r.text("site_model_file"):
        if p.reference_vs30_value is None:
            raise missing("reference_vs30_value", "the vs30 of the sites in m/s, or a "
                          "site_model_file")
        if p.sites is None and p.sites_csv is None and not r.text("region"):
            raise missing("sites", "'lon lat, lon lat, ...', or sites_csv")
    if mode == "scenario":
        if p.rupture_model_file is None and p.rupture_dict is None:
            raise missing("rupture_model_file", "or rupture_dict: the scenario rupture")
        if p.rupture_model_file is not None and p.rupture_dict is not None:
            raise InputError(f"{p.where('rupture_dict')}: give either rupture_model_file or "
                             "rupture_dict, not both")
        if p.gsim is None and p.gsim_logic_tree_file is None:
            raise missing("gsim", "or gsim_logic_tree_file: the ground-motion models")
        if not p.imtls:
            raise missing("intensity_measure_types", "the IMTs of the ground-motion fields")
        if p.number_of_ground_motion_fields is None:
            raise missing("number_of_ground_motion_fields", "GMFs per ground-motion model")
    if mode in ("scenario", "event_based"):
        n_gmfs = p.number_of_ground_motion_fields
        if n_gmfs is not None and n_gmfs < 1:
            raise InputError(f"{p.where('number_of_ground_motion_fields')}: "
                             f"number_of_ground_motion_fields must be a positive integer, got "
                             f"{n_gmfs}: zero ground-motion fields would compute nothing")
        if p.hazard_curves_from_gmfs and any(len(v) == 0 for v in p.imtls.values()):
            raise InputError(f"{p.where('hazard_curves_from_gmfs')}: hazard_curves_from_gmfs "
                             "needs intensity measure levels: use "
                             "intensity_measure_types_and_levels")
    if (p.hazard_maps or p.uniform_hazard_spectra) and not p.poes:
        key = "hazard_maps" if p.hazard_maps else "uniform_hazard_spectra"
        raise InputError(f"{p.where(key)}: {key} = true needs poes (probabilities of "
                         "exceedance in the investigation time)")


def _disagg_params(r: _Reader) -> dict[str, Any]:
    """The disaggregation keys (``poes_disagg``, ``iml_disagg``, bin widths, outputs)."""
    from toolkit.engine.hazard.imt import from_string

    out: dict[str, Any] = {"poes_disagg": r.floats("poes_disagg", 0, 1, open_low=True,
                                                    open_high=True)}
    iml = r.dict_("iml_disagg") or {}
    imls: dict[str, float] = {}
    for name, value in iml.items():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
            raise r.fail("iml_disagg", "a dict {IMT: positive level}")
        try:
            imls[str(from_string(name))] = float(value)
        except InputError as exc:
            raise InputError(f"{r.where('iml_disagg')}: iml_disagg: {exc}") from None
    if imls and out["poes_disagg"]:
        raise InputError(f"{r.where('iml_disagg')}: give either iml_disagg or poes_disagg "
                         f"(line {r.lines['poes_disagg']}), not both")
    out["iml_disagg"] = imls
    for key in ("mag_bin_width", "distance_bin_width", "coordinate_bin_width"):
        out[key] = r.number(key, positive=True)
    out["num_epsilon_bins"] = r.integer("num_epsilon_bins", default=1, minimum=1)
    out["disagg_outputs"] = tuple(x for x in _SPLIT.split(r.values.get("disagg_outputs", ""))
                                  if x)
    out["epsilon_star"] = bool(r.boolean("epsilon_star", False))
    out["disagg_bin_edges"] = r.dict_("disagg_bin_edges") or {}
    return out


#: job.ini keys that change the results and are not implemented: refused rather than ignored
NOT_IMPLEMENTED = {
    "reqv_file": "equivalent-distance (Rrup/Rjb from repi) tables",
    "amplification_csv": "site amplification functions",
}


def _check_not_implemented(values: dict[str, str], r: _Reader) -> None:
    """Refuse keys whose effect is not implemented (never a silent approximation)."""
    for key, what in NOT_IMPLEMENTED.items():
        if values.get(key, "").strip():
            raise InputError(f"{r.where(key)}: {key} ({what}) is not supported yet")
    from toolkit.io.jobini_unsupported import check_unsupported

    check_unsupported(values, r.where)  # result-changing keys set to a non-default value
