"""Bridge to OpenQuake's ``openquake.hazardlib`` GSIMs (optional, never a dependency).

When ``openquake.hazardlib`` is importable, a GSIM name the toolkit does not implement is
looked up among hazardlib's GSIM classes and wrapped in an adapter that speaks the toolkit's
:class:`~toolkit.engine.hazard.gsim.base.GMPE` interface, so it can be named in a gsim logic
tree, in :func:`toolkit.gmpe_table` or in :func:`~toolkit.engine.hazard.gsim.base.get_gsim`.
The toolkit's own GSIMs always take precedence by name.

hazardlib cannot be a pip extra of the toolkit (its ``gdal`` pin does not install); install
it beside the toolkit with ``pip install --no-deps openquake.engine`` (see the project notes).

Only hazardlib's documented public API is used:

- ``openquake.hazardlib.gsim.get_available_gsims()``: GSIM classes by name;
- the classes' ``REQUIRES_*`` and ``DEFINED_FOR_*`` attributes;
- ``openquake.hazardlib.imt.from_string(str)``;
- ``openquake.hazardlib.contexts.simple_cmaker(gsims, imts)`` and its ``new_ctx(size)``
  (a context record array with the fields the GSIM needs), and
  ``openquake.hazardlib.contexts.get_mean_stds(gsim, ctx, imts)`` returning an array of shape
  ``(4, M, N)``: ln(mean), total, inter- and intra-event standard deviations.

Conventions translated by the adapter: the toolkit's NaN for an unknown ``z1pt0`` or
``z2pt5`` is hazardlib's ``-999``; hazardlib returns 0 for the inter/intra-event standard
deviations of total-only models, the toolkit NaN. hazardlib's contexts are built one
magnitude at a time (as its ``get_mean_stds`` documents), vectorised over the pairs of each.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from toolkit.engine.hazard.contexts import Context
from toolkit.engine.hazard.gsim.base import GMPE
from toolkit.engine.hazard.imt import IMT, NAMES
from toolkit.errors import InputError

__all__ = ["HazardlibGMPE", "adapter_class", "available", "gsim_fallback", "hazardlib_gsims"]

PACKAGE = "openquake.hazardlib"
#: hazardlib's value for an unknown basin depth (the toolkit uses NaN)
UNKNOWN_DEPTH = -999.0
_DEPTHS = ("z1pt0", "z2pt5")
_IMT_NAMES = NAMES  # every IMT the toolkit parses (PGA, SA, IA, AvgSA, EAS ...)
#: hazardlib package of the models that modify or combine other GSIMs
WRAPPERS = f"{PACKAGE}.gsim.mgmpe."
#: hazardlib models whose result is not a mean and standard deviations: AvgPoeGMPE averages
#: the probabilities of exceedance of its sub-models (its means/stds are placeholders)
POE_MODELS = frozenset({"AvgPoeGMPE"})
_adapters: dict[type, type[HazardlibGMPE]] = {}
_gsims_cache: list[Any] = []  # [gsim module, {name: class}]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def available() -> bool:
    """True when ``openquake.hazardlib`` can be imported."""
    try:
        importlib.import_module(PACKAGE)
    except Exception:  # noqa: BLE001 - absent or broken: either way the bridge is off
        return False
    return True


def hazardlib_gsims() -> dict[str, type]:
    """hazardlib's GSIM classes by name (empty when hazardlib is not installed).

    The first call imports every hazardlib GSIM module (tens of seconds); the result is kept
    for as long as the same ``openquake.hazardlib.gsim`` module is loaded.
    """
    if not available():
        return {}
    module = _module("gsim")
    if _gsims_cache and _gsims_cache[0] is module:
        return _gsims_cache[1]
    gsims = dict(module.get_available_gsims())
    _gsims_cache[:] = [module, gsims]
    return gsims


def _names(values: Any) -> frozenset[str]:
    return frozenset(str(getattr(v, "__name__", v)) for v in values)


class HazardlibGMPE(GMPE):
    """Adapter base: a hazardlib GSIM class seen through the toolkit's GMPE interface.

    Concrete adapters are made by :func:`adapter_class`; their name is the hazardlib class
    name, their ``REQUIRES_*`` sets are hazardlib's, their IMTs those hazardlib declares (for
    the instance: wrappers such as GMPETable learn them from their parameters) among the ones
    :mod:`toolkit.engine.hazard.imt` parses. A model that declares no IMT, or one of
    hazardlib's ``gsim.mgmpe`` models (they modify or combine other GSIMs: GmpeIndirectAvgSA,
    ModifiableGMPE ...), computes whatever IMT its underlying GSIMs do: the adapter lets
    hazardlib decide and turns its refusal into an :class:`InputError`.
    Keyword arguments are passed to the hazardlib class (``region="JPN"`` ...). The models
    named in :data:`POE_MODELS` (AvgPoeGMPE) are refused.
    """

    REGISTER = False
    PERIOD_RANGE = (0.0, float("inf"))  # hazardlib itself rejects periods out of its table
    HAZARDLIB_CLASS: ClassVar[type | None] = None
    #: job.ini ``horiz_comp_to_geom_mean``: hazardlib converts the component itself
    horiz_comp_to_geom_mean: bool = False

    def __init__(self, **kwargs: Any) -> None:
        name = type(self).__name__
        try:
            gsim = self.HAZARDLIB_CLASS(**kwargs)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - any failure of a third-party constructor
            raise InputError(f"hazardlib GSIM {name} with parameters {kwargs} could not be "
                             f"built: {type(exc).__name__}: {exc}") from None
        self._adopt(gsim, kwargs, name)

    @classmethod
    def from_instance(cls, gsim: Any, kwargs: dict[str, Any], name: str) -> HazardlibGMPE:
        """Adapt an already built hazardlib GSIM ``gsim`` (made by hazardlib's function
        ``name`` from ``kwargs``, e.g. ``YenierAtkinson2015NGAEastTotalSigma``)."""
        adapter = cls.__new__(cls)
        adapter._adopt(gsim, kwargs, name)
        return adapter

    def _adopt(self, gsim: Any, kwargs: dict[str, Any], name: str) -> None:
        if getattr(gsim, "weights_signs", None):
            # e.g. NSHMP2014(sgn=0), hazardlib's *NSHMPMean: probabilities of exceedance
            # averaged over signed epistemic adjustments; its means are the central branch only
            raise InputError(f"hazardlib's {name} averages the probabilities of exceedance of "
                             f"adjusted branches ({gsim.weights_signs}): the bridge carries "
                             "means and standard deviations only, so it is not supported; use "
                             "the adjusted models (e.g. the *NSHMPLower/*NSHMPUpper GSIMs and "
                             "the base model) as weighted branches of the gsim logic tree")
        self.hazardlib_gsim = gsim
        self.hazardlib_name = name  # the name hazardlib knows it by (for pickling)
        # wrappers (GMPETable, NGAEastUSGSGMPE, AvgPoeGMPE ...) set these per instance
        self.DEFINED_FOR_INTENSITY_MEASURE_TYPES = _names(
            gsim.DEFINED_FOR_INTENSITY_MEASURE_TYPES) & _IMT_NAMES
        self.DEFINED_FOR_STANDARD_DEVIATION_TYPES = _names(
            gsim.DEFINED_FOR_STANDARD_DEVIATION_TYPES)
        for attr in ("REQUIRES_SITES_PARAMETERS", "REQUIRES_RUPTURE_PARAMETERS",
                     "REQUIRES_DISTANCES"):
            setattr(self, attr, frozenset(getattr(gsim, attr)))
        self.kwargs = dict(kwargs)
        self._cmakers: dict[tuple[str, ...], Any] = {}

    def __repr__(self) -> str:
        name = getattr(self, "hazardlib_name", type(self).__name__)
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.kwargs.items()))
        return f"{name}({args})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # adapter classes are made at run time: pickle (for process pools) by hazardlib name
        return _rebuild, (getattr(self, "hazardlib_name", type(self).__name__), self.kwargs,
                          self.horiz_comp_to_geom_mean)

    def set_horiz_comp_to_geom_mean(self, flag: bool) -> None:
        """Have hazardlib convert its horizontal component to the geometric mean (job.ini
        ``horiz_comp_to_geom_mean``; see
        :mod:`toolkit.engine.hazard.gsim.component_conversion`)."""
        self.horiz_comp_to_geom_mean = bool(flag)
        self._cmakers.clear()

    def compute(
        self,
        ctx: Context,
        imts: Sequence[IMT],
        mean: np.ndarray,
        sig: np.ndarray,
        tau: np.ndarray,
        phi: np.ndarray,
    ) -> None:
        contexts = _module("contexts")
        imt_module = _module("imt")
        strings = [str(imt) for imt in imts]
        hl_imts = [imt_module.from_string(s) for s in strings]
        cmaker = self._cmakers.get(tuple(strings))
        if cmaker is None:
            extra = {"horiz_comp_to_geom_mean": True} if self.horiz_comp_to_geom_mean else {}
            cmaker = contexts.simple_cmaker([self.hazardlib_gsim], strings, **extra)
            self._cmakers[tuple(strings)] = cmaker
        n = len(ctx)
        mags = np.asarray(ctx.mag, dtype=float) if ctx.has("mag") else np.zeros(n)
        unique, inverse = np.unique(mags, return_inverse=True)
        std_types = self.DEFINED_FOR_STANDARD_DEVIATION_TYPES
        for k in range(len(unique)):
            idx = np.flatnonzero(inverse == k)
            rec = cmaker.new_ctx(len(idx))
            for field in rec.dtype.names:
                if ctx.has(field):
                    values = np.asarray(getattr(ctx, field))[idx]
                    if field in _DEPTHS:
                        values = np.where(np.isnan(values), UNKNOWN_DEPTH, values)
                    elif values.dtype.kind in "USO" and rec.dtype[field].kind in "biuf":
                        values = _numbers(values, field)
                    rec[field] = values
                elif field == "sids":
                    rec[field] = np.arange(len(idx))
            try:
                if self.horiz_comp_to_geom_mean:  # the context maker applies the conversion
                    out = np.asarray(cmaker.get_mean_stds([rec]))[:, 0]
                else:
                    out = np.asarray(contexts.get_mean_stds(self.hazardlib_gsim, rec, hl_imts))
            except KeyError as exc:
                raise InputError(f"hazardlib GSIM {type(self).__name__} is not defined for "
                                 f"one of the IMTs {strings}: {exc}") from None
            except AttributeError as exc:  # a context field the GSIM reads but never declares
                missing = getattr(exc, "name", None) or str(exc)
                raise InputError(f"hazardlib GSIM {self!r} reads the context field {missing!r}, "
                                 "which it does not declare in its REQUIRES_* sets; the bridge "
                                 "builds the declared fields only, so this GSIM cannot be used "
                                 f"through it ({exc})") from None
            mean[:, idx] = out[0]
            sig[:, idx] = out[1]
            if "Inter event" in std_types:
                tau[:, idx] = out[2]
            if "Intra event" in std_types:
                phi[:, idx] = out[3]

    @property
    def delegates_imts(self) -> bool:
        """True for a wrapper whose underlying GSIMs decide its IMTs (see the class doc)."""
        gsim = self.hazardlib_gsim
        return (not gsim.DEFINED_FOR_INTENSITY_MEASURE_TYPES
                or type(gsim).__module__.startswith(WRAPPERS))

    def check_imt(self, imt: IMT) -> None:
        """As :meth:`GMPE.check_imt`, except for wrappers (see the class docstring)."""
        if not self.delegates_imts:
            super().check_imt(imt)


def _numbers(values: np.ndarray, field: str) -> np.ndarray:
    """Text site parameters (a site model's ``backarc="False"``) as the numbers or flags
    hazardlib's numeric context field ``field`` holds: ``true``/``false`` (any case) as 1/0."""
    text = np.char.lower(np.char.strip(values.astype(str)))
    flags = {"true": 1.0, "false": 0.0}
    try:
        return np.array([flags[t] if t in flags else float(t) for t in text])
    except ValueError:
        raise InputError(f"site parameter {field}: expected numbers or true/false, got "
                         f"{sorted(set(values.astype(str).tolist()))[:5]}") from None


def adapter_class(hazardlib_class: type) -> type[HazardlibGMPE]:
    """The toolkit GMPE class wrapping ``hazardlib_class`` (one per class, cached)."""
    try:
        return _adapters[hazardlib_class]
    except KeyError:
        pass
    if hazardlib_class.__name__ in POE_MODELS:
        raise InputError(f"hazardlib's {hazardlib_class.__name__} averages the probabilities "
                         "of exceedance of its sub-models: the bridge carries means and "
                         "standard deviations only, so it is not supported; use the sub-models "
                         "as weighted branches of the gsim logic tree instead")
    trt = getattr(hazardlib_class, "DEFINED_FOR_TECTONIC_REGION_TYPE", "")
    component = getattr(hazardlib_class, "DEFINED_FOR_INTENSITY_MEASURE_COMPONENT", None)
    attrs = {
        "__doc__": f"{hazardlib_class.__name__} from openquake.hazardlib (bridged).\n\n"
                   f"{hazardlib_class.__doc__ or ''}",
        "__module__": __name__,
        "REGISTER": False,
        "HAZARDLIB_CLASS": hazardlib_class,
        "DEFINED_FOR_TECTONIC_REGION_TYPE": str(getattr(trt, "value", trt)),
        "DEFINED_FOR_INTENSITY_MEASURE_TYPES": _names(
            hazardlib_class.DEFINED_FOR_INTENSITY_MEASURE_TYPES) & _IMT_NAMES,
        "DEFINED_FOR_STANDARD_DEVIATION_TYPES": _names(
            hazardlib_class.DEFINED_FOR_STANDARD_DEVIATION_TYPES),
        "REQUIRES_SITES_PARAMETERS": frozenset(hazardlib_class.REQUIRES_SITES_PARAMETERS),
        "REQUIRES_RUPTURE_PARAMETERS": frozenset(hazardlib_class.REQUIRES_RUPTURE_PARAMETERS),
        "REQUIRES_DISTANCES": frozenset(hazardlib_class.REQUIRES_DISTANCES),
        "DEFINED_FOR_INTENSITY_MEASURE_COMPONENT": str(getattr(
            component, "value", component)) if component is not None else None,
    }
    adapter = type(hazardlib_class.__name__, (HazardlibGMPE,), attrs)
    _adapters[hazardlib_class] = adapter
    return adapter


def gsim_fallback(name: str, **kwargs: Any) -> GMPE | None:
    """A bridged hazardlib GSIM named ``name``, or None (hazardlib absent or no such GSIM).

    Called by :func:`~toolkit.engine.hazard.gsim.base.get_gsim` only for names that no
    toolkit GSIM is registered under, so the toolkit's own models take precedence.
    """
    cls = hazardlib_gsims().get(name)
    if cls is None:
        return None
    if isinstance(cls, type):
        return adapter_class(cls)(**kwargs)
    if not callable(cls):
        raise InputError(f"hazardlib's {name} is a {type(cls).__name__}, not a GSIM class")
    # hazardlib aliases are functions returning a configured GSIM instance
    try:
        gsim = cls(**kwargs)
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party function
        raise InputError(f"hazardlib GSIM {name} with parameters {kwargs} could not be "
                         f"built: {type(exc).__name__}: {exc}") from None
    if not hasattr(type(gsim), "DEFINED_FOR_INTENSITY_MEASURE_TYPES"):
        raise InputError(f"hazardlib's {name} is a function returning a "
                         f"{type(gsim).__name__}, not a GSIM")
    return adapter_class(type(gsim)).from_instance(gsim, kwargs, name)


def _rebuild(name: str, kwargs: dict[str, Any], geom_mean: bool = False) -> GMPE:
    """Unpickle a bridged GSIM (see :meth:`HazardlibGMPE.__reduce__`)."""
    gsim = gsim_fallback(name, **kwargs)
    if gsim is None:
        raise InputError(f"hazardlib GSIM {name} is not available in this process "
                         f"(is openquake.hazardlib installed?)")
    if geom_mean:
        gsim.set_horiz_comp_to_geom_mean(True)  # type: ignore[attr-defined]
    return gsim
