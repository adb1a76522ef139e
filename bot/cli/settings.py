"""`config`: the settings a command would run with, and where each one came from."""

from __future__ import annotations

from typing import Any

import click

from bot.cli.options import (
    APP_OPTIONS,
    DISCORD_OPTIONS,
    SettingOption,
    pass_settings,
    with_options,
)
from bot.config import Settings


@click.command()
@with_options(*APP_OPTIONS, *DISCORD_OPTIONS)
@pass_settings
def config(settings: Settings) -> None:
    """Show every setting's value and where it came from (flag, environment, .env, default).

    Every value is checked as run would check it, so this is also how to test a .env file.
    The token is never printed.
    """
    ctx = click.get_current_context()
    for param in ctx.command.params:
        if not isinstance(param, SettingOption) or not param.name:
            continue
        names = ", ".join([param.opts[0], *param.envvar_names()])
        value = _shown(param.name, getattr(settings, param.name))
        source = param.source_label(ctx)
        click.echo(f"{names}: {value} ({'default' if source == 'default' else 'from ' + source})")


def _shown(name: str, value: Any) -> str:
    if name == "token":
        return "set (hidden)" if value else "not set"
    if value is None or value == frozenset():
        return "none"
    if isinstance(value, frozenset):
        return ",".join(str(v) for v in sorted(value))
    return str(value)
