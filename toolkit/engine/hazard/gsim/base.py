"""Base class of ground-shaking intensity models (GSIMs) and their registry.

A GSIM *declares* what it needs and what it is defined for, and implements one vectorised
:meth:`GMPE.compute` that fills arrays of ln(median) and standard deviations for N
rupture-site pairs and M intensity measure types at once (the design of OpenQuake's
hazardlib). Subclasses register themselves under their class name when they are defined;
``__init_subclass__`` checks the declarations so a malformed model fails at import, not
in the middle of a calculation.

Adding a model: see ``docs/how-to/add-a-gsim.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from toolkit.engine.hazard.contexts import DISTANCES, RUPTURE_PARAMETERS, Context
from toolkit.engine.hazard.exceedance import probability_of_exceedance
from toolkit.engine.hazard.imt import IMT
from toolkit.engine.hazard.sites import SITE_PARAMETERS
from toolkit.errors import InputError
from toolkit.registry import Registry

__all__ = ["GMPE", "gsim_registry", "get_gsim", "add_alias", "STD_TYPES",
           "UnsupportedParameters"]

_log = logging.getLogger(__name__)

#: Registry of every GSIM class (and alias) by the name job files use.
gsim_registry: Registry[Any] = Registry("GSIM")

STD_TYPES = frozenset({"Total", "Inter event", "Intra event"})

#: Plugin modules consulted, in order, for a name no toolkit GSIM is registered under. They are
#: imported by name only on that path, so the engine does not depend on them; each provides
#: ``gsim_fallback(name, **kwargs) -> GMPE | None`` (None: "not mine", e.g. not installed).
GSIM_FALLBACKS: list[str] = ["toolkit.bridges.hazardlib"]
_IMT_NAMES = frozenset({"PGA", "PGV", "SA"})


class UnsupportedParameters(InputError):
    """A toolkit GSIM was given parameters (or modifications) it does not implement.

    :func:`get_gsim` then offers the same name and parameters to the :data:`GSIM_FALLBACKS`
    plugins (e.g. OpenQuake hazardlib's implementation) and re-raises this error when none
    takes them.
    """


class GMPE:
    """Base class of ground-motion prediction equations.

    Subclasses set the class attributes below and implement :meth:`compute`.

    Attributes
    ----------
    DEFINED_FOR_TECTONIC_REGION_TYPE : str
        e.g. ``"Active Shallow Crust"``.
    DEFINED_FOR_INTENSITY_MEASURE_TYPES : frozenset of str
        Subset of ``{"PGA", "PGV", "SA"}``.
    DEFINED_FOR_STANDARD_DEVIATION_TYPES : frozenset of str
        Subset of ``{"Total", "Inter event", "Intra event"}``; ``Total`` is mandatory.
    REQUIRES_SITES_PARAMETERS, REQUIRES_RUPTURE_PARAMETERS, REQUIRES_DISTANCES : frozenset
        Names of the context parameters used by :meth:`compute` (see
        :mod:`toolkit.engine.hazard.contexts`).
    PERIOD_RANGE : tuple of float
        Shortest and longest spectral period the model is defined for (s).
    """

    DEFINED_FOR_TECTONIC_REGION_TYPE: ClassVar[str] = ""
    DEFINED_FOR_INTENSITY_MEASURE_TYPES: ClassVar[frozenset[str]] = frozenset()
    DEFINED_FOR_STANDARD_DEVIATION_TYPES: ClassVar[frozenset[str]] = frozenset({"Total"})
    REQUIRES_SITES_PARAMETERS: ClassVar[frozenset[str]] = frozenset()
    REQUIRES_RUPTURE_PARAMETERS: ClassVar[frozenset[str]] = frozenset()
    REQUIRES_DISTANCES: ClassVar[frozenset[str]] = frozenset()
    PERIOD_RANGE: ClassVar[tuple[float, float]] = (0.0, 10.0)
    #: set to False on abstract intermediate classes so they are not registered
    REGISTER: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("REGISTER", True):
            return
        _validate_declarations(cls)
        gsim_registry.add(cls.__name__, cls)

    def __init__(self, **kwargs: Any) -> None:
        if kwargs:
            raise UnsupportedParameters(
                f"GSIM {type(self).__name__} takes no parameters, got {sorted(kwargs)}"
            )
        self.kwargs: dict[str, Any] = {}

    def _set_region(self, region: str, regions: Iterable[str], default: str = "CAL") -> None:
        """Validate and store a regional variant (kept in ``kwargs`` unless the default)."""
        known = list(regions)
        if region not in known:
            raise InputError(
                f"GSIM {type(self).__name__}: unknown region {region!r}; expected one of {known}"
            )
        self.region = region
        if region != default:
            self.kwargs["region"] = region

    # ------------------------------------------------------------------ interface
    def compute(
        self,
        ctx: Context,
        imts: Sequence[IMT],
        mean: np.ndarray,
        sig: np.ndarray,
        tau: np.ndarray,
        phi: np.ndarray,
    ) -> None:
        """Fill ``mean`` (ln of median, g or cm/s) and ``sig``, ``tau``, ``phi`` (ln units).

        All four arrays have shape ``(len(imts), len(ctx))``. Models with only a total
        standard deviation leave ``tau`` and ``phi`` as NaN.
        """
        raise NotImplementedError

    def exceedance(
        self,
        mean: np.ndarray,
        sig: np.ndarray,
        log_levels: np.ndarray,
        truncation_level: float | None,
    ) -> np.ndarray:
        """Probability that the ground motion exceeds each level, shape (N, L).

        The hook through which a model with a non-lognormal distribution (e.g. a mixture
        model, :mod:`toolkit.engine.hazard.gsim.modifiers`) changes the hazard integral. The
        default is the (truncated) lognormal of
        :func:`~toolkit.engine.hazard.exceedance.probability_of_exceedance`, given the ln
        means ``mean`` and total standard deviations ``sig`` of N scenarios (one IMT) and the
        ln levels ``log_levels``.
        """
        return probability_of_exceedance(mean, sig, log_levels, truncation_level)

    def sigma_mixture(self) -> tuple[np.ndarray, np.ndarray]:
        """The ground-motion distribution as a mixture of lognormals: factors ``f_k`` of the
        total standard deviation and weights ``w_k`` (one component, ``f = 1``, for a
        lognormal model). Disaggregation splits each component over the epsilon bins."""
        return np.ones(1), np.ones(1)

    # ------------------------------------------------------------------ helpers
    @property
    def requires(self) -> frozenset[str]:
        """All context parameters the model needs."""
        return (
            self.REQUIRES_SITES_PARAMETERS
            | self.REQUIRES_RUPTURE_PARAMETERS
            | self.REQUIRES_DISTANCES
        )

    def check_imt(self, imt: IMT) -> None:
        """Raise :class:`InputError` if the model is not defined for ``imt``."""
        name = type(self).__name__
        if imt.name not in self.DEFINED_FOR_INTENSITY_MEASURE_TYPES:
            raise InputError(
                f"GSIM {name} is not defined for IMT {imt}; it supports "
                f"{sorted(self.DEFINED_FOR_INTENSITY_MEASURE_TYPES)}"
            )
        if imt.name == "SA":
            low, high = self.PERIOD_RANGE
            if not (low - 1e-9 <= imt.period <= high + 1e-9):
                raise InputError(
                    f"GSIM {name} is not defined for IMT {imt}: periods {low}-{high} s only"
                )

    def get_mean_and_stddevs(
        self, ctx: Context, imts: Sequence[IMT]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Allocate the output arrays, check the inputs and call :meth:`compute`.

        Returns
        -------
        mean, sig, tau, phi : ndarray, shape (len(imts), len(ctx))
        """
        missing = ctx.missing(self.requires)
        if missing:
            raise InputError(
                f"GSIM {type(self).__name__} requires {missing}, which the context lacks"
            )
        if "vs30" in self.REQUIRES_SITES_PARAMETERS and np.isnan(ctx.vs30).any():
            raise InputError(
                f"GSIM {type(self).__name__} requires vs30, which some sites lack: give a vs30 "
                "column in the site model or reference_vs30_value in the job.ini"
            )
        for imt in imts:
            self.check_imt(imt)
        shape = (len(imts), len(ctx))
        mean = np.zeros(shape)
        sig = np.zeros(shape)
        tau = np.full(shape, np.nan)
        phi = np.full(shape, np.nan)
        self.compute(ctx, imts, mean, sig, tau, phi)
        return mean, sig, tau, phi

    def __repr__(self) -> str:
        if self.kwargs:
            args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.kwargs.items()))
            return f"{type(self).__name__}({args})"
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


def _validate_declarations(cls: type[GMPE]) -> None:
    name = cls.__name__
    known = set(SITE_PARAMETERS) | set(RUPTURE_PARAMETERS) | set(DISTANCES)
    for attr in ("REQUIRES_SITES_PARAMETERS", "REQUIRES_RUPTURE_PARAMETERS",
                 "REQUIRES_DISTANCES"):
        unknown = set(getattr(cls, attr)) - known
        if unknown:
            raise TypeError(f"{name}.{attr} names unknown parameters {sorted(unknown)}")
    if not cls.DEFINED_FOR_INTENSITY_MEASURE_TYPES:
        raise TypeError(f"{name} declares no DEFINED_FOR_INTENSITY_MEASURE_TYPES")
    if not set(cls.DEFINED_FOR_INTENSITY_MEASURE_TYPES) <= _IMT_NAMES:
        raise TypeError(f"{name} declares unknown IMTs")
    if "Total" not in cls.DEFINED_FOR_STANDARD_DEVIATION_TYPES or not set(
        cls.DEFINED_FOR_STANDARD_DEVIATION_TYPES
    ) <= STD_TYPES:
        raise TypeError(f"{name}: DEFINED_FOR_STANDARD_DEVIATION_TYPES must include 'Total'")
    if cls.compute is GMPE.compute:
        raise TypeError(f"{name} does not implement compute()")


def add_alias(alias: str, cls: type[GMPE], **kwargs: Any) -> type[GMPE]:
    """Register ``alias`` as ``cls`` instantiated with fixed keyword arguments.

    Examples
    --------
    ``add_alias("BooreEtAl2014JapanBasin", BooreEtAl2014, region="JPN")``.
    """

    def factory(**extra: Any) -> GMPE:
        gsim = cls(**{**kwargs, **extra})
        gsim.alias = alias  # type: ignore[attr-defined]
        return gsim

    factory.__name__ = alias
    factory.target = cls  # type: ignore[attr-defined]
    gsim_registry.add(alias, factory)
    return cls


def get_gsim(name: str, where: str = "", **kwargs: Any) -> GMPE:
    """Instantiate the GSIM registered as ``name`` (importing the built-in models first).

    A ``mixture_model={"factors": [...], "weights": [...]}`` parameter (OpenQuake's
    ``[Name.mixture_model]``) wraps the model in a
    :class:`~toolkit.engine.hazard.gsim.modifiers.MixtureModel`.

    A name no toolkit GSIM is registered under is offered to the :data:`GSIM_FALLBACKS`
    plugins (OpenQuake hazardlib's GSIMs, when it is installed) before
    :class:`~toolkit.errors.UnknownName` is raised. So are a toolkit GSIM's name and
    parameters when the toolkit's model raises :class:`UnsupportedParameters` (e.g.
    ``ChiouYoungs2014`` with a ``region``, a ``ModifiableGMPE`` modification the toolkit lacks):
    the plugin's model is used, with the reason in its ``fallback_reason`` attribute and an
    INFO log record; without a plugin the error is raised.
    """
    from toolkit.engine.hazard import gsim as _models  # noqa: F401  (registers built-ins)

    mixture = kwargs.pop("mixture_model", None)
    try:
        factory = gsim_registry.get(name, where=where)
    except KeyError:  # UnknownName: try the plugins (the toolkit's own names take precedence)
        gsim = _from_fallbacks(name, kwargs)
        if gsim is None:
            raise
    else:
        try:
            gsim = factory(**kwargs)
        except UnsupportedParameters as exc:  # a plugin implementing them may take over
            gsim = _from_fallbacks(name, kwargs)
            if gsim is None:
                raise
            gsim.fallback_reason = str(exc)  # type: ignore[attr-defined]
            _log.info("GSIM %s%s: %s; using the GSIM plugin's implementation %r", name,
                      f" ({where})" if where else "", exc, gsim)
    if mixture is None:
        return gsim
    from toolkit.engine.hazard.gsim.modifiers import MixtureModel

    if not isinstance(mixture, dict):
        raise InputError(f"{where + ': ' if where else ''}GSIM {name}: mixture_model must be a "
                         f"table with factors and weights, got {mixture!r}")
    return MixtureModel(gsim, name=name, **mixture)


def _from_fallbacks(name: str, kwargs: dict[str, Any]) -> GMPE | None:
    """The first GSIM a :data:`GSIM_FALLBACKS` plugin returns for ``name``, or None."""
    import importlib

    for module in GSIM_FALLBACKS:
        try:
            plugin = importlib.import_module(module)
        except ImportError:
            continue
        gsim = plugin.gsim_fallback(name, **kwargs)
        if gsim is not None:
            return gsim
    return None
