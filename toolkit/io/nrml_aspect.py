"""The rupture aspect ratio of an NRML source: ``<ruptAspectRatio>`` or ``<aspectRatioFunction>``.

A source gives either a constant ratio::

    <ruptAspectRatio>1.5</ruptAspectRatio>

or a magnitude-dependent one, linear between points and constant outside them::

    <aspectRatioFunction>
        <type>linear_piecewise</type>
        <mag_points>
            <mag_point mag="4.0" aratio="1.0"/>
            <mag_point mag="7.0" aratio="2.0"/>
        </mag_points>
    </aspectRatioFunction>

(see :class:`toolkit.engine.hazard.sources.aspect_ratio.MagDependentAspectRatio`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from toolkit.errors import InputError

if TYPE_CHECKING:
    from toolkit.engine.hazard.sources.aspect_ratio import AspectRatio

__all__ = ["read_aspect_ratio"]

FUNCTION_TYPES = ("linear_piecewise",)


def read_aspect_ratio(reader: Any, node: Any) -> AspectRatio:
    """The aspect ratio of source ``node`` (a float or a :class:`MagDependentAspectRatio`).

    Parameters
    ----------
    reader : toolkit.io.nrml._SourceReader
        The source reader (for ``at``, ``number`` and ``child``).
    node : toolkit.io.nrml.Node
        The source element.
    """
    constant = node.find("ruptAspectRatio")
    function = node.find("aspectRatioFunction")
    if constant is not None and function is not None:
        raise InputError(f"{reader.at(node)}: give either <ruptAspectRatio> or "
                         "<aspectRatioFunction>, not both")
    if function is None:
        ratio_node = reader.child(node, "ruptAspectRatio")
        ratio = reader.number(ratio_node, "ruptAspectRatio")
        if not (math.isfinite(ratio) and ratio > 0):
            raise InputError(f"{reader.at(ratio_node)}: ruptAspectRatio must be in (0, inf], "
                             f"got {ratio:g}")
        return ratio
    kind = reader.child(function, "type").value
    if kind not in FUNCTION_TYPES:
        raise InputError(f"{reader.at(function)}: aspect-ratio function type {kind!r} is not "
                         f"supported; supported: {', '.join(FUNCTION_TYPES)}")
    points = reader.child(function, "mag_points").findall("mag_point")
    if not points:
        raise InputError(f"{reader.at(function)}: <mag_points> has no <mag_point> elements")
    mags, ratios = [], []
    for point in points:
        for attr, out in (("mag", mags), ("aratio", ratios)):
            if attr not in point.attrib:
                raise InputError(f"{reader.at(point)}: <mag_point> has no {attr} attribute")
            out.append(reader.number(point, attr, point.attrib[attr]))
    from toolkit.engine.hazard.sources.aspect_ratio import MagDependentAspectRatio

    return MagDependentAspectRatio(mags, ratios, reader.at(function))
