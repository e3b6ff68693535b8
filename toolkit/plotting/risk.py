"""Loss curves and damage distributions.

A loss curve gives the loss exceeded with a return period (OpenQuake's ``aggcurves``: columns
``return_period``, ``loss_type``, ``loss_value``) or with a probability of exceedance
(``loss_curves``: ``loss_value``, ``poe``). A damage distribution is the number of buildings
per damage state (OpenQuake's ``aggrisk`` of a damage calculation: ``loss_type``,
``no_damage``, ``LS1`` ...; or the per-asset ``<loss type>-<state>`` columns of
``damages-rlzs``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from toolkit.errors import InputError
from toolkit.plotting import new_axes, with_units

__all__ = ["plot_loss_curve", "plot_damage_distribution", "damage_states"]

_LOSS = ("loss_value", "loss", "value")
_GROUPS = ("loss_type", "kind", "stat", "rlz_id", "rlz", "agg_id")


def _loss_label(units: str | None) -> str:
    return with_units("Loss", units) if units else "Loss (exposure currency)"


def plot_loss_curve(curve: Any, *, ax: Any = None, loss_type: str | None = None,
                    units: str | None = None, legend: bool = True, **style: Any) -> list[Any]:
    """Loss exceedance curves.

    Parameters
    ----------
    curve : pandas.DataFrame, pandas.Series or mapping
        ``aggcurves``-like (``return_period`` and ``loss_value``/``loss``; one line per
        ``loss_type`` and ``kind``/``stat``/``rlz_id``): return period (log x) against loss;
        ``loss_curves``-like (``loss_value`` and ``poe``): loss against probability of
        exceedance (log y); a Series of losses indexed by return period; or
        ``{label: (return_periods, losses)}``.
    loss_type : str, optional
        Keep one loss type.
    units : str, optional
        Currency of the losses (y label).

    Returns
    -------
    list of matplotlib.lines.Line2D
    """
    ax = new_axes(ax)
    lines: list[Any] = []
    mode = "rp"
    series: list[tuple[str, np.ndarray, np.ndarray]] = []
    if isinstance(curve, Mapping):
        series = [(str(k), np.asarray(v[0], float), np.asarray(v[1], float))
                  for k, v in curve.items()]
    elif hasattr(curve, "columns"):
        frame = curve
        if loss_type is not None:
            if "loss_type" not in frame.columns:
                raise InputError("loss_type given, but the table has no loss_type column")
            frame = frame[frame["loss_type"] == loss_type]
            if frame.empty:
                raise InputError(f"loss_type={loss_type!r}: no rows; available: "
                                 f"{sorted(set(curve['loss_type']))}")
        value = next((c for c in _LOSS if c in frame.columns), None)
        if value is None:
            raise InputError(f"a loss curve needs a column {' or '.join(_LOSS)}; got "
                             f"{list(frame.columns)}")
        if "return_period" in frame.columns:
            xcol = "return_period"
        elif "poe" in frame.columns:
            xcol, mode = "poe", "poe"
        else:
            raise InputError(f"a loss curve needs return_period or poe; got {list(frame.columns)}")
        groups = [c for c in _GROUPS if c in frame.columns and frame[c].nunique() > 1]
        if groups:
            for key, part in frame.groupby(groups, sort=False):
                key = key if isinstance(key, tuple) else (key,)
                part = part.sort_values(xcol)
                series.append((", ".join(str(k) for k in key), part[xcol].to_numpy(float),
                               part[value].to_numpy(float)))
        else:
            part = frame.sort_values(xcol)
            name = str(frame["loss_type"].iloc[0]) if "loss_type" in frame.columns and len(
                frame) else ""
            series.append((name, part[xcol].to_numpy(float), part[value].to_numpy(float)))
    elif hasattr(curve, "index"):
        series = [(str(curve.name or ""), np.asarray(curve.index, float),
                   np.asarray(curve.values, float))]
    else:
        raise InputError("plot_loss_curve: expected a DataFrame, a Series or a mapping")
    for label, x, y in series:
        if mode == "rp":
            (line,) = ax.plot(x, y, marker="o", markersize=3, label=label or None, **style)
        else:
            (line,) = ax.plot(y, x, marker="o", markersize=3, label=label or None, **style)
        lines.append(line)
    if mode == "rp":
        ax.set_xscale("log")
        ax.set_xlabel("Return period [yr]")
        ax.set_ylabel(_loss_label(units))
    else:
        ax.set_yscale("log")
        ax.set_xlabel(_loss_label(units))
        ax.set_ylabel("Probability of exceedance")
    ax.grid(True, which="both", alpha=0.3)
    if legend and len(lines) > 1:
        ax.legend(fontsize="small")
    return lines


_STATE = re.compile(r"^(?:(?P<lt>[a-z_]+)-)?(?P<state>no_damage|ds\d+|ls\d+|slight|moderate|"
                    r"extensive|complete|collapse\w*|none|minor|major|destroyed)$", re.IGNORECASE)


def damage_states(columns: Sequence[str]) -> list[str]:
    """The damage-state columns of a table: ``no_damage``, ``LS1`` ... or
    ``structural-no_damage`` ... (in table order)."""
    return [c for c in columns if _STATE.match(str(c))]


def plot_damage_distribution(damage: Any, *, ax: Any = None, by: str | None = None,
                             states: Sequence[str] | None = None, normalize: bool = False,
                             legend: bool = True, **style: Any) -> list[Any]:
    """Buildings per damage state, as bars (stacked per group when there are groups).

    Parameters
    ----------
    damage : pandas.DataFrame, pandas.Series or mapping
        ``{state: buildings}``; a Series indexed by state; or a table with damage-state
        columns (see :func:`damage_states`), e.g. ``Client.damages(calc, by="aggregate")`` or
        ``by="asset"``.
    by : str, optional
        Column to group the rows by (``taxonomy``, ``loss_type``...); default: no groups
        (rows summed), or ``loss_type`` when it has several values.
    states : sequence of str, optional
        The damage-state columns (default detected).
    normalize : bool
        Percentages of the buildings of each group.

    Returns
    -------
    list of matplotlib.container.BarContainer
        One per damage state when grouped (stacked), else one.
    """
    ax = new_axes(ax)
    if isinstance(damage, Mapping):
        labels, groups, matrix = list(map(str, damage)), [""], np.array(
            [[float(v) for v in damage.values()]])
    elif hasattr(damage, "columns"):
        frame = damage
        labels = list(states) if states is not None else damage_states(list(frame.columns))
        if not labels:
            raise InputError(f"no damage-state columns in {list(frame.columns)}; give states=")
        if by is None and "loss_type" in frame.columns and frame["loss_type"].nunique() > 1:
            by = "loss_type"
        if by is not None:
            if by not in frame.columns:
                raise InputError(f"by={by!r}: not a column; columns: {list(frame.columns)}")
            summed = frame.groupby(by, sort=False)[labels].sum()
            groups = [str(g) for g in summed.index]
            matrix = summed.to_numpy(float)
        else:
            groups, matrix = [""], frame[labels].to_numpy(float).sum(axis=0, keepdims=True)
    elif hasattr(damage, "index"):
        labels, groups = [str(i) for i in damage.index], [""]
        matrix = np.asarray(damage.values, dtype=float)[None, :]
    else:
        raise InputError("plot_damage_distribution: expected a DataFrame, a Series or a mapping")
    short = [_STATE.match(s).group("state") if _STATE.match(s) else s for s in labels]
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(100 * matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    ylabel = "Fraction of buildings [%]" if normalize else "Number of buildings"
    bars = []
    if len(groups) == 1:
        colours = [f"C{i % 10}" for i in range(len(labels))]
        bars.append(ax.bar(short, matrix[0], color=colours, **style))
        ax.set_xlabel("Damage state")
    else:
        bottom = np.zeros(len(groups))
        for j, state in enumerate(short):
            bars.append(ax.bar(groups, matrix[:, j], bottom=bottom, label=state, **style))
            bottom = bottom + matrix[:, j]
        ax.set_xlabel(by or "")
        if legend:
            ax.legend(title="Damage state", fontsize="small")
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    return bars
