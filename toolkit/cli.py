"""Command-line interface.

::

    toolkit run JOB_INI [--export-dir DIR] [--quiet] [--executor serial|processpool]
    toolkit list
    toolkit show CALC_ID
    toolkit export CALC_ID --export-dir DIR
    toolkit demo            run the bundled demo classical calculation
    toolkit --version

Errors in the inputs print one clear message (file, line, key) and exit with status 2;
a failed calculation exits with status 1 and its traceback is kept in the catalogue.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from toolkit import __version__
from toolkit.errors import InputError, ToolkitError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolkit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"toolkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a calculation from a job.ini")
    run.add_argument("job_ini", type=Path)
    run.add_argument("--export-dir", type=Path, default=None,
                     help="export every output as CSV into this directory "
                          "(the job.ini's own export_dir is ignored)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--executor", choices=["serial", "processpool"], default=None,
                     help="where tasks run (default: the settings, serial)")

    sub.add_parser("list", help="list calculations")

    show = sub.add_parser("show", help="show one calculation")
    show.add_argument("calc_id", type=int)

    export = sub.add_parser("export", help="export all outputs of a calculation as CSV")
    export.add_argument("calc_id", type=int)
    export.add_argument("--export-dir", type=Path, required=True)

    demo = sub.add_parser("demo", help="run the bundled demo classical calculation")
    demo.add_argument("--quiet", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``toolkit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    # heavy imports only once a command needs them (fast --version / --help)
    from toolkit.config import load_settings
    from toolkit.jobs import runner

    with warnings.catch_warnings():
        warnings.simplefilter("default")  # the command shows warnings, never raises them
        warnings.showwarning = _show_warning
        return _dispatch(args, load_settings, runner)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"toolkit: warning: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace, load_settings, runner) -> int:
    try:
        settings = load_settings()
        if args.command == "run":
            if args.executor:
                settings = settings.with_(executor=args.executor)
            calc_id = runner.run_job(
                args.job_ini, settings, export_dir=args.export_dir, progress=not args.quiet
            )
            _print_outcome(settings, calc_id, args.export_dir)
        elif args.command == "demo":
            job_ini = runner.demo_job_ini()
            print(f"running the demo calculation {job_ini}")
            export_dir = settings.data_dir / "demo_exports"
            calc_id = runner.run_job(
                job_ini, settings, export_dir=export_dir, progress=not args.quiet
            )
            _print_outcome(settings, calc_id, export_dir)
        elif args.command == "list":
            rows = runner.list_calculations(settings)
            if not rows:
                print(f"no calculations in {settings.data_dir}")
            for rec in rows:
                print(f"{rec.id:>6}  {rec.status:<9}  {rec.calculation_mode:<12}  "
                      f"{rec.description}")
        elif args.command == "show":
            print(runner.describe_calculation(settings, args.calc_id))
        elif args.command == "export":
            for path in runner.export_calculation(settings, args.calc_id, args.export_dir):
                print(path)
    except KeyboardInterrupt:
        print("toolkit: interrupted; the running calculation is marked aborted", file=sys.stderr)
        return 130
    except InputError as exc:
        print(f"toolkit: error: {exc}", file=sys.stderr)
        return 2
    except ToolkitError as exc:
        print(f"toolkit: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _print_outcome(settings, calc_id: int, export_dir: Path | None) -> None:
    print(f"calculation {calc_id} complete; datastore "
          f"{settings.data_dir / f'calc_{calc_id}.hdf5'}")
    if export_dir is not None:
        print(f"CSV outputs in {export_dir}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
