"""Command-line interface.

::

    toolkit run JOB_INI [--export-dir DIR] [--quiet] [--executor serial|processpool]
    toolkit list
    toolkit show CALC_ID
    toolkit export CALC_ID --export-dir DIR
    toolkit demo            run the bundled demo classical calculation
    toolkit serve [--host HOST] [--port PORT] [--demo]
    toolkit user add NAME --org ORG [--admin] [--password-stdin]
    toolkit user list
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

    serve = sub.add_parser("serve", help="serve the OpenQuake WebAPI (and docs at /docs)")
    serve.add_argument("--host", default=None, help="address to listen on (default: the "
                       "settings, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None,
                       help="port to listen on (default: the settings, 8800)")
    serve.add_argument("--demo", action="store_true",
                       help="first load the demo calculations unless the catalogue has them")

    user = sub.add_parser("user", help="manage the users of the restricted server mode")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add a user (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--org", required=True, help="the user's organisation")
    add.add_argument("--admin", action="store_true", help="the user sees every calculation")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    user_sub.add_parser("list", help="list users")
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
        elif args.command == "serve":
            if args.demo:
                for calc_id in runner.load_demos(settings):
                    print(f"demo calculation {calc_id} loaded", file=sys.stderr)
            return _serve(settings, args.host, args.port)
        elif args.command == "user":
            return _user(settings, args)
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


def _serve(settings, host: str | None, port: int | None) -> int:
    """Run the server until interrupted."""
    if host is not None:
        settings = settings.with_(host=host)
    if port is not None:
        if not 0 < port < 65536:
            raise InputError(f"--port must be in 1-65535, got {port}")
        settings = settings.with_(port=port)
    import uvicorn

    from toolkit.server import create_app

    app = create_app(settings)
    print(f"toolkit {__version__} serving {settings.data_dir} on "
          f"http://{settings.host}:{settings.port} (auth mode {settings.auth_mode})",
          file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or asked twice on the terminal."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise InputError("the two passwords differ")
    if not password:
        raise InputError("the password is empty")
    return password


def _user(settings, args: argparse.Namespace) -> int:
    from toolkit.store import Catalogue

    with Catalogue(settings.catalogue_path) as catalogue:
        if args.user_command == "add":
            password = _read_password(args.password_stdin)
            user = catalogue.add_user(args.name, password, args.org, is_admin=args.admin)
            role = "administrator" if user.is_admin else "user"
            print(f"added {role} {user.name} of organisation {user.org}")
            if settings.auth_mode != "restricted":
                print("note: users log in only when the server runs with auth_mode = "
                      "restricted (TOOLKIT_AUTH_MODE=restricted)", file=sys.stderr)
        else:
            users = catalogue.list_users()
            if not users:
                print(f"no users in {settings.catalogue_path}")
            for user in users:
                print(f"{user.name:<20}  {user.org:<20}  {'admin' if user.is_admin else ''}"
                      .rstrip())
    return 0


def _print_outcome(settings, calc_id: int, export_dir: Path | None) -> None:
    print(f"calculation {calc_id} complete; datastore "
          f"{settings.data_dir / f'calc_{calc_id}.hdf5'}")
    if export_dir is not None:
        print(f"CSV outputs in {export_dir}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
