"""Every number and choice any command accepts, from a flag, the environment or .env.

The table is built by walking the click group, so a new command or option is covered
without editing this file: hostile values never give a traceback, and a refused value is
one ``Error:`` line that names the flag, argument or variable the user actually used.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import cli
from bot.cli.options import SettingOption
from tests.conftest import SMALL_PACK

HOSTILE = ["1e20", "99999999999", "100000000000000000000", "-1", "0", "-0", "nan", "inf",
           "-inf", "abc", "", " ", "²", "١٢", "4.5", "0x10", "1_000", "LOUD", "auto", "AUTO",
           "🙂", "@everyone", "\ud800", "9" * 400, "9" * 5000, "1,2,abc", ",",
           "18446744073709551616", "9223372036854775808", "%", "90%", "csv", "JSON"]

# Values that would make a command do something other than validate and answer: `run`
# would connect to Discord (tests never leave 127.0.0.1), so its text options are left out.
SKIP_TEXT = {("run", "token"), ("run", "api_base"), ("run", "gateway_url")}


def _leaves(group: click.Group, path: tuple[str, ...] = ()
            ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaves(command, (*path, name))
        else:
            yield (*path, name), command


def _is_checked_type(param: click.Parameter) -> bool:
    """Numbers and choices: the values the CLI must validate itself."""
    return not isinstance(param.type, click.Path | click.File) and \
        param.type is not click.STRING and not getattr(param, "is_flag", False)


COMMANDS = list(_leaves(cli))
CHECKED = [(path, param) for path, command in COMMANDS for param in command.params
           if param.name and _is_checked_type(param)]
ENV = [(path, param) for path, command in COMMANDS for param in command.params
       if isinstance(param, SettingOption) and param.envvar_names()
       and (path[-1], param.name) not in SKIP_TEXT]


def test_the_table_covers_what_the_issue_found() -> None:
    names = {(" ".join(path), param.name) for path, param in CHECKED}
    assert {("kb unanswered", "days"), ("kb list", "page"), ("run", "shards"),
            ("run", "log_level"), ("poll results", "poll_id"), ("eval", "min_recall"),
            ("run", "mod_roles"), ("config", "dev_guild")} <= names
    assert {("kb check", "knowledge_path"), ("run", "mod_roles")} <= \
        {(" ".join(path), param.name) for path, param in ENV}


@pytest.fixture(scope="module")
def invoke(tmp_path_factory: pytest.TempPathFactory):
    """Run a command line against the small pack and one database, with a clean env."""
    base = tmp_path_factory.mktemp("options")
    pack = base / "knowledge"
    shutil.copytree(SMALL_PACK, pack)
    env_names = sorted({name for _, p in ENV for name in p.envvar_names()})
    clean: dict[str, str | None] = {
        **dict.fromkeys(env_names), "BOT_DB": str(base / "o.db"), "BOT_KNOWLEDGE": str(pack),
        # never Discord, whatever happens: `run` stops for want of a token before connecting
        "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10", "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9"}
    runner = CliRunner()
    served: list[tuple[str, int]] = []

    def serve(datasette: object, host: str, port: int) -> None:
        served.append((host, port))  # validated and about to serve: that is all we check

    def run(args: list[str], env: dict[str, str] | None = None) -> Result:
        with contextlib.chdir(base), pytest.MonkeyPatch.context() as patch:
            # not the checkout: a developer's .env may hold a token; and `dashboard` would
            # serve until stopped, so it stops right where it would start serving
            patch.setattr("bot.dashboard.server.serve", serve)
            return runner.invoke(cli, args, env={**clean, **(env or {})}, input="")

    assert run(["poll", "list"]).exit_code == 0

    return run


def _assert_clean(result: Result, names: list[str]) -> None:
    """No traceback; a refusal is exit code 2 (usage) or 1 (domain) with one Error line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.output
        assert any(name in errors[0] for name in names), (names, result.output)


def _args(path: tuple[str, ...], param: click.Parameter | None, value: str) -> list[str]:
    """The command line with ``value`` for ``param`` and plain values for other arguments."""
    command = dict(COMMANDS)[path]
    arguments = []
    for other in command.params:
        if isinstance(other, click.Argument):
            if other is param:
                arguments.append(value)
            elif other.required or (other.nargs == -1  # ask's QUESTION: one word
                                    and not isinstance(other.type, click.Path)):  # eval FILES
                arguments.append("1" if _is_checked_type(other) else ".")
    if param is None or isinstance(param, click.Argument):
        return [*path, "--", *arguments]
    return [*path, param.opts[0], value, "--", *arguments]


def _names(param: click.Parameter) -> list[str]:
    """What a refusal may name: the parameter, or (for `run`) the missing token."""
    if isinstance(param, click.Argument):
        return [f"'{param.human_readable_name}'"]
    return [*(f"'{opt}'" for opt in param.opts), "DISCORD_TOKEN"]


@pytest.mark.parametrize(("path", "param"), CHECKED,
                         ids=[f"{' '.join(p)} {q.name}" for p, q in CHECKED])
def test_hostile_values_from_the_command_line(invoke, path: tuple[str, ...],
                                              param: click.Parameter) -> None:
    for value in HOSTILE:
        result = invoke(_args(path, param, value))
        _assert_clean(result, _names(param))


@pytest.mark.parametrize(("path", "param"), ENV, ids=[f"{' '.join(p)} {q.name}" for p, q in ENV])
def test_hostile_values_from_the_environment(invoke, path: tuple[str, ...],
                                             param: SettingOption) -> None:
    name = param.envvar_names()[0]
    for value in HOSTILE:
        if not value.strip() or "\ud800" in value or "\x00" in value:
            continue  # unset, or not something an environment can hold
        if isinstance(param.type, click.Path) and (param.name == "db_path"):
            continue  # a database elsewhere is the robustness tests' business
        result = invoke(_args(path, None, ""), env={name: value})
        _assert_clean(result, [name, "DISCORD_TOKEN"])
        if result.exit_code == 2 and "Invalid value" in result.output:
            assert result.output.startswith(f"Error: Invalid value for {name}: ")
            assert len(result.output.splitlines()) == 1  # no usage text for a variable


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CHECKED),
       value=st.one_of(st.integers().map(str), st.floats().map(str),
                       st.text(max_size=30),
                       st.from_regex(r"\A[ 0-9eE.,+_%-]{1,25}\Z")))
def test_generated_values_never_give_a_traceback(invoke, case, value: str) -> None:
    path, param = case
    _assert_clean(invoke(_args(path, param, value)), _names(param))


def test_the_examples_from_the_issue(invoke) -> None:
    days = invoke(["kb", "unanswered", "--days", "99999999999"])
    assert days.exit_code == 2
    assert "Error: Invalid value for '--days': 99999999999 is not in the range 1<=x<=36500" \
        in days.output
    page = invoke(["kb", "list", "--page", "1e20"])
    assert page.exit_code == 2 and "Invalid value for '--page'" in page.output
    huge = invoke(["kb", "list", "--page", "100000000000000000000"])
    assert huge.exit_code == 2
    assert "100000000000000000000 is past the last page: there is 1 page" in huge.output
    shards = invoke(["run", "--shards", "4x"])
    assert shards.exit_code == 2 and "Invalid value for '--shards'" in shards.output
    level = invoke(["run", "--log-level", "LOUD"])
    assert level.exit_code == 2 and "'LOUD' is not one of" in level.output
    roles = invoke(["run", "--mod-roles", "abc"])
    assert "Invalid value for '--mod-roles'" in roles.output and "BOT_MOD" not in roles.output
    poll = invoke(["poll", "results", "100000000000000000000"])
    assert poll.exit_code == 2 and "there is no poll #100000000000000000000" in poll.output


def test_valid_numbers_still_work(invoke) -> None:
    assert invoke(["kb", "unanswered", "--days", "36500", "--limit", "1000"]).exit_code == 0
    listed = invoke(["kb", "list", "--page", "1"])
    assert listed.exit_code == 0 and "entries, page 1/1:" in listed.output
    missing = invoke(["poll", "results", "9223372036854775807"])
    assert missing.exit_code == 1 and "no poll #9223372036854775807" in missing.output
    no_token = invoke(["run", "--shards", "4", "--log-level", "debug", "--mod-roles", "1,2"])
    assert no_token.exit_code == 2 and "no Discord token" in no_token.output
    data = json.loads(invoke(["eval", "--json", "--min-recall", "0"]).output)
    assert data["questions"] > 0
