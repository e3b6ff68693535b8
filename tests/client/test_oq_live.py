"""Client against the toolkit's own server (``create_app`` under uvicorn in a thread, real HTTP).

A classical and a scenario job go through ``Client.run`` (their folder zipped) and
``Client.wait``; a scenario_damage and a scenario_risk job are run in-process into the server's
data directory beforehand (worker processes are the slow part). What the client returns is
compared with the outputs read in-process (``toolkit.open_calc``), so client and store agree
value for value.

One test function: with ``pytest -n`` every test of a module may land on another worker,
which would start its own server and jobs.
"""

from __future__ import annotations

import numpy as np
import pytest

import toolkit
from toolkit.client.errors import ServerUnreachable
from toolkit.errors import InputError, NotFound
from toolkit.jobs.runner import run_job

from ..server.helpers import risk_job
from .helpers import classical_job, free_port, scenario_job, serving, settings


def check_run_and_wait(client, calc, final, seen):
    assert final == "complete"
    assert seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)
    assert client.status(calc)["calculation_mode"] == "scenario"
    assert client.progress(calc) == 1.0
    assert any("finished" in line[3] for line in client.log(calc))
    assert client.traceback(calc) == []


def check_hazard(client, calc, data):
    out = toolkit.open_calc(calc, data_dir=data)
    curves = client.hazard_curves(calc, kind="stats")
    assert curves.dims == ("kind", "site", "imt", "level")
    assert curves.shape == (3, 2, 3, 20)
    assert curves["kind"].values.tolist() == list(out.curves_stats)
    assert curves["imt"].values.tolist() == list(out.imtls)
    assert curves.attrs["investigation_time"] == out.investigation_time == 50.0
    np.testing.assert_allclose(curves["lon"].values, out.sites.lons)
    for m, (imt, sl) in enumerate(out.imt_slices.items()):
        np.testing.assert_array_equal(curves["iml"].values[m], out.imtls[imt])
        for k, stat in enumerate(out.curves_stats):
            np.testing.assert_allclose(curves.values[k, :, m], out.curves_stats[stat][:, sl],
                                       rtol=1e-6)  # float32 on the wire
    rlzs = client.hazard_curves(calc, kind="rlzs", imt="SA(0.2)")
    assert rlzs["kind"].values.tolist() == ["rlz-000", "rlz-001"]
    assert rlzs["imt"].values.tolist() == ["SA(0.2)"]
    sl = out.imt_slices["SA(0.2)"]
    np.testing.assert_allclose(rlzs.values[:, :, 0].transpose(1, 0, 2),
                               out.curves_rlzs[:, :, sl], rtol=1e-6)
    maps = client.hazard_maps(calc, kind="stats")
    assert maps.dims == ("kind", "site", "imt", "poe")
    assert maps["poe"].values.tolist() == [0.1, 0.02]
    np.testing.assert_allclose(maps.sel(kind="mean").values, out.maps_stats["mean"], rtol=1e-6)
    uhs = client.uhs(calc)
    np.testing.assert_allclose(uhs.sel(kind="mean").values,
                               out.maps_stats["mean"].transpose(0, 2, 1), rtol=1e-6)
    assert uhs["period"].values.tolist() == [0.0, 0.2, 1.0]
    assert client.sites(calc)["vs30"].tolist() == [760.0, 760.0]
    with pytest.raises(NotFound, match="has no ground motion fields"):
        client.gmfs(calc)


def check_gmfs(client, calc, data):
    out = toolkit.open_calc(calc, data_dir=data)
    ds = client.gmfs(calc)
    assert dict(ds.sizes) == {"event": 10, "site": 3} and list(ds.data_vars) == out.imts
    dense = np.zeros((10, 3, len(out.imts)), dtype=np.float32)
    dense[out.gmf_event_id, out.gmf_site_id] = out.gmf_gmv
    for m, imt in enumerate(out.imts):
        np.testing.assert_allclose(ds[imt].values, dense[:, :, m], rtol=1e-5)  # %.5E in CSV
        assert ds[imt].attrs["units"] == "g"
    np.testing.assert_allclose(ds["lat"].values, out.sites.lats)
    by_event = client._gmfs_by_event(calc, *client._events(calc), max_values=10**6)
    for imt in out.imts:
        np.testing.assert_array_equal(by_event[imt].values, dense[:, :, out.imts.index(imt)])
    with pytest.raises(InputError, match="max_values=10"):
        client.gmfs(calc, max_values=10)


def check_risk(client, damage, risk):
    damages = client.damages(damage)
    states = ["structural-no_damage", "structural-LS1", "structural-LS2"]
    assert damages["id"].tolist() == ["a1", "a2", "a3"]
    np.testing.assert_allclose(damages[states].sum(axis=1), [10, 5, 1], rtol=1e-5)
    aggregate = client.damages(damage, by="aggregate")
    np.testing.assert_allclose(aggregate[["no_damage", "LS1", "LS2"]].to_numpy()[0],
                               damages[states].sum().to_numpy(), rtol=1e-4)
    assets = client.losses(risk)
    total = client.losses(risk, by="aggregate")
    assert assets["asset_id"].tolist() == ["a1", "a2", "a3"]
    assert total["loss_value"][0] == pytest.approx(assets["structural"].sum(), rel=1e-4)
    events = client.losses(risk, by="event")
    assert set(events.columns) >= {"event_id", "loss", "loss_type"}


def check_errors(client, classical, tmp):
    with pytest.raises(NotFound, match=rf"GET {client.base_url}/v1/calc/999999/status: 404"):
        client.status(999999)
    with pytest.raises(NotFound, match="unknown extract spec 'nonexistent'"):
        client.extract(classical, "nonexistent")
    bad = tmp / "bad"
    bad.mkdir()
    (bad / "job.ini").write_text("[general]\ncalculation_mode = classical\nsites = 0 0\n")
    with pytest.raises(InputError, match=r"^the server refused the job: POST .*/v1/calc/run: "
                                         r"400"):
        client.run(bad / "job.ini")
    with pytest.raises(InputError, match="no such job file"):
        client.run(tmp / "missing.ini")
    assert client.abort(classical) == f"Job {classical} is not running"


def test_client_against_the_toolkit_server(tmp_path):
    data = tmp_path / "data"
    config = settings(data)
    damage = run_job(risk_job(tmp_path / "damage", "scenario_damage"), config, progress=False)
    risk = run_job(risk_job(tmp_path / "risk", "scenario_risk"), config, progress=False)
    from toolkit.server import create_app

    app = create_app(config)
    try:
        with serving(app) as url:
            client = toolkit.Client(url, timeout=30)
            classical = client.run(classical_job(tmp_path / "classical"))
            calc = client.run(scenario_job(tmp_path / "scenario"))
            seen: list[float] = []
            assert client.wait(classical, progress=True, timeout=60, poll=0.1) == "complete"
            final = client.wait(calc, progress=False, timeout=60, poll=0.1,
                                callback=lambda f, s: seen.append(f))
            check_run_and_wait(client, calc, final, seen)
            listed = {c["id"] for c in client.list(is_running=False)}
            assert {classical, damage, risk, calc} <= listed
            check_hazard(client, classical, data)
            check_gmfs(client, calc, data)
            check_risk(client, damage, risk)
            check_errors(client, classical, tmp_path)
    finally:
        app.state.toolkit.manager.stop(abort_running=True, timeout=5.0)


def test_server_unreachable():
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServerUnreachable, match=rf"^server unreachable at {closed} \(GET "
                                                rf"{closed}/v1/calc/1/status"):
        toolkit.Client(closed, timeout=2).status(1)
    with pytest.raises(ConnectionError):  # the built-in, as users catch it
        toolkit.Client(closed, timeout=2).list()
