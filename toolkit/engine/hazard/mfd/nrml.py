"""Building MFDs from NRML elements: :func:`build_mfd` and the registry of element tags."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence

from toolkit.engine.hazard.mfd.base import (
    MFD,
    YC_CHAR_WIDTH,
    _ParameterError,
)
from toolkit.engine.hazard.mfd.openquake import (
    ArbitraryMFD,
    EvenlyDiscretizedMFD,
    TruncatedGRMFD,
    YoungsCoppersmith1985MFD,
)
from toolkit.engine.hazard.mfd.peer import (
    MomentBalancedDeltaMFD,
    MomentBalancedTruncatedExponentialMFD,
    MomentBalancedTruncatedNormalMFD,
    MomentBalancedYoungsCoppersmithMFD,
)
from toolkit.errors import InputError
from toolkit.registry import Registry

# --------------------------------------------------------------------------------------------
# NRML construction

#: NRML element tag -> builder ``(element, bin_width) -> MFD``.
mfd_registry: Registry[Callable[..., MFD]] = Registry("MFD")

#: ``kind`` of ``<momentBalancedMFD>`` -> builder ``(element) -> MFD``.
_balanced_kinds: Registry[Callable[..., MFD]] = Registry("momentBalancedMFD kind")


class _Element:
    """A parsed NRML MFD element with helpers that raise located InputErrors."""

    def __init__(
        self,
        tag: str,
        attrib: Mapping[str, str],
        values: Mapping[str, Sequence[float]],
        where: str,
    ) -> None:
        self.tag = tag
        self.attrib = dict(attrib)
        self.values = dict(values)
        self.where = where

    def error(self, message: str) -> InputError:
        place = f"{self.where}: " if self.where else ""
        return InputError(f"{place}<{self.tag}> {message}")

    def expect(
        self,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
        children: Sequence[str] = (),
        what: str = "",
    ) -> None:
        """Check the attribute and child names: all required present, nothing unknown."""
        allowed = set(required) | set(optional)
        unknown = sorted(set(self.attrib) - allowed)
        if unknown:
            expected = ", ".join(sorted(allowed)) or "none"
            raise self.error(
                f"{what}has unexpected attribute(s) {', '.join(unknown)} (expected: {expected})"
            )
        missing = [name for name in required if name not in self.attrib]
        if missing:
            raise self.error(f"{what}is missing attribute(s) {', '.join(missing)}")
        extra = sorted(set(self.values) - set(children))
        if extra:
            expected = ", ".join(f"<{c}>" for c in children) or "none"
            raise self.error(
                f"has unexpected child element(s) {', '.join(f'<{c}>' for c in extra)} "
                f"(expected: {expected})"
            )
        absent = [name for name in children if name not in self.values]
        if absent:
            raise self.error(f"is missing child element(s) {', '.join(f'<{c}>' for c in absent)}")

    def number(self, name: str, default: float | None = None) -> float:
        text = self.attrib.get(name)
        if text is None:
            if default is None:
                raise self.error(f"is missing attribute {name}")
            return default
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise self.error(f"attribute {name}={text!r} is not a number") from None
        if not math.isfinite(value):
            raise self.error(f"attribute {name}={text!r} must be finite")
        return value

    def array(self, name: str) -> list[float]:
        values = self.values[name]
        if len(values) == 0:
            raise self.error(f"<{name}> is empty")
        return list(values)

    @contextlib.contextmanager
    def names(self, mapping: Mapping[str, str]) -> Iterator[None]:
        """Re-raise constructor errors with NRML attribute names (``mapping``: python->NRML)."""
        try:
            yield
        except _ParameterError as err:
            raise self.error(err.render(mapping)) from None


def build_mfd(
    tag: str,
    attrib: Mapping[str, str],
    values: Mapping[str, Sequence[float]],
    *,
    bin_width: float | None,
    where: str,
) -> MFD:
    """Build the MFD of one NRML element.

    Parameters
    ----------
    tag : str
        Local tag name of the element (``"truncGutenbergRichterMFD"``, ``"incrementalMFD"``,
        ``"arbitraryMFD"``, ``"YoungsCoppersmithMFD"``, ``"momentBalancedMFD"``).
    attrib : mapping of str to str
        The element's attributes, as text.
    values : mapping of str to list of float
        The float lists of its child elements, e.g. ``{"occurRates": [...]}``.
    bin_width : float or None
        The job's ``width_of_mfd_bin`` (None if not set); required by
        ``truncGutenbergRichterMFD`` only.
    where : str
        Location for error messages, e.g. ``"source_model.xml line 42, source 'A1'"``.

    Raises
    ------
    UnknownName
        Unknown tag (or unknown ``kind`` of ``momentBalancedMFD``).
    InputError
        Missing, unexpected or invalid attributes or child elements.
    """
    builder = mfd_registry.get(tag, where=where)
    return builder(_Element(tag, attrib, values, where), bin_width)


@mfd_registry.add("truncGutenbergRichterMFD")
def _build_truncated_gr(el: _Element, bin_width: float | None) -> MFD:
    el.expect(required=("aValue", "bValue", "minMag", "maxMag"))
    if bin_width is None:
        raise el.error("needs the bin width: width_of_mfd_bin is required in the job.ini")
    with el.names(
        {
            "a_val": "aValue",
            "b_val": "bValue",
            "min_mag": "minMag",
            "max_mag": "maxMag",
            "bin_width": "width_of_mfd_bin",
        }
    ):
        return TruncatedGRMFD(
            el.number("minMag"),
            el.number("maxMag"),
            bin_width,
            el.number("aValue"),
            el.number("bValue"),
        )


@mfd_registry.add("incrementalMFD")
def _build_incremental(el: _Element, bin_width: float | None) -> MFD:
    el.expect(required=("minMag", "binWidth"), children=("occurRates",))
    with el.names(
        {"min_mag": "minMag", "bin_width": "binWidth", "occurrence_rates": "<occurRates>"}
    ):
        return EvenlyDiscretizedMFD(
            el.number("minMag"), el.number("binWidth"), el.array("occurRates")
        )


@mfd_registry.add("arbitraryMFD")
def _build_arbitrary(el: _Element, bin_width: float | None) -> MFD:
    el.expect(children=("magnitudes", "occurRates"))
    with el.names({"magnitudes": "<magnitudes>", "occurrence_rates": "<occurRates>"}):
        return ArbitraryMFD(el.array("magnitudes"), el.array("occurRates"))


@mfd_registry.add("YoungsCoppersmithMFD")
def _build_youngs_coppersmith(el: _Element, bin_width: float | None) -> MFD:
    el.expect(
        required=("minMag", "bValue", "characteristicMag", "binWidth"),
        optional=("characteristicRate", "totalMomentRate"),
    )
    has_rate = "characteristicRate" in el.attrib
    has_moment = "totalMomentRate" in el.attrib
    if has_rate == has_moment:
        raise el.error("needs exactly one of the attributes characteristicRate, totalMomentRate")
    names = {
        "min_mag": "minMag",
        "b_val": "bValue",
        "char_mag": "characteristicMag",
        "bin_width": "binWidth",
        "char_rate": "characteristicRate",
        "total_moment_rate": "totalMomentRate",
    }
    args = (el.number("minMag"), el.number("bValue"), el.number("characteristicMag"))
    with el.names(names):
        if has_rate:
            return YoungsCoppersmith1985MFD.from_characteristic_rate(
                *args, el.number("characteristicRate"), el.number("binWidth")
            )
        return YoungsCoppersmith1985MFD.from_total_moment_rate(
            *args, el.number("totalMomentRate"), el.number("binWidth")
        )


@mfd_registry.add("momentBalancedMFD")
def _build_moment_balanced(el: _Element, bin_width: float | None) -> MFD:
    kind = el.attrib.get("kind")
    if kind is None:
        raise el.error(f"is missing attribute kind (one of: {', '.join(_balanced_kinds.names())})")
    builder = _balanced_kinds.get(kind, where=f"{el.where}: <{el.tag}>" if el.where else "")
    return builder(el)


_BALANCED_NAMES = {
    "mag": "mag",
    "min_mag": "minMag",
    "max_mag": "maxMag",
    "b_val": "bValue",
    "mean_mag": "meanMag",
    "sigma_mag": "sigmaMag",
    "char_mag": "characteristicMag",
    "total_moment_rate": "totalMomentRate",
    "bin_width": "binWidth",
}


@_balanced_kinds.add("delta")
def _build_balanced_delta(el: _Element) -> MFD:
    el.expect(required=("kind", "mag", "totalMomentRate"), what='kind="delta" ')
    with el.names(_BALANCED_NAMES):
        return MomentBalancedDeltaMFD(el.number("mag"), el.number("totalMomentRate"))


@_balanced_kinds.add("truncatedExponential")
def _build_balanced_exponential(el: _Element) -> MFD:
    el.expect(
        required=("kind", "minMag", "maxMag", "bValue", "totalMomentRate"),
        optional=("binWidth",),
        what='kind="truncatedExponential" ',
    )
    with el.names(_BALANCED_NAMES):
        return MomentBalancedTruncatedExponentialMFD(
            el.number("minMag"),
            el.number("maxMag"),
            el.number("bValue"),
            el.number("totalMomentRate"),
            el.number("binWidth", 0.01),
        )


@_balanced_kinds.add("truncatedNormal")
def _build_balanced_normal(el: _Element) -> MFD:
    el.expect(
        required=("kind", "minMag", "maxMag", "meanMag", "sigmaMag", "totalMomentRate"),
        optional=("binWidth",),
        what='kind="truncatedNormal" ',
    )
    with el.names(_BALANCED_NAMES):
        return MomentBalancedTruncatedNormalMFD(
            el.number("minMag"),
            el.number("maxMag"),
            el.number("meanMag"),
            el.number("sigmaMag"),
            el.number("totalMomentRate"),
            el.number("binWidth", 0.01),
        )


@_balanced_kinds.add("youngsCoppersmith")
def _build_balanced_youngs_coppersmith(el: _Element) -> MFD:
    el.expect(
        required=("kind", "minMag", "bValue", "characteristicMag", "totalMomentRate"),
        optional=("binWidth", "maxMag"),
        what='kind="youngsCoppersmith" ',
    )
    char_mag = el.number("characteristicMag")
    if "maxMag" in el.attrib:
        max_mag = el.number("maxMag")
        if abs(max_mag - (char_mag + YC_CHAR_WIDTH / 2)) > 1e-6:
            raise el.error(
                f"maxMag = {max_mag!r} must equal characteristicMag + 0.25 = "
                f"{char_mag + YC_CHAR_WIDTH / 2!r} (the characteristic box is 0.5 wide)"
            )
    with el.names(_BALANCED_NAMES):
        return MomentBalancedYoungsCoppersmithMFD(
            el.number("minMag"),
            el.number("bValue"),
            char_mag,
            el.number("totalMomentRate"),
            el.number("binWidth", 0.01),
        )
