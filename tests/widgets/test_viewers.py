"""HazardCurveViewer, FieldViewer and DamageViewer: set traits or move pickers, check what is
drawn (line data, image values, PNG bytes) and what the status line says."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

from toolkit.widgets import DamageViewer, FieldViewer, HazardCurveViewer
from toolkit.widgets.adapters import hazard_from_outputs
from toolkit.widgets.protocol import DamageTable, FieldSeries, RasterImage

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def curves(calcs, classical_id):
    return hazard_from_outputs(calcs.outputs(classical_id))


def test_hazard_viewer_draws_the_selected_curves(curves) -> None:
    viewer = HazardCurveViewer(curves)
    changes = []
    viewer.on_change(lambda v: changes.append((v.site, v.imt, v.kinds)))
    assert viewer.kinds == ("mean", "quantile-0.16", "quantile-0.84")  # statistics first
    assert viewer.n_curves == 3 and viewer.image.value[:8] == PNG
    assert viewer.status_text.startswith("3 curves of PGA at site 0 (10.000, 45.000)")
    viewer.imt_picker.value = "SA(1.0)"  # as a user picks it
    viewer.site_picker.value = 4
    viewer.kind_picker.value = ("mean", "rlz-1")
    assert (viewer.site, viewer.imt, viewer.kinds) == (4, "SA(1.0)", ("mean", "rlz-1"))
    assert changes[-1] == (4, "SA(1.0)", ("mean", "rlz-1")) and len(changes) == 3
    assert viewer.n_curves == 2
    mean, rlz1 = viewer.lines
    np.testing.assert_array_equal(mean.get_xdata(), curves.levels["SA(1.0)"])
    np.testing.assert_allclose(mean.get_ydata(), curves.curve("mean", "SA(1.0)", 4))
    np.testing.assert_allclose(rlz1.get_ydata(), curves.curve("rlz-1", "SA(1.0)", 4))


def test_hazard_viewer_rate_and_traits_drive_the_pickers(curves) -> None:
    viewer = HazardCurveViewer(curves)
    viewer.site = 2
    assert viewer.site_picker.value == 2
    viewer.rate = True
    poe = curves.curve("mean", "PGA", 2)
    rate = viewer.lines[0].get_ydata()
    keep = poe > 0
    np.testing.assert_allclose(rate, -np.log1p(-poe[keep]) / curves.investigation_time)
    assert viewer.rate_box.value is True


def test_hazard_viewer_rejects_bad_values(curves) -> None:
    viewer = HazardCurveViewer(curves)
    with pytest.raises(traitlets.TraitError, match="out of range"):
        viewer.site = 99
    with pytest.raises(traitlets.TraitError, match="IMT 'PGV'"):
        viewer.imt = "PGV"
    with pytest.raises(traitlets.TraitError, match="unknown curves"):
        viewer.kinds = ("median",)


def test_hazard_viewer_load_from_a_service(calcs, classical_id, scenario_id) -> None:
    viewer = HazardCurveViewer(service=calcs, calc_id=classical_id)
    assert viewer.n_curves == 3 and f"calculation {classical_id}" in viewer.title.value
    viewer.load(scenario_id)  # a scenario has no curves: an error shows, no exception
    assert "no hazard curves" in viewer.error_message
    assert HazardCurveViewer().status_text == "No hazard curves loaded."


def _flood_field(scenarios, uuid):
    return scenarios.fields(uuid)["Water depth"]


def test_field_viewer_slider_moves_the_time_step(scenarios, flood_uuid) -> None:
    field = _flood_field(scenarios, flood_uuid)
    viewer = FieldViewer(field)
    steps = []
    viewer.on_step(steps.append)
    assert viewer.slider.max == 24 and viewer.slider.description == "time"
    assert viewer.variable_picker.layout.display == "none"  # one field: no picker
    viewer.slider.value = 12  # as a user drags the slider
    assert viewer.step == 12 and steps == [12]
    values = field.at(12)
    wet = int((values > 0).sum())
    assert viewer.status_text == (f"Water depth at {field.steps[12]} (time 13 of 25): {wet} of "
                                  f"403 cells wet, max {np.nanmax(values):.2f} m")
    shown = viewer.artist.get_array()
    expected = field.grid.to_raster(np.where(values > 0, values, np.nan), dtype=np.float64)
    np.testing.assert_array_equal(np.ma.filled(shown, np.nan), expected)
    assert viewer.artist.get_clim() == (0.0, pytest.approx(field.vmax))  # fixed over steps
    assert viewer.image.value[:8] == PNG
    with pytest.raises(traitlets.TraitError):
        viewer.step = 25


def test_field_viewer_switches_fields(calcs, scenario_id) -> None:
    fields = calcs.fields(scenario_id)
    viewer = FieldViewer(fields)
    assert viewer.variable == "PGA" and viewer.slider.description == "event"
    viewer.step = 3
    viewer.variable_picker.value = "SA(1.0)"
    assert viewer.variable == "SA(1.0)" and viewer.step == 3
    np.testing.assert_array_equal(viewer.artist.get_array(), fields["SA(1.0)"].at(3))
    assert viewer.status_text.startswith("SA(1.0) at event")
    with pytest.raises(traitlets.TraitError, match="unknown field"):
        viewer.variable = "PGV"


def test_field_viewer_single_step_and_no_data() -> None:
    field = FieldSeries("x", "u", [0.0, 1.0], [0.0, 1.0], ["only"], np.array([[np.nan] * 2]))
    viewer = FieldViewer(field)
    assert viewer.slider.disabled and viewer.status_text.endswith("no data")


def test_field_viewer_lazy_field_on_a_grid() -> None:
    from toolkit.scenarios.rasters import CellGrid

    n = 50
    col, row = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    grid = CellGrid.from_bounds(col.ravel() * 1.0, row.ravel() * 1.0, col.ravel() + 1.0,
                                row.ravel() + 1.0)
    field = FieldSeries("v", "m", col.ravel() + 0.5, row.ravel() + 0.5, ["a", "b"],
                        lambda i: np.full(n * n, float(i + 1)), grid=grid)
    viewer = FieldViewer(field)
    viewer.step = 1
    assert viewer.status_text.endswith("2500 cells, 2 to 2 m")


def test_damage_viewer_columns_and_total() -> None:
    raster = RasterImage(np.array([[0.0, 5.0], [1.0, np.nan]]), (0, 2, 0, 2), "damage", "EUR")
    table = DamageTable("t", ["a", "b", "c"], ["total_damage", "flooded_area_m2"],
                        [[10.0, 4.0], [0.0, 0.0], [2.5, 1.0]],
                        units={"total_damage": "EUR", "flooded_area_m2": "m²"}, raster=raster)
    viewer = DamageViewer(table)
    assert viewer.total == 12.5
    assert viewer.status_text == "Total damage: 12.5 EUR (2 of 3 categories non-zero)"
    assert [b.get_width() for b in viewer.bars] == [10.0, 0.0, 2.5]
    assert viewer.map_image.layout.display is None and viewer.map_image.value[:8] == PNG
    viewer.column_picker.value = "flooded_area_m2"
    assert viewer.column == "flooded_area_m2" and viewer.total == 5.0
    assert "<th style='text-align:left;padding:2px 8px'>a</th>" in viewer.table_view.value
    with pytest.raises(traitlets.TraitError):
        viewer.column = "nothing"


def test_damage_viewer_empty_states() -> None:
    viewer = DamageViewer(None)
    assert "No damage" in viewer.empty.value and viewer.status_text == "No damage results."
    zero = DamageTable("t", ["a"], ["total_damage"], [[0.0]])
    viewer.set_table(zero)
    assert "No total damage in any category" in viewer.empty.value
    assert viewer.map_image.layout.display == "none"
    viewer.set_table(DamageTable("t", [], ["x"], np.zeros((0, 1))))
    assert "empty" in viewer.empty.value


def test_damage_viewer_from_a_flood_scenario(scenarios, flood_uuid) -> None:
    viewer = DamageViewer(scenarios.damage(flood_uuid))
    assert viewer.column == "total_damage" and viewer.total > 1e5
    assert viewer.status_text.startswith("Total damage: ") and " EUR " in viewer.status_text
