"""Provides ``graphstep serve FILE``: the TUI in a web browser, through Textual's own web server (textual-serve).

The server starts ``graphstep tui FILE`` with the same options for every browser tab that opens the page, and
shows its terminal there (xterm.js).  It listens on 127.0.0.1 unless ``--host`` says otherwise: whoever reaches
the page runs the file.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import os
import shlex
import signal
import socket
import sys

from ..core.loader import split_target
from ..errors import GraphstepError, LoadError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::", "")


def serve_command(args: argparse.Namespace) -> int:
    """Serve the TUI on ``args.host:args.port`` until ctrl+c (130, as every command's ctrl+c) or SIGTERM (143)."""
    server_class = _server_class()
    path, _ = split_target(args.target)
    if not os.path.isfile(path):
        raise LoadError(f"no such file: {path}", hint="give the path of a .py file with a @gs.computation")
    if not 0 < args.port < 65536:
        raise GraphstepError(f"--port must be a port number from 1 to 65535, not {args.port}")
    server = server_class(args.target, shlex.join(tui_command(args)), host=args.host, port=args.port,
                          title=f"graphstep {args.target}", public_url=public_url(args.host, args.port))
    try:
        server.serve()
    except OSError as err:  # the port is taken, the address is not this machine's
        raise GraphstepError(f"cannot serve on {args.host}:{args.port}: {err.strerror or err}",
                             hint="pick another --port" if _in_use(err) else "") from None
    if server.stopped_by == signal.SIGINT:
        raise KeyboardInterrupt  # main says "interrupted" and exits 130
    return 128 + signal.SIGTERM


def tui_command(args: argparse.Namespace) -> list[str]:
    """The ``graphstep tui`` command line each browser tab runs: the served file with the options given to serve
    (``tests/cli/test_serve.py`` checks that the TUI parses it to the same options)."""
    path, name = split_target(args.target)  # the TUI runs in the server's folder; an absolute path says so anyway
    command = [sys.executable, "-m", "graphstep.cli", "tui", os.path.abspath(path) + (f":{name}" if name else "")]
    for node in args.breaks:
        command += ["--break", node]
    options = {"--grad-norm-limit": args.grad_norm_limit, "--reseed": args.reseed or None,
               "--backward": args.backward, "--train": args.train, "--lr": args.lr, "--optimizer": args.optimizer}
    for option, value in options.items():
        if value is not None:
            command += [option, str(value)]
    return command


def public_url(host: str, port: int) -> str:
    """The address a browser opens, which the page also connects its websocket to: for a server on every network
    (0.0.0.0), this machine's address on the network a browser elsewhere would come from."""
    if host in WILDCARD:
        host = _outward_address()
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _outward_address() -> str:
    """The address of this machine on its default route (a UDP socket's connect sends nothing); its name when
    there is no network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostname()


def _in_use(err: OSError) -> bool:
    return err.errno == errno.EADDRINUSE


def _server_class():
    """textual-serve's ``Server``, made to say where it serves in one line and to tell ctrl+c from SIGTERM; a
    missing textual-serve is one message (exit 2)."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise GraphstepError("graphstep serve needs the textual-serve package",
                             hint="pip install 'graphstep[serve]'") from None

    class GraphstepServer(Server):
        def __init__(self, target: str, command: str, **options) -> None:
            super().__init__(command, **options)
            self.target = target
            self.pages: set = set()  # the pages' websockets: closed first when the server stops
            self.stopped_by: int | None = None  # the signal that stopped it

        def initialize_logging(self) -> None:  # its per-request log lines are not for a classroom's terminal
            pass

        async def _process_messages(self, websocket, app_service) -> None:
            self.pages.add(websocket)
            try:
                await super()._process_messages(websocket, app_service)
            finally:
                self.pages.discard(websocket)

        async def on_shutdown(self, app) -> None:
            """Close the pages' connections, which quits their TUIs: aiohttp would wait a minute for them."""
            await asyncio.gather(*(page.close(code=1001, message=b"graphstep serve stopped")
                                   for page in list(self.pages)))

        async def _make_app(self):
            app = await super()._make_app()
            app.on_cleanup.append(self._collect)
            return app

        async def _collect(self, app) -> None:
            """The stopped TUIs' process handles, freed while the loop runs: freed after it closes (at exit), each
            prints a traceback."""
            gc.collect()

        async def on_startup(self, app) -> None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self._stop, signum)
            where = ("this machine only" if self.host in LOOPBACK else
                     "every network this machine is on" if self.host in WILDCARD else f"whoever reaches {self.host}")
            print(f"graphstep: serving {self.target} at {self.public_url} "
                  f"({where}); ctrl+c stops", flush=True)

        def _stop(self, signum: int) -> None:
            self.stopped_by = signum
            self.request_exit()

    return GraphstepServer
