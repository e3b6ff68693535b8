"""Exposure models: NRML 0.4/0.5 XML, CSV assets, value conventions and line-aware errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import InputError
from toolkit.io.exposure import Exposure, read_csv_table, read_exposure

NS = {"0.4": "http://openquake.org/xmlns/nrml/0.4", "0.5": "http://openquake.org/xmlns/nrml/0.5"}


def nrml(body: str, version: str = "0.5") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<nrml xmlns="{NS[version]}">\n'
            f"{body}</nrml>\n")


def model(assets: str, conversions: str = "", extra: str = "") -> str:
    """An exposureModel; ``assets`` is the inside of <assets>."""
    conv = conversions or ('<conversions><costTypes>'
                           '<costType name="structural" type="aggregated" unit="USD"/>'
                           '</costTypes></conversions>\n')
    return (f'<exposureModel id="ex" category="buildings">\n<description>d</description>\n'
            f"{conv}{extra}<assets>{assets}</assets>\n</exposureModel>\n")


def asset(ident: str = "a1", tax: str = "W", number: str = "2", lon: str = "10",
          lat: str = "45", costs: str = '<cost type="structural" value="100"/>',
          more: str = "", attrs: str = "") -> str:
    location = f'<location lon="{lon}" lat="{lat}"/>' if lon is not None else ""
    tax_attr = f' taxonomy="{tax}"' if tax is not None else ""
    return (f'\n<asset id="{ident}"{tax_attr} number="{number}"{attrs}>{location}'
            f"<costs>{costs}</costs>{more}</asset>\n")


def write(tmp_path: Path, text: str, name: str = "exposure.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- QA cases
@pytest.fixture
def qa(shared_dir: Path) -> Path:
    return shared_dir / "reference" / "openquake" / "qa"


def test_scenario_damage_case_1_tags_match_openquake(qa: Path):
    case = qa / "scenario_damage" / "case_1"
    exp = read_exposure(case / "exposure_model.xml")
    assert isinstance(exp, Exposure)
    assert list(exp.asset_id) == ["a1", "a2", "a3"]
    assert list(exp.taxonomy) == ["RM", "RC", "RM"]
    np.testing.assert_array_equal(exp.number, [3000, 2000, 1000])
    np.testing.assert_array_equal(exp.values["structural"], [3000, 2000, 1000])
    np.testing.assert_array_equal(exp.lon, [15.48, 15.56, 15.48])
    np.testing.assert_array_equal(exp.lat, [38.09, 38.17, 38.25])
    assert exp.cost_units == {"structural": "USD"}
    assert exp.cost_types == {"structural": "aggregated"}
    assert exp.tag_names == ["CRESTA", "region"]
    # the tags OpenQuake exports in dmg_by_asset.csv ("?" when missing)
    with open(case / "expected" / "dmg_by_asset.csv", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if not r[0].startswith("#")]
    header, body = rows[0], rows[1:]
    expected = {r[header.index("asset_id")]: (r[header.index("CRESTA")],
                                              r[header.index("region")]) for r in body}
    got = {a: (c, r) for a, c, r in zip(exp.asset_id, exp.tags["CRESTA"], exp.tags["region"],
                                        strict=True)}
    assert got == expected
    assert got["a2"] == ("01.1", "Alhué")
    assert exp.occupants == {} and exp.deductibles == {}
    assert exp.where(2) == f"{case / 'exposure_model.xml'} line 26, asset 'a3'"
    assert len(exp) == 3 and exp.loss_types == ["structural"]


def test_scenario_risk_case_1_insurance_is_absolute(qa: Path):
    exp = read_exposure(qa / "scenario_risk" / "case_1" / "exposure_model.xml")
    np.testing.assert_array_equal(exp.deductibles["structural"], [300, 350, 100])
    np.testing.assert_array_equal(exp.insurance_limits["structural"], [600, 800, 300])
    assert list(exp.tags["OCC"]) == ["res"] * 3


# --------------------------------------------------------------------------- value rules
CONVERSIONS = """<conversions>
  <area type="{area}" unit="SQM"/>
  <costTypes>
    <costType name="structural" type="per_area" unit="EUR"/>
    <costType name="nonstructural" type="per_asset" unit="EUR"/>
    <costType name="contents" type="aggregated" unit="EUR"/>
  </costTypes>
  <deductible isAbsolute="false"/>
  <insuranceLimit isAbsolute="true"/>
</conversions>
<tagNames>state county</tagNames>
"""


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize(("area_type", "structural"),
                         [("per_asset", 10 * 100 * 5), ("aggregated", 10 * 100)])
def test_cost_type_conventions(tmp_path, version, area_type, structural):
    costs = ('<cost type="structural" value="10" deductible="0.1" insuranceLimit="900"/>'
             '<cost type="nonstructural" value="7"/><cost type="contents" value="3"/>')
    occ = ('<occupancies><occupancy occupants="20" period="day"/>'
           '<occupancy occupants="4" period="night"/></occupancies><tags state="CA"/>')
    a2 = asset("a2", number="1", costs='<cost type="contents" value="1"/>', attrs=' area="2"')
    body = model(asset("a1", number="5", costs=costs, more=occ, attrs=' area="100"') + a2,
                 CONVERSIONS.format(area=area_type))
    exp = read_exposure(write(tmp_path, nrml(body, version)))
    assert exp.values["structural"][0] == structural
    assert exp.values["nonstructural"][0] == 7 * 5
    assert exp.values["contents"][0] == 3
    assert np.isnan(exp.values["structural"][1]) and exp.values["contents"][1] == 1
    assert exp.cost_types == {"structural": "per_area", "nonstructural": "per_asset",
                              "contents": "aggregated"}
    assert exp.cost_units["nonstructural"] == "EUR"
    # deductible is a fraction of the total value, the limit an amount
    assert exp.deductibles["structural"][0] == pytest.approx(0.1 * structural)
    assert exp.insurance_limits["structural"][0] == 900
    assert np.isnan(exp.deductibles["structural"][1])
    assert exp.occupancy_periods == ["day", "night"]
    assert exp.occupants["day"][0] == 20 and exp.occupants["night"][0] == 4
    assert np.isnan(exp.occupants["day"][1])
    assert list(exp.tags["state"]) == ["CA", "?"] and list(exp.tags["county"]) == ["?", "?"]
    np.testing.assert_array_equal(exp.area, [100, 2])


def test_number_defaults_to_one(tmp_path):
    body = model('<asset id="a" taxonomy="T"><location lon="1" lat="2"/></asset>',
                 '<conversions><costTypes><costType name="structural" type="per_asset"/>'
                 '</costTypes></conversions>')
    exp = read_exposure(write(tmp_path, nrml(body)))
    assert exp.number[0] == 1 and np.isnan(exp.values["structural"][0])
    assert exp.cost_units == {"structural": ""}


# --------------------------------------------------------------------------- CSV assets
META = """<conversions><costTypes>
  <costType name="structural" type="per_asset" unit="USD"/>
  <costType name="contents" type="aggregated" unit="USD"/>
</costTypes></conversions>
<occupancyPeriods>night day</occupancyPeriods>
<tagNames>NAME_1 OCC</tagNames>
"""
FIELDS = """<exposureFields>
  <field oq="id" input="ASSET_ID"/>
  <field oq="lon" input="LONGITUDE"/>
  <field oq="lat" input="LATITUDE"/>
  <field oq="number" input="BUILDINGS"/>
  <field oq="structural" input="COST_STRUCTURAL_USD"/>
</exposureFields>
"""


def test_xml_with_csv_assets_and_field_mapping(tmp_path):
    (tmp_path / "a.csv").write_text(
        "ASSET_ID,LONGITUDE,LATITUDE,taxonomy,BUILDINGS,COST_STRUCTURAL_USD,contents,night,"
        "day,NAME_1,EXTRA\n"
        "x1,10.5,45.1,CR,4,250,80,12,3,Lombardy,ignored\n"
        "x2,10.6,45.2,MUR,1,100,10,2,1,,ignored\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        "ASSET_ID,LONGITUDE,LATITUDE,taxonomy,BUILDINGS,COST_STRUCTURAL_USD,contents,night,"
        "day,OCC\n"
        "x3,11,46,CR,2,50,5,1,0,RES\n", encoding="utf-8")
    path = write(tmp_path, nrml(model("a.csv b.csv", META, FIELDS)))
    exp = read_exposure(path)
    assert list(exp.asset_id) == ["x1", "x2", "x3"]
    np.testing.assert_array_equal(exp.values["structural"], [1000, 100, 100])
    np.testing.assert_array_equal(exp.values["contents"], [80, 10, 5])
    np.testing.assert_array_equal(exp.occupants["night"], [12, 2, 1])
    np.testing.assert_array_equal(exp.occupants["day"], [3, 1, 0])
    assert list(exp.tags["NAME_1"]) == ["Lombardy", "?", "?"]
    assert list(exp.tags["OCC"]) == ["?", "?", "RES"]
    assert "EXTRA" not in exp.tags
    assert exp.where(1) == f"{tmp_path / 'a.csv'} line 3, asset 'x2'"
    assert exp.where(2) == f"{tmp_path / 'b.csv'} line 2, asset 'x3'"
    assert exp.files == [tmp_path / "a.csv", tmp_path / "b.csv"] and exp.path == path


def test_bare_csv_exposure_with_default_names(tmp_path):
    path = write(tmp_path, "# a comment line\n"
                 "id,lon,lat,taxonomy,number,structural,nonstructural,contents,"
                 "business_interruption,night,day,transit,residents,area,region\n"
                 "a,1,2,W,3,10,20,30,40,5,6,7,8,99,north\n"
                 "\n"
                 "b,1.5,2.5,S,1,11,21,31,41,1,2,3,4,50,\n", "assets.csv")
    exp = read_exposure(path)
    assert list(exp.asset_id) == ["a", "b"]
    assert exp.cost_types == dict.fromkeys(
        ["structural", "nonstructural", "contents", "business_interruption"], "aggregated")
    np.testing.assert_array_equal(exp.values["business_interruption"], [40, 41])
    assert sorted(exp.occupants) == ["day", "night", "residents", "transit"]
    np.testing.assert_array_equal(exp.occupants["residents"], [8, 4])
    assert exp.tag_names == ["region"] and list(exp.tags["region"]) == ["north", "?"]
    np.testing.assert_array_equal(exp.area, [99, 50])
    assert exp.where(1) == f"{path} line 5, asset 'b'"


def test_several_files_are_concatenated(tmp_path):
    one = write(tmp_path, nrml(model(asset("a1"), extra="<tagNames>zone</tagNames>")), "1.xml")
    two = write(tmp_path, "id,lon,lat,taxonomy,structural\nb1,3,4,C,7\n", "2.csv")
    exp = read_exposure([one, two])
    assert list(exp.asset_id) == ["a1", "b1"]
    np.testing.assert_array_equal(exp.values["structural"], [100, 7])
    assert list(exp.tags["zone"]) == ["?", "?"]
    assert exp.cost_units == {"structural": "USD"}


# --------------------------------------------------------------------------- errors
def error(path, *parts: str) -> str:
    with pytest.raises(InputError) as info:
        read_exposure(path)
    message = str(info.value)
    for part in parts:
        assert part in message, (part, message)
    return message


XML_ERRORS = [
    # (assets inside <assets>, expected line of the error, fragments of the message)
    (asset("a1") + asset("a1"), 8, ["duplicate asset id 'a1'", "first at", "line 6"]),
    (asset("a1", number="-2"), 6, ["asset 'a1'", "number must be >= 0", "-2"]),
    (asset("a1", costs='<cost type="structural" value="-5"/>'), 6,
     ["asset 'a1'", "cost 'structural' value must be >= 0"]),
    (asset("a1", attrs=' area="-1"'), 6, ["asset 'a1'", "area must be >= 0"]),
    (asset("a1", costs='<cost type="structural" value="lots"/>'), 6,
     ["asset 'a1'", "cost 'structural' value must be a finite number", "'lots'"]),
    (asset("a1", costs='<cost type="structural" value="nan"/>'), 6, ["finite number"]),
    (asset("a1", costs='<cost type="contents" value="5"/>'), 6,
     ["asset 'a1'", "unknown cost type 'contents'", "declare: structural"]),
    (asset("a1", lon=None), 6, ["asset 'a1'", "has no <location>"]),
    (asset("a1", tax=None), 6, ["asset 'a1'", "has no taxonomy"]),
    (asset("a1", tax=""), 6, ["asset 'a1'", "has no taxonomy"]),
    (asset("a1", lon="200"), 6, ["asset 'a1'", "out of range"]),
    (asset("a1", lat="north"), 6, ["asset 'a1'", "latitude must be a finite number"]),
    ('\n<asset id="a1" taxonomy="W"><location lat="1"/></asset>', 6,
     ["asset 'a1'", "lacks the attribute 'lon'"]),
    (asset("a1", more='<tags colour="red"/>'), 6,
     ["asset 'a1'", "unknown tag 'colour'", "are: none"]),
    (asset("a1", costs='<cost type="structural" value="1"/><cost type="structural" value="2"/>'),
     6, ["asset 'a1'", "'structural' is given twice"]),
    (asset("a1", costs='<cost type="structural" value="1" deductible="-1"/>'), 6,
     ["asset 'a1'", "deductible must be >= 0"]),
    (asset("a1", more='<occupancies><occupancy occupants="-3" period="day"/></occupancies>'), 6,
     ["asset 'a1'", "occupants (day) must be >= 0"]),
    (asset("a1", more='<occupancies><occupancy occupants="3"/></occupancies>'), 6,
     ["asset 'a1'", "lacks the attribute 'period'"]),
    (asset("a1", more='<occupancies><occupancy occupants="3" period="day"/>'
                      '<occupancy occupants="3" period="day"/></occupancies>'), 6,
     ["asset 'a1'", "period 'day' is given twice"]),
    ('\n<asset taxonomy="W"><location lon="1" lat="1"/></asset>', 6,
     ["lacks the attribute 'id'"]),
    ("\n<site/>", 5, ["unexpected element <site> in <assets>"]),
    ("", 5, ["<assets> is empty"]),
    (asset("a1") + " more.csv", 5, ["both <asset> elements and CSV file names"]),
    ("missing.csv", 5, ["the assets file 'missing.csv' does not exist"]),
]


@pytest.mark.parametrize(("assets", "line", "parts"), XML_ERRORS)
def test_xml_errors_name_file_line_and_asset(tmp_path, assets, line, parts):
    path = write(tmp_path, nrml(model(assets)).replace("\n<description>d</description>", ""))
    error(path, f"{path} line {line}", *parts)


CONVERSION_ERRORS = [
    ('<conversions><costTypes><costType name="structural" type="per_unit"/></costTypes>'
     "</conversions>", ["costType 'structural' has type 'per_unit'", "per_area"]),
    ('<conversions><costTypes><costType name="s" type="aggregated"/>'
     '<costType name="s" type="aggregated"/></costTypes></conversions>',
     ["costType 's' is declared twice"]),
    ('<conversions><area type="per_building"/></conversions>', ["<area> type must be"]),
    ('<conversions><deductible isAbsolute="maybe"/></conversions>',
     ["isAbsolute must be true or false"]),
    ('<conversions><costTypes><costType type="aggregated"/></costTypes></conversions>',
     ["lacks the attribute 'name'"]),
]


@pytest.mark.parametrize(("conversions", "parts"), CONVERSION_ERRORS)
def test_conversion_errors(tmp_path, conversions, parts):
    path = write(tmp_path, nrml(model(asset("a1"), conversions)))
    error(path, f"{path} line", *parts)


def test_per_area_cost_needs_area(tmp_path):
    conv = ('<conversions><costTypes><costType name="structural" type="per_area"/>'
            "</costTypes></conversions>")
    path = write(tmp_path, nrml(model(asset("a1"), conv)))
    error(path, f"{path} line 6", "asset 'a1'", "per_area but the asset has no area")


@pytest.mark.parametrize(("extra", "parts"), [
    ("<tagNames>a b a</tagNames>", ["tag name(s) ['a'] repeated"]),
    ("<tagNames>taxonomy</tagNames>", ["clash with asset fields"]),
    ('<exposureFields><field oq="id" input="A"/><field oq="id" input="B"/></exposureFields>',
     ["two input columns ('A', 'B') map to the field 'id'"]),
])
def test_metadata_errors(tmp_path, extra, parts):
    path = write(tmp_path, nrml(model(asset("a1"), extra=extra)))
    error(path, f"{path} line", *parts)


def test_not_an_exposure_model(tmp_path):
    path = write(tmp_path, nrml('<fragilityModel id="f"/>'))
    error(path, f"{path} line 3", "expected an <exposureModel>, found <fragilityModel>")


def test_no_assets_section(tmp_path):
    path = write(tmp_path, nrml('<exposureModel id="e"><description/></exposureModel>'))
    error(path, f"{path} line 3", "has no <assets> element")


def test_missing_and_malformed_files(tmp_path):
    error(tmp_path / "nope.xml", "nope.xml: file not found")
    error(tmp_path / "nope.csv", "nope.csv: exposure CSV file not found")
    bad = write(tmp_path, "<nrml><exposureModel></nrml>")
    error(bad, f"{bad} line 1", "malformed XML")
    with pytest.raises(InputError, match="no exposure file given"):
        read_exposure([])


CSV_HEADER = "id,lon,lat,taxonomy,number,structural,contents,night\n"
CSV_ERRORS = [
    ("a,1,2,W,1,10,1,0\na,1,2,W,1,10,1,0\n", 3, ["duplicate asset id 'a'", "line 2"]),
    ("a,1,2,W,-1,10,1,0\n", 2, ["asset 'a'", "number must be >= 0", "-1"]),
    ("a,1,2,W,1,-10,1,0\n", 2, ["asset 'a'", "cost 'structural' value must be >= 0"]),
    ("a,1,2,W,1,ten,1,0\n", 2, ["asset 'a'", "must be a finite number, got 'ten'"]),
    ("a,1,2,W,1,10,1,-4\n", 2, ["asset 'a'", "occupants (night) must be >= 0"]),
    ("a,1,2,,1,10,1,0\n", 2, ["asset 'a'", "has no taxonomy"]),
    ("a,,2,W,1,10,1,0\n", 2, ["asset 'a'", "longitude must be a finite number, got ''"]),
    ("a,1,95,W,1,10,1,0\n", 2, ["asset 'a'", "out of range"]),
    (",1,2,W,1,10,1,0\n", 2, ["empty asset id"]),
    ("a,1,2,W,1,10,1\n", 2, ["expected 8 fields", "got 7"]),
    ('a,1,2,W,1,10,1,"0\n', 2, ["malformed CSV (unexpected end of data)"]),
    ('a,1,2,W,1,10,"1"x,0\n', 2, ["malformed CSV"]),
]


@pytest.mark.parametrize(("rows", "line", "parts"), CSV_ERRORS)
def test_csv_errors_name_file_line_and_asset(tmp_path, rows, line, parts):
    path = write(tmp_path, CSV_HEADER + rows, "assets.csv")
    error(path, f"{path} line {line}", *parts)


def test_csv_assets_errors_against_the_xml_metadata(tmp_path):
    (tmp_path / "a.csv").write_text("id,lon,lat,taxonomy,structural,contents\n"
                                    "a,1,2,W,1,1\n")
    path = write(tmp_path, nrml(model("a.csv")))
    error(path, f"{tmp_path / 'a.csv'} line 1", "unknown cost type 'contents'",
          "declare: structural")
    (tmp_path / "a.csv").write_text("ASSET,lon,lat,taxonomy\na,1,2,W\n")
    fields = '<exposureFields><field oq="id" input="ASSET_ID"/></exposureFields>'
    path = write(tmp_path, nrml(model("a.csv", extra=fields)))
    error(path, f"{tmp_path / 'a.csv'} line 1", "no column 'id' (input column 'ASSET_ID')")
    (tmp_path / "a.csv").write_text("ASSET_ID,id,lon,lat,taxonomy\na,b,1,2,W\n")
    error(path, "columns 'ASSET_ID' and 'id' both give the field 'id'")
    (tmp_path / "a.csv").write_text("id,lon,lat,taxonomy\na,1,2,W\n")
    periods = "<occupancyPeriods>night</occupancyPeriods>"
    path = write(tmp_path, nrml(model("a.csv", extra=periods)))
    error(path, f"{tmp_path / 'a.csv'} line 1", "occupancy period 'night'", "has no column")


def test_duplicate_ids_across_files(tmp_path):
    one = write(tmp_path, nrml(model(asset("a1"))), "1.xml")
    two = write(tmp_path, "id,lon,lat,taxonomy,structural\na1,3,4,C,7\n", "2.csv")
    error([one, two], f"{two} line 2, asset 'a1'", "duplicate asset id 'a1'", f"{one} line 7")


def test_conflicting_cost_types_across_files(tmp_path):
    one = write(tmp_path, nrml(model(asset("a1"))), "1.xml")
    conv = ('<conversions><costTypes><costType name="structural" type="aggregated" unit="EUR"/>'
            "</costTypes></conversions>")
    two = write(tmp_path, nrml(model(asset("b1"), conv)), "2.xml")
    error([one, two], f"{two}: cost type 'structural'", "'EUR'", "'USD'")


def test_empty_exposure(tmp_path):
    path = write(tmp_path, "id,lon,lat,taxonomy\n", "assets.csv")
    error(path, "the exposure has no assets")


def test_csv_table_header_checks(tmp_path):
    path = write(tmp_path, "", "t.csv")
    with pytest.raises(InputError, match="is empty: a header line is needed"):
        read_csv_table(path)
    path = write(tmp_path, "a,b,a\n1,2,3\n", "t.csv")
    with pytest.raises(InputError, match=r"t.csv line 1: column 'a' appears twice"):
        read_csv_table(path)
    path = write(tmp_path, "a,,b\n", "t.csv")
    with pytest.raises(InputError, match="empty column name"):
        read_csv_table(path)
    path = tmp_path / "latin.csv"
    path.write_bytes(b"a\n\xe9\n")
    with pytest.raises(InputError, match="not a UTF-8 text file"):
        read_csv_table(path)
    with pytest.raises(InputError, match="cannot be read"):
        read_csv_table(tmp_path)
    table = read_csv_table(write(tmp_path, "a,b,\n1,2,,\n", "t.csv"))
    assert table.header == ["a", "b"] and table.rows == [["1", "2"]]


def test_where_of_an_exposure_built_by_hand():
    exp = Exposure(path=Path("mem.xml"), asset_id=np.array(["z"]), lon=np.zeros(1),
                   lat=np.zeros(1), taxonomy=np.array(["T"]), number=np.ones(1),
                   values={}, occupants={}, tags={}, tag_names=[], cost_units={})
    assert exp.where(0) == "mem.xml, asset 'z'"
