"""Loss curves and damage distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.client.oq import read_oq_csv
from toolkit.errors import InputError
from toolkit.plotting import plot_damage_distribution, plot_loss_curve


def test_loss_curves_by_loss_type():
    frame = pd.DataFrame({
        "return_period": [50, 100, 500, 50, 100, 500],
        "loss_type": ["structural"] * 3 + ["contents"] * 3,
        "rlz_id": 0, "loss_value": [10.0, 20.0, 50.0, 1.0, 2.0, 5.0]})
    lines = plot_loss_curve(frame, units="EUR")
    assert [line.get_label() for line in lines] == ["structural", "contents"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [50, 100, 500])
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.0, 2.0, 5.0])
    ax = lines[0].axes
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "Return period [yr]" and ax.get_ylabel() == "Loss [EUR]"
    one = plot_loss_curve(frame, loss_type="contents")
    assert len(one) == 1 and one[0].axes.get_ylabel() == "Loss (exposure currency)"
    with pytest.raises(InputError, match="loss_type='bogus'"):
        plot_loss_curve(frame, loss_type="bogus")


def test_loss_curve_with_poes_and_series():
    frame = pd.DataFrame({"asset_id": "a1", "loss_type": "structural",
                          "loss_value": [0.0, 100.0, 200.0], "poe": [0.5, 0.1, 0.01]})
    (line,) = plot_loss_curve(frame, units="USD")
    np.testing.assert_array_equal(line.get_xdata(), [200.0, 100.0, 0.0])  # sorted by poe
    assert line.axes.get_yscale() == "log" and line.axes.get_xlabel() == "Loss [USD]"
    (line,) = plot_loss_curve(pd.Series([5.0, 9.0], index=[10, 100], name="total"))
    np.testing.assert_array_equal(line.get_xdata(), [10, 100])


@pytest.mark.shared
def test_damage_distribution_of_openquake_aggrisk(shared_dir):
    """OpenQuake's aggrisk export of QA scenario_damage/case_1 (loss_type,no_damage,LS1,LS2)."""
    path = shared_dir / "reference" / "openquake" / "cli-exports" / "calc_7" / "aggrisk-_7.csv"
    frame = read_oq_csv(path.read_bytes(), str(path))
    (bars,) = plot_damage_distribution(frame)
    assert [b.get_height() for b in bars] == [1630.0, 2258.0, 2112.0]
    ax = bars[0].axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["no_damage", "LS1", "LS2"]
    assert ax.get_xlabel() == "Damage state" and ax.get_ylabel() == "Number of buildings"


def test_damage_distribution_grouped_and_normalised():
    assets = pd.DataFrame({"id": ["a1", "a2", "a3"], "taxonomy": ["RC", "RM", "RC"],
                           "lon": 0.0, "lat": 0.0,
                           "structural-no_damage": [5.0, 1.0, 1.0],
                           "structural-LS1": [3.0, 2.0, 1.0],
                           "structural-LS2": [2.0, 2.0, 0.0]})
    bars = plot_damage_distribution(assets, by="taxonomy", normalize=True)
    assert len(bars) == 3  # one container per state, stacked over the groups
    heights = np.array([[b.get_height() for b in container] for container in bars])
    np.testing.assert_allclose(heights.sum(axis=0), [100.0, 100.0])
    np.testing.assert_allclose(heights[:, 0], [50.0, 33.333333, 16.666667])
    ax = bars[0][0].axes
    assert ax.get_ylabel() == "Fraction of buildings [%]" and ax.get_xlabel() == "taxonomy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no_damage", "LS1", "LS2"]
    (single,) = plot_damage_distribution({"none": 3, "slight": 2})
    assert [b.get_height() for b in single] == [3.0, 2.0]
    with pytest.raises(InputError, match="no damage-state columns"):
        plot_damage_distribution(pd.DataFrame({"a": [1]}))
