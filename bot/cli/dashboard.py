"""`dashboard`: the bot's database in the browser, read-only (the [dashboard] extra)."""

from __future__ import annotations

import click

from bot.cli.options import db_option, pass_settings, with_options
from bot.config import Settings

INSTALL = 'pip install "drive-my-car-bot[dashboard]"'


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True,
              help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the default and reach it through an SSH tunnel "
                   "or a reverse proxy with authentication (see the README).")
@with_options(db_option)
@pass_settings
def dashboard(settings: Settings, port: int, host: str) -> None:
    """Browse polls, questions and the audit log read-only in the browser (Datasette)."""
    try:
        from bot.dashboard import server
    except ImportError as exc:
        raise click.ClickException(f"the dashboard needs Datasette ({exc.name} is missing): "
                                   f"{INSTALL}") from None
    datasette = server.build(settings.db_path)
    server.check_port(host, port)
    if not server.is_loopback(host):
        click.echo(f"warning: {host} is reachable from other machines and the dashboard has "
                   "no login; put a reverse proxy with authentication in front of it.",
                   err=True)
    click.echo(f"Dashboard of {settings.db_path} at http://{_url_host(host)}:{port}/ "
               "(read-only; Ctrl-C to stop)", err=True)
    server.serve(datasette, host, port)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
