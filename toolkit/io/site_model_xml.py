"""NRML site models (``<siteModel>``): the XML form of a site model, as a table.

An NRML 0.4 or 0.5 file holds one ``<siteModel>`` element with one ``<site>`` element per
point; each attribute of a ``<site>`` is a column (OpenQuake's site model format)::

    <nrml xmlns="http://openquake.org/xmlns/nrml/0.5">
      <siteModel>
        <site lon="10.0" lat="45.0" vs30="760" vs30Type="measured" z1pt0="48" z2pt5="0.6"/>
      </siteModel>
    </nrml>

``vs30Type`` (``measured`` or ``inferred``) becomes the column ``vs30measured`` (1 or 0).
:func:`site_model_table` only turns the file into a header and rows of text cells with their
line numbers; :mod:`toolkit.io.site_model` checks and converts the values as for a CSV file.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import InputError
from toolkit.io.nrml import read_nrml

__all__ = ["site_model_table"]

_VS30_TYPES = {"measured": "1", "inferred": "0"}


def site_model_table(path: str | Path) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The ``<site>`` elements of an NRML site model as a table.

    Returns
    -------
    header_line : int
        Line of the ``<siteModel>`` element.
    header : list of str
        The attribute names, in order of first appearance (``vs30Type`` as ``vs30measured``).
    rows : list of (line, cells)
        One per ``<site>``: its line and its attribute values in header order.

    Raises
    ------
    InputError
        Not NRML, no ``<siteModel>``, an element other than ``<site>`` in it, no site, a site
        lacking an attribute that other sites have, or a ``vs30Type`` other than ``measured``
        or ``inferred`` (naming the file and line).
    """
    content, _version = read_nrml(path)
    if content.tag != "siteModel":
        raise InputError(f"{content.where}: expected a <siteModel> element in the site model "
                         f"file, got <{content.tag}>")
    sites = []
    for child in content.children:
        if child.tag != "site":
            raise InputError(f"{child.where}: <siteModel> may hold only <site> elements, got "
                             f"<{child.tag}>")
        sites.append(child)
    if not sites:
        raise InputError(f"{content.where}: the <siteModel> has no <site> element")
    header: list[str] = []
    for site in sites:
        for name in site.attrib:
            if name not in header:
                header.append(name)
    rows = []
    for site in sites:
        missing = [name for name in header if name not in site.attrib]
        if missing:
            raise InputError(f"{site.where}: <site> lacks the attribute(s) {', '.join(missing)} "
                             "that other sites of the model have")
        cells = [site.attrib[name] for name in header]
        if "vs30Type" in site.attrib:
            kind = site.attrib["vs30Type"].strip().lower()
            if kind not in _VS30_TYPES:
                raise InputError(f"{site.where}: vs30Type must be 'measured' or 'inferred', "
                                 f"got {site.attrib['vs30Type']!r}")
            cells[header.index("vs30Type")] = _VS30_TYPES[kind]
        rows.append((site.line, cells))
    header = ["vs30measured" if name == "vs30Type" else name for name in header]
    return content.line, header, rows
