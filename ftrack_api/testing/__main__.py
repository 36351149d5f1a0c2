"""Command line of the local server: ``python -m ftrack_api.testing serve|demo``."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import List, Optional

_DESCRIPTION = "Local ftrack-compatible server (HTTP JSON API + event hub) for offline work."


def default_database() -> str:
    """The default database file in the user's data directory."""
    import platformdirs

    directory = platformdirs.user_data_dir("openftrack-api")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, "local-server.sqlite")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ftrack_api.testing", description=_DESCRIPTION)
    commands = parser.add_subparsers(dest="command", metavar="{serve,demo}")
    commands.required = True
    serve = commands.add_parser(
        "serve", help="run the local server until interrupted",
        description="Run the local ftrack server until SIGINT/SIGTERM. Before serving it prints "
                    "FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY lines that can be used "
                    "as environment variables for any ftrack_api script.")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    serve.add_argument("--port", type=int, default=0,
                       help="TCP port; 0 picks a free port (default: %(default)s)")
    serve.add_argument("--database", default=None, metavar="PATH|:memory:",
                       help="SQLite file (data survives restarts) or :memory: "
                            "(default: a file in the user data directory)")
    serve.add_argument("--schemas", default=None, metavar="FILE",
                       help="JSON file with schemas in query_schemas format "
                            "(default: the built-in schema set)")
    serve.add_argument("--api-user", default="admin", metavar="NAME",
                       help="API user name (default: %(default)s)")
    serve.add_argument("--api-key", default=None, metavar="KEY",
                       help="API key (default: generated, and remembered by a file database)")
    demo = commands.add_parser(
        "demo", help="run the example pipeline script against a temporary server",
        description="Start a local server on a temporary database, run the example pipeline "
                    "script against it and print its report.")
    demo.add_argument("--schemas", default=None, metavar="FILE",
                      help="JSON schema file to serve instead of the built-in set")
    return parser


def _serve(args: argparse.Namespace) -> int:
    from . import LocalServer

    database = args.database or default_database()
    try:
        server = LocalServer(database=database, schemas=args.schemas, api_user=args.api_user,
                             api_key=args.api_key, host=args.host, port=args.port)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        server.start()
    except OSError as error:
        print(f"error: {error.strerror or error}. Choose another --port.", file=sys.stderr)
        return 1
    except Exception as error:
        print(f"error: cannot start the server: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def _handle(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)
    sys.stdout.write(f"FTRACK_SERVER={server.url}\nFTRACK_API_USER={server.api_user}\n"
                     f"FTRACK_API_KEY={server.api_key}\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


def _server_dependencies_missing() -> Optional[str]:
    """Return a message telling the user how to install the server extra, if needed."""
    try:
        import aiohttp  # noqa: F401 - only checking that the server extra is installed
    except ImportError:
        return ("error: the local server needs aiohttp, which comes with the 'server' extra. "
                "Install it with: pip install -e '.[server]' (from a checkout) or "
                "pip install 'openftrack-api[server]'.")
    return None


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    missing = _server_dependencies_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(args)
    if args.schemas is not None:
        from . import load_schemas

        try:
            load_schemas(args.schemas)  # a clear message, not a traceback
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    from ._demo import run  # written by the project lead

    return run(schemas=args.schemas)


if __name__ == "__main__":
    sys.exit(main())
