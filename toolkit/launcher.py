"""``make run``: the local server and the Voila apps, together, on 127.0.0.1.

::

    python -m toolkit.launcher [--voila-port 8866] [--notebooks DIR] [--no-server]

1. loads the demo data into the data directory once (:func:`toolkit.widgets.local.
   ensure_demo_data`: the demo calculations, the demo flood and earthquake scenarios, and a
   second flood for the comparison app), so both processes show the same data;
2. starts ``toolkit serve --demo`` (the OpenQuake WebAPI at ``/v1`` and the Lizard API at
   ``/api/v4``, host and port from the settings) and ``voila <notebooks> --no-browser`` on
   ``127.0.0.1``, each in its own process group;
3. prints both URLs and waits; Ctrl-C (or SIGTERM) stops both groups (SIGTERM, then SIGKILL
   after a grace period), and so does either process exiting on its own.

The Voila apps run in-process on the same data directory by default; add
``?server=http://127.0.0.1:8800`` to an app's URL to drive it through the server instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "APPS", "default_notebooks"]

#: the Voila apps, in the order they are printed
APPS = ("run_hazard", "browse_calculations", "browse_scenarios", "compare_scenarios")
_GRACE = 10.0


def default_notebooks() -> Path:
    """``./notebooks`` when it exists (a checkout), else the repository's, next to the
    package."""
    here = Path.cwd() / "notebooks"
    return here if here.is_dir() else Path(__file__).resolve().parents[1] / "notebooks"


def _port_busy(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def _wait_port(proc: subprocess.Popen[bytes], host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _port_busy(host, port):
            return True
        time.sleep(0.2)
    return False


def _stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every process group we started, then SIGKILL what is left after the grace."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + _GRACE
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


def _toolkit_command() -> list[str]:
    exe = Path(sys.executable).with_name("toolkit")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "toolkit.cli"]


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server and Voila until Ctrl-C; return the exit status."""
    from toolkit.config import load_settings
    from toolkit.widgets.local import ensure_demo_data

    parser = argparse.ArgumentParser(prog="python -m toolkit.launcher",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--voila-port", type=int, default=8866)
    parser.add_argument("--notebooks", type=Path, default=None,
                        help="folder of the Voila apps (default ./notebooks)")
    parser.add_argument("--no-server", action="store_true",
                        help="only Voila (the apps work in-process)")
    args = parser.parse_args(argv)
    settings = load_settings()
    notebooks = (args.notebooks or default_notebooks()).resolve()
    if not (notebooks / "run_hazard.ipynb").is_file():
        print(f"no Voila apps in {notebooks} (run_hazard.ipynb is missing); give --notebooks",
              file=sys.stderr)
        return 2
    host = "127.0.0.1"
    wanted = [("Voila", host, args.voila_port)]
    if not args.no_server:
        wanted.insert(0, ("toolkit serve", settings.host, settings.port))
    for name, h, port in wanted:
        if _port_busy(h, port):
            print(f"port {port} on {h} is already in use: stop what listens there, or choose "
                  f"another port ({'TOOLKIT_PORT' if name == 'toolkit serve' else '--voila-port'})",
                  file=sys.stderr)
            return 1
    print(f"loading the demo data into {settings.data_dir} (once) ...", flush=True)
    ensure_demo_data(settings)
    signal.signal(signal.SIGTERM, _terminate)
    procs: list[subprocess.Popen[bytes]] = []
    names: dict[int, str] = {}
    try:
        if not args.no_server:
            server = subprocess.Popen([*_toolkit_command(), "serve", "--demo"],
                                      start_new_session=True)
            procs.append(server)
            names[server.pid] = "toolkit serve"
        voila = subprocess.Popen(
            [sys.executable, "-m", "voila", str(notebooks), "--no-browser",
             f"--port={args.voila_port}", f"--Voila.ip={host}"],
            start_new_session=True, cwd=notebooks)
        procs.append(voila)
        names[voila.pid] = "voila"
        ports = dict(zip(procs, [p for _, _, p in wanted], strict=True))
        hosts = dict(zip(procs, [h for _, h, _ in wanted], strict=True))
        for proc in procs:
            if not _wait_port(proc, hosts[proc], ports[proc], timeout=120.0):
                print(f"{names[proc.pid]} did not start (exit status {proc.poll()}); "
                      "stopping", file=sys.stderr)
                return 1
        server_url = f"http://{settings.host}:{settings.port}"
        voila_url = f"http://{host}:{args.voila_port}"
        lines = ["", "toolkit is running:"]
        if not args.no_server:
            lines += [f"  OpenQuake WebAPI   {server_url}/v1/calc/list   (API docs {server_url}"
                      "/docs)",
                      f"  Lizard API v4      {server_url}/api/v4/scenarios/"]
        lines += [f"  Voila apps         {voila_url}/"]
        lines += [f"    {app:<20} {voila_url}/voila/render/{app}.ipynb" for app in APPS]
        if not args.no_server:
            lines += [f"  (append ?server={server_url} to an app's URL to use the server)"]
        lines += ["Press Ctrl-C to stop both.", ""]
        print("\n".join(lines), flush=True)
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
        gone = next(proc for proc in procs if proc.poll() is not None)
        print(f"{names[gone.pid]} exited with status {gone.returncode}; stopping",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...", file=sys.stderr, flush=True)
        return 0
    finally:
        _stop(procs)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover - `make run`
    sys.exit(main())
