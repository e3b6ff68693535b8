"""Command-line interface.

::

    toolkit run JOB_INI [--export-dir DIR] [--quiet] [--executor serial|processpool|dask|dask://host:port]
    toolkit list
    toolkit show CALC_ID
    toolkit export CALC_ID --export-dir DIR
    toolkit demo            run the bundled demo classical calculation
    toolkit serve [--host HOST] [--port PORT] [--demo]
    toolkit user add NAME --org ORG [--admin] [--password-stdin]
    toolkit user list
    toolkit apikey create USER [--name LABEL]      print a new personal API key (once)
    toolkit apikey list [USER] | apikey revoke PREFIX
    toolkit import-3di GRIDADMIN RESULTS [--aggregate FILE] [--name NAME] [--org ORG]
                       [--access public|common|private|hidden] [--user USER]
    toolkit publish CALC_ID [--name NAME] [--org ORG] [--access ...] [--user USER]
    toolkit scenarios       list the scenario catalogue (Lizard API v4 at /api/v4)
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
    run.add_argument("--executor", default=None, metavar="EXECUTOR",
                     help="where tasks run: serial, processpool, dask (a local cluster) or "
                          "dask://host:port (a running scheduler); default: the settings, "
                          "serial")

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

    apikey = sub.add_parser("apikey", help="manage personal API keys (Lizard API: HTTP Basic "
                                           "with user __key__)")
    key_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = key_sub.add_parser("create", help="create a key for a user and print it (once)")
    create.add_argument("user")
    create.add_argument("--name", default="", help="a label for the key")
    key_list = key_sub.add_parser("list", help="list keys (prefixes only)")
    key_list.add_argument("user", nargs="?", default=None)
    revoke = key_sub.add_parser("revoke", help="delete a key")
    revoke.add_argument("prefix", help="the part of the key before the dot")

    def scenario_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--name", default=None, help="scenario name")
        p.add_argument("--org", default=None, help="organisation (default: the user's)")
        p.add_argument("--access", default="private",
                       choices=["public", "common", "private", "hidden"],
                       help="access_modifier (default private)")
        p.add_argument("--user", default=None,
                       help="supplier: a user of the catalogue (default: the login name)")

    imp = sub.add_parser("import-3di", help="import a 3Di result pair as a scenario and derive "
                                            "its results")
    imp.add_argument("gridadmin", type=Path)
    imp.add_argument("results", type=Path)
    imp.add_argument("--aggregate", type=Path, default=None,
                     help="aggregate_results_3di.nc of the same simulation")
    scenario_options(imp)

    pub = sub.add_parser("publish", help="publish a scenario, scenario_damage or scenario_risk "
                                         "calculation as a scenario")
    pub.add_argument("calc_id", type=int)
    scenario_options(pub)

    sub.add_parser("scenarios", help="list the scenario catalogue")
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
                from toolkit.config import check_executor

                settings = settings.with_(executor=check_executor(args.executor))
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
                from toolkit.scenarios.publish import load_demo_scenarios

                for scenario in load_demo_scenarios(settings):
                    print(f"demo scenario {scenario.uuid} ({scenario.name}) loaded",
                          file=sys.stderr)
            return _serve(settings, args.host, args.port)
        elif args.command == "user":
            return _user(settings, args)
        elif args.command == "apikey":
            return _apikey(settings, args)
        elif args.command in ("import-3di", "publish", "scenarios"):
            return _scenarios(settings, args)
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


def _apikey(settings, args: argparse.Namespace) -> int:
    from toolkit.store import Catalogue

    with Catalogue(settings.catalogue_path) as catalogue:
        if args.apikey_command == "create":
            key = catalogue.create_api_key(args.user, args.name)
            print(key)
            print(f"API key {key.split('.')[0]} of {args.user}: it is shown only now. Use it "
                  "with HTTP Basic authentication, user __key__ and the key as password.",
                  file=sys.stderr)
        elif args.apikey_command == "list":
            keys = catalogue.list_api_keys(args.user)
            if not keys:
                print("no API keys")
            for k in keys:
                print(f"{k['prefix']}  {k['user']:<20}  {k['created'][:19]}  {k['name']}"
                      .rstrip())
        else:
            catalogue.revoke_api_key(args.prefix)
            print(f"API key {args.prefix} revoked")
    return 0


def _scenarios(settings, args: argparse.Namespace) -> int:
    """``import-3di``, ``publish`` and ``scenarios``."""
    from toolkit.store import Catalogue
    from toolkit.store.scenarios import ScenarioStore

    with Catalogue(settings.catalogue_path) as catalogue:
        store = ScenarioStore(catalogue, settings.data_dir)
        if args.command == "scenarios":
            rows = store.list()
            if not rows:
                print(f"no scenarios in {settings.data_dir}")
            for sc in rows:
                size = f"{sc.total_size / 1e6:.1f} MB"
                print(f"{sc.uuid}  {sc.source or '-':<7}  {sc.access_modifier:<7}  "
                      f"{size:>9}  {sc.name}")
            return 0
        supplier, org = _supplier(catalogue, args)
        options = dict(name=args.name, supplier=supplier, organisation=org,
                       access_modifier=args.access.capitalize())
        from toolkit.scenarios import publish

        if args.command == "import-3di":
            scenario = publish.import_threedi(store, args.gridadmin, args.results,
                                              aggregate=args.aggregate, **options)
        else:
            if args.user is None:
                options["supplier"] = None  # the calculation's owner
            scenario = publish.publish_calculation(store, args.calc_id, **options)
        n = store.count_results(scenario.uuid)
        print(f"scenario {scenario.uuid} ({scenario.name}): {n} results, "
              f"{scenario.total_size / 1e6:.1f} MB")
    return 0


def _supplier(catalogue, args: argparse.Namespace) -> tuple[str | None, str]:
    """Supplier and organisation of a scenario made on the command line."""
    if args.user is not None:
        user = catalogue.get_user(args.user)
        if user is None:
            raise InputError(f"--user {args.user}: no such user (add it with `toolkit user "
                             "add`)")
        return user.name, user.org if args.org is None else args.org
    import getpass

    try:
        name = getpass.getuser() or "local"
    except (KeyError, OSError, ImportError):
        name = "local"
    return name, args.org or ""


def _print_outcome(settings, calc_id: int, export_dir: Path | None) -> None:
    print(f"calculation {calc_id} complete; datastore "
          f"{settings.data_dir / f'calc_{calc_id}.hdf5'}")
    if export_dir is not None:
        print(f"CSV outputs in {export_dir}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
