"""Build and serve the dashboard: Datasette over the bot's database, read-only, on localhost.

Datasette opens the file with ``mode=ro`` connections, which see the bot's latest committed
writes (WAL included) and can't write; the plugin refuses free SQL and the file download.
Nothing here opens the ``App``, which would migrate and index: the dashboard never writes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path
from typing import Any

from bot.dashboard import plugin, queries
from bot.errors import InvalidInput, NotFound

PLUGIN_NAME = "drive-my-car-dashboard"
TEMPLATES = Path(__file__).parent / "templates"
SETTINGS = {
    "allow_download": False,  # the file holds ballots: never hand it out
    "default_page_size": 50,
    "suggest_facets": False,
    "sql_time_limit_ms": 2000,
}


def build(db_path: Path) -> Any:
    """A Datasette instance for ``db_path`` with the dashboard's metadata and plugin."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    path = Path(db_path)
    if not path.is_file():
        raise NotFound(f"No database at {path}: start the bot once (or pass --db).")
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN_NAME)
    return Datasette(files=[str(path)], metadata=queries.metadata(_name(path)),
                     settings=SETTINGS, template_dir=str(TEMPLATES))


def check_port(host: str, port: int) -> None:
    """Refuse early, in one line, when the address can't be listened on."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise InvalidInput(f"Cannot listen on {host}:{port} ({exc.strerror or exc}); "
                           "pick another --port.") from None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(datasette: Any, host: str, port: int) -> None:
    """Serve a built dashboard until Ctrl-C."""
    import uvicorn

    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")


def _name(path: Path) -> str:
    """The name Datasette gives the database (its file name without the extension)."""
    return path.stem
