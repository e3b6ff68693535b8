"""GSIM modifiers: a fixed or scaled standard deviation, a scaled median, mixture models.

These wrap a published model and change its output; they are named as OpenQuake names them in
a GSIM logic tree (TOML in ``<uncertaintyModel>``):

``ModifiableGMPE``
    A model with modifications applied after its ``compute``::

        [ModifiableGMPE]
        gmpe.ChiouYoungs2014 = {}
        set_fixed_total_sigma.total_sigma = 0.65

    Modifications (each at most once, applied in the order they are written, as OpenQuake
    applies them):

    * ``set_scale_median_scalar.scaling_factor = f``: median times *f*
      (:math:`\\mu \\to \\mu + \\ln f`);
    * ``set_scale_total_sigma_scalar.scaling_factor = f``: :math:`\\sigma, \\tau, \\phi` times *f*;
    * ``set_fixed_total_sigma.total_sigma = {PGA = s1, "SA(1.0)" = s2}`` (OpenQuake's form,
      one value per IMT; an IMT without a value is an error) or ``= s`` (a toolkit
      shorthand: the same value for every IMT): :math:`\\sigma = s` for every scenario;
      :math:`\\tau, \\phi` become undefined (NaN): the model then has a total standard
      deviation only.
    * ``set_scale_median_vector.scaling_factor = {PGA = f1, ...}`` and
      ``set_scale_total_sigma_vector.scaling_factor = {PGA = f1, ...}``: as the scalar forms
      with one factor per IMT (written as ``[ModifiableGMPE.set_scale_median_vector.
      scaling_factor]`` tables in OpenQuake's examples);
    * ``add_delta_to_total_std_scalar.delta = d`` (and ``_vector`` with one value per IMT):
      :math:`\\sigma \\to \\sqrt{\\sigma^2 + \\mathrm{sign}(d)\\,d^2}`, i.e. the variance
      grows by :math:`d^2` for a positive *d* and shrinks by :math:`d^2` for a negative one
      (an error if it would become negative); :math:`\\tau, \\phi` are unchanged;
    * ``add_delta_to_tau_std_scalar.delta`` / ``add_delta_to_phi_std_scalar.delta`` (and their
      ``_vector`` forms): the same change applied to :math:`\\tau` (or :math:`\\phi`), then
      :math:`\\sigma = \\sqrt{\\tau^2 + \\phi^2}`; the model must give
      :math:`\\tau` and :math:`\\phi`;
    * ``set_between_epsilon.epsilon_tau = e``: the ground motion conditioned on a between-event
      residual of *e* standard deviations: :math:`\\mu \\to \\mu + e\\,\\tau`,
      :math:`\\sigma \\to \\phi`, :math:`\\tau \\to 0` (Al Atik et al. 2010 decomposition
      of the total residual into between- and within-event parts); the model must give
      :math:`\\tau` and :math:`\\phi`.

    Other OpenQuake modifications (``nrcan15_site_term``, ``apply_swiss_amplification``,
    ...) are refused with :class:`UnsupportedParameters`, upon which
    :func:`~toolkit.engine.hazard.gsim.base.get_gsim` hands the whole specification to a GSIM
    plugin (OpenQuake hazardlib's ``ModifiableGMPE`` through the hazardlib bridge) when one is
    installed, and otherwise reports the error.

``ChiouYoungs2014PEER``
    Chiou & Youngs (2014) median with a fixed total standard deviation of 0.65 (ln units),
    the ground-motion model of PEER 2018 Set 2 Case 5 (Hale, Abrahamson & Bozorgnia 2018) and
    OpenQuake's name for it. Same as the ``ModifiableGMPE`` example above.

``mixture_model`` (any GSIM)
    ``[Name.mixture_model]`` with ``factors = [f1, f2, ...]`` and ``weights = [w1, w2, ...]``
    (OpenQuake's syntax) replaces the lognormal distribution of the ground motion by a mixture
    of lognormals with the same median and standard deviations :math:`f_k \\sigma`:

    .. math:: P(Y > x) = \\sum_k w_k\\, Q\\!\\left(\\frac{\\ln x - \\mu}{f_k\\,\\sigma}\\right)

    With ``factors = [0.8, 1.2]`` and ``weights = [0.5, 0.5]`` on ``ChiouYoungs2014PEER``
    this is the PEER 2018 Set 2 Case 5b model,
    :math:`0.5[1 - \\Phi(\\frac{\\ln z - \\mu}{1.2 \\cdot 0.65})] +
    0.5[1 - \\Phi(\\frac{\\ln z - \\mu}{0.8 \\cdot 0.65})]`. With a truncation level *t* each
    component is truncated at :math:`\\pm t` of its own standard deviation and renormalised;
    *t* = 0 gives the median step, as for any GSIM. The model changes the exceedance
    function (:meth:`GMPE.exceedance`); ground-motion fields cannot be sampled from it
    (:func:`toolkit.engine.hazard.gmf.sample_gmfs` refuses it).

References
----------
Chiou, B. S.-J. and Youngs, R. R. (2014). Update of the Chiou and Youngs NGA model for the
average horizontal component of peak ground motion and response spectra. *Earthquake Spectra*
30(3), 1117-1153.
Al Atik, L., Abrahamson, N., Bommer, J. J., Scherbaum, F., Cotton, F. and Kuehn, N. (2010).
The variability of ground-motion prediction models and its components. *Seismological
Research Letters* 81(5), 794-801.
Hale, C., Abrahamson, N. and Bozorgnia, Y. (2018). Probabilistic seismic hazard analysis code
verification. PEER Report 2018/03, Pacific Earthquake Engineering Research Center (Set 2,
test 2.5: fixed sigma 0.65 and the two-normal mixture).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.exceedance import probability_of_exceedance
from toolkit.engine.hazard.gsim.base import GMPE, UnsupportedParameters, add_alias, get_gsim
from toolkit.engine.hazard.imt import IMT, from_string
from toolkit.errors import InputError

__all__ = ["ModifiableGMPE", "MixtureModel", "MODIFICATIONS"]

#: modification -> its one parameter (applied in the order they are written)
MODIFICATIONS = {
    "set_between_epsilon": "epsilon_tau",
    "set_scale_median_scalar": "scaling_factor",
    "set_scale_median_vector": "scaling_factor",
    "set_scale_total_sigma_scalar": "scaling_factor",
    "set_scale_total_sigma_vector": "scaling_factor",
    "set_fixed_total_sigma": "total_sigma",
    "add_delta_to_total_std_scalar": "delta",
    "add_delta_to_total_std_vector": "delta",
    "add_delta_to_tau_std_scalar": "delta",
    "add_delta_to_tau_std_vector": "delta",
    "add_delta_to_phi_std_scalar": "delta",
    "add_delta_to_phi_std_vector": "delta",
}
#: modifications whose value is one number per IMT (a table)
_VECTOR = frozenset(m for m in MODIFICATIONS if m.endswith("_vector"))
#: modifications whose value is any real number (the others take positive numbers)
_SIGNED = frozenset({"set_between_epsilon"} | {m for m in MODIFICATIONS if m.startswith("add_")})
#: modifications that need the between- and within-event standard deviations
_NEEDS_TAU_PHI = frozenset({"set_between_epsilon", "add_delta_to_tau_std_scalar",
                            "add_delta_to_tau_std_vector", "add_delta_to_phi_std_scalar",
                            "add_delta_to_phi_std_vector"})

_COPIED = ("DEFINED_FOR_TECTONIC_REGION_TYPE", "DEFINED_FOR_INTENSITY_MEASURE_TYPES",
           "REQUIRES_SITES_PARAMETERS", "REQUIRES_RUPTURE_PARAMETERS", "REQUIRES_DISTANCES",
           "PERIOD_RANGE")


def _wrap(wrapper: GMPE, inner: GMPE) -> None:
    """Copy the declarations of ``inner`` onto the instance ``wrapper``."""
    for attr in _COPIED:
        setattr(wrapper, attr, getattr(inner, attr))


def _positive(value: Any, what: str, where: str, signed: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {what} must be a number, got {value!r}") from None
    if not math.isfinite(number) or (number <= 0 and not signed):
        raise InputError(f"{where}: {what} must be {'finite' if signed else 'positive'}, "
                         f"got {value!r}")
    return number


def _per_imt(table: Mapping[str, Any], what: str, where: str,
             signed: bool = False) -> dict[str, float]:
    """``{IMT: value}`` with the IMTs in canonical form (``"SA(1)"`` -> ``"SA(1.0)"``)."""
    out = {}
    for key, value in table.items():
        try:
            imt = from_string(str(key))
        except (InputError, ValueError) as exc:
            raise InputError(f"{where}: {what}: {exc}") from None
        out[str(imt)] = _positive(value, f"{what}.{key}", where, signed)
    if not out:
        raise InputError(f"{where}: {what} is an empty table; give one value per IMT")
    return out


class ModifiableGMPE(GMPE):
    """A GSIM with a modified median or standard deviation (OpenQuake's ``ModifiableGMPE``).

    Parameters
    ----------
    gmpe : dict
        One entry ``{GSIMName: {parameters}}``: the model to modify.
    **modifications : dict
        ``set_fixed_total_sigma={"total_sigma": s}``,
        ``set_scale_median_scalar={"scaling_factor": f}``,
        ``add_delta_to_total_std_vector={"delta": {"PGA": d1, ...}}`` ... (the keys of
        :data:`MODIFICATIONS`; see the module docstring).

    Raises
    ------
    UnsupportedParameters
        A modification the toolkit does not implement (a GSIM plugin may take over).
    InputError
        Malformed values; a per-IMT table where a number is expected or the reverse.

    Notes
    -----
    Declared with a total standard deviation only (a fixed total sigma has no inter/intra
    split), so spatial correlation models refuse it. Used for PEER 2018 Set 2 Case 5
    (Hale, Abrahamson & Bozorgnia 2018), on Chiou & Youngs (2014).
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE = "*"
    DEFINED_FOR_INTENSITY_MEASURE_TYPES = frozenset({"PGA", "PGV", "SA"})
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total"})

    def __init__(self, gmpe: Mapping[str, Any] | None = None, **modifications: Any) -> None:
        where = "GSIM ModifiableGMPE"
        if not isinstance(gmpe, Mapping) or len(gmpe) != 1:
            raise InputError(f"{where}: give the model to modify as one 'gmpe.<GSIMName> = "
                             f"{{parameters}}' entry, got gmpe={gmpe!r}")
        name, params = next(iter(gmpe.items()))
        if not isinstance(params, Mapping):
            raise InputError(f"{where}: the parameters of gmpe.{name} must be a table, "
                             f"got {params!r}")
        if "mixture_model" in params:
            raise InputError(f"{where}: put mixture_model on the ModifiableGMPE itself "
                             "('[ModifiableGMPE.mixture_model]'), not on the modified gmpe")
        self.gmpe = get_gsim(str(name), where=f"{where}, gmpe.{name}", **dict(params))
        unknown = sorted(set(modifications) - set(MODIFICATIONS))
        if unknown:
            raise UnsupportedParameters(f"{where}: unknown modification(s) {unknown}; "
                                        f"supported: {list(MODIFICATIONS)}")
        self.modifications: dict[str, float | dict[str, float]] = {}
        for mod, args in modifications.items():  # in the order written
            param = MODIFICATIONS[mod]
            if not isinstance(args, Mapping) or set(args) != {param}:
                raise InputError(f"{where}: {mod} takes one parameter, '{mod}.{param} = "
                                 f"<value>', got {args!r}")
            value = args[param]
            what, signed = f"{mod}.{param}", mod in _SIGNED
            if isinstance(value, Mapping) and (mod in _VECTOR or mod == "set_fixed_total_sigma"):
                self.modifications[mod] = _per_imt(value, what, where, signed)
            elif mod in _VECTOR:
                raise InputError(f"{where}: {what} must be a table with one value per IMT "
                                 f"('[ModifiableGMPE.{what}]' then '\"PGA\" = <value>' lines), "
                                 f"got {value!r}")
            else:
                self.modifications[mod] = _positive(value, what, where, signed)
        _check_tau_phi_order(list(self.modifications), self.gmpe, str(name), where)
        _wrap(self, self.gmpe)
        self.kwargs = {"gmpe": {str(name): dict(params)},
                       **{mod: {MODIFICATIONS[mod]: value}
                          for mod, value in self.modifications.items()}}

    def check_imt(self, imt: IMT) -> None:
        """The wrapped model's check, and a value of every per-IMT modification given for
        ``imt`` (checked when a job is validated, before anything runs)."""
        super().check_imt(imt)
        for mod, table in self.modifications.items():
            if isinstance(table, dict) and str(imt) not in table:
                raise InputError(f"GSIM ModifiableGMPE: {mod}.{MODIFICATIONS[mod]} has no "
                                 f"value for {imt}; it has {sorted(table)}")

    def compute(self, ctx: Context, imts: Sequence[IMT], mean: np.ndarray, sig: np.ndarray,
                tau: np.ndarray, phi: np.ndarray) -> None:
        self.gmpe.compute(ctx, imts, mean, sig, tau, phi)
        for mod, value in self.modifications.items():
            # one value per IMT, shape (M, 1), broadcast over the scenarios
            values = np.array([[_value_for(mod, value, imt)] for imt in imts])
            if mod == "set_between_epsilon":
                mean += values * tau
                sig[:] = phi
                tau[:] = 0.0
            elif mod.startswith("set_scale_median"):
                mean += np.log(values)
            elif mod.startswith("set_scale_total_sigma"):
                sig *= values
                tau *= values
                phi *= values
            elif mod.startswith("add_delta_to_total_std"):
                sig[:] = _add_delta(sig, values, mod)
            elif mod.startswith("add_delta_to_tau_std"):
                tau[:] = _add_delta(tau, values, mod)
                sig[:] = np.sqrt(tau ** 2 + phi ** 2)
            elif mod.startswith("add_delta_to_phi_std"):
                phi[:] = _add_delta(phi, values, mod)
                sig[:] = np.sqrt(tau ** 2 + phi ** 2)
            else:  # set_fixed_total_sigma
                sig[:] = values
                tau[:] = np.nan
                phi[:] = np.nan


def _check_tau_phi_order(mods: list[str], gmpe: GMPE, name: str, where: str) -> None:
    """Refuse a modification needing tau and phi where they are not available.

    They are missing when ``gmpe`` gives only a total standard deviation, and after a
    ``set_fixed_total_sigma`` (which leaves no inter/intra split): applying
    ``set_between_epsilon`` or ``add_delta_to_tau/phi_std`` then would give NaN.
    """
    stds = gmpe.DEFINED_FOR_STANDARD_DEVIATION_TYPES
    removed_by = None if {"Inter event", "Intra event"} <= stds else f"gmpe.{name}"
    for mod in mods:  # in the order they are applied
        if mod in _NEEDS_TAU_PHI and removed_by is not None:
            why = (f"gmpe.{name} gives only {sorted(stds)}" if removed_by == f"gmpe.{name}"
                   else f"the {removed_by} before it leaves only a total standard deviation")
            raise InputError(f"{where}: {mod} needs the between- and within-event standard "
                             f"deviations, but {why}")
        if mod == "set_fixed_total_sigma":
            removed_by = mod


def _value_for(mod: str, value: float | dict[str, float], imt: IMT) -> float:
    """The value of modification ``mod`` for ``imt`` (scalar, or looked up per IMT)."""
    if not isinstance(value, dict):
        return value
    if str(imt) not in value:
        raise InputError(f"GSIM ModifiableGMPE: {mod}.{MODIFICATIONS[mod]} has no value for "
                         f"{imt}; it has {sorted(value)}")
    return value[str(imt)]


def _add_delta(std: np.ndarray, delta: np.ndarray, mod: str) -> np.ndarray:
    """:math:`\\sqrt{s^2 + \\mathrm{sign}(d)\\,d^2}` (see the module docstring)."""
    variance = std ** 2 + np.sign(delta) * delta ** 2
    if np.any(variance < 0):
        raise InputError(f"GSIM ModifiableGMPE: {mod}.delta = {float(delta.min())} removes more "
                         f"variance than the model has (smallest standard deviation "
                         f"{float(np.nanmin(std)):.4g})")
    return np.sqrt(variance)


add_alias("ChiouYoungs2014PEER", ModifiableGMPE, gmpe={"ChiouYoungs2014": {}},
          set_fixed_total_sigma={"total_sigma": 0.65})


class MixtureModel(GMPE):
    """A GSIM whose ground motion is a mixture of lognormals (``[Name.mixture_model]``).

    Not registered by name: :func:`~toolkit.engine.hazard.gsim.base.get_gsim` builds it when
    a GSIM is given a ``mixture_model`` parameter.

    Parameters
    ----------
    gsim : GMPE
        The model giving the median and the standard deviation sigma.
    factors, weights : sequence of float
        Component k has standard deviation ``factors[k] * sigma`` and weight ``weights[k]``
        (positive, summing to 1 within 1e-6).
    name : str
        The GSIM name as written in the logic tree (for messages and ``repr``).

    Notes
    -----
    PEER 2018 Set 2 Case 5b (Hale, Abrahamson & Bozorgnia 2018): factors 0.8 and 1.2,
    weights 0.5 and 0.5, on Chiou & Youngs (2014) with sigma 0.65.
    """

    REGISTER = False
    DEFINED_FOR_STANDARD_DEVIATION_TYPES = frozenset({"Total"})

    def __init__(self, gsim: GMPE, factors: Sequence[float] = (), weights: Sequence[float] = (),
                 name: str = "", **unknown: Any) -> None:
        label = name or type(gsim).__name__
        where = f"GSIM {label}.mixture_model"
        if unknown:
            raise InputError(f"{where}: unknown parameter(s) {sorted(unknown)}; expected "
                             "'factors' and 'weights'")
        if isinstance(factors, (str, bytes)) or isinstance(weights, (str, bytes)):
            raise InputError(f"{where}: factors and weights must be lists of numbers")
        try:
            f = [float(x) for x in factors]
            w = [float(x) for x in weights]
        except (TypeError, ValueError):
            raise InputError(f"{where}: factors and weights must be lists of numbers, got "
                             f"factors={factors!r}, weights={weights!r}") from None
        if not f or len(f) != len(w):
            raise InputError(f"{where}: factors and weights must be non-empty lists of the "
                             f"same length, got {len(f)} factors and {len(w)} weights")
        for x in f:
            _positive(x, "every factor", where)
        for x in w:
            _positive(x, "every weight", where)
        if abs(math.fsum(w) - 1.0) > 1e-6:
            raise InputError(f"{where}: the weights must sum to 1, got {math.fsum(w):.10g}")
        self.gsim = gsim
        self.factors = np.array(f)
        self.weights = np.array(w)
        self.name = label
        _wrap(self, gsim)
        self.kwargs = {"mixture_model": {"factors": f, "weights": w}}

    def compute(self, ctx: Context, imts: Sequence[IMT], mean: np.ndarray, sig: np.ndarray,
                tau: np.ndarray, phi: np.ndarray) -> None:
        self.gsim.compute(ctx, imts, mean, sig, tau, phi)

    def sigma_mixture(self) -> tuple[np.ndarray, np.ndarray]:
        return self.factors, self.weights

    def exceedance(self, mean: np.ndarray, sigma: np.ndarray, log_levels: np.ndarray,
                   truncation_level: float | None) -> np.ndarray:
        """Mixture of lognormal exceedance probabilities (see the module docstring)."""
        sigma = np.asarray(sigma, dtype=float)
        out = np.zeros((len(mean), len(log_levels)))
        for factor, weight in zip(self.factors, self.weights, strict=True):
            out += weight * probability_of_exceedance(mean, factor * sigma, log_levels,
                                                      truncation_level)
        return out

    def __repr__(self) -> str:
        return (f"{self.gsim!r}.mixture_model(factors={self.factors.tolist()}, "
                f"weights={self.weights.tolist()})")
