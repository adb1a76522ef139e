"""Offline console that behaves like the chat channel, over the same App as the bot.

Built on the standard library's ``cmd.Cmd``: plain text is a question, ``help`` lists the
commands, and at a terminal readline gives line editing, completion and a history kept
between sessions. When stdin is not a terminal it reads one command per line and prints
only the output (no prompt, no banner), so sessions can be scripted.

Nothing ends a session but ``quit``, Ctrl-D or the end of the script: a refused or mistyped
command is one ``! message`` line, Ctrl-C cancels the line or the form at hand, and even a
bug is one line (its traceback goes to the log file). Scripts exit 0 at the end, like a
shell script without ``set -e``; ``stop_on_error`` (``console --stop-on-error``) ends at
the first ``!`` line with exit code 1.
"""

from __future__ import annotations

import cmd
import contextlib
import logging
import shutil
import textwrap
from pathlib import Path
from typing import IO

from bot.answers import ask
from bot.app import App
from bot.console_args import local_user_id, shown, user_name
from bot.console_forms import FIELDS_HELP
from bot.console_kb import KbCommands
from bot.console_polls import PollCommands
from bot.console_session import HISTORY_NAME, line_history
from bot.curation import get_entry
from bot.errors import BotError, InvalidInput
from bot.moderators import Operator
from bot.text import render_answer, render_entry, terminal_safe
from bot.usertext import clean

log = logging.getLogger(__name__)

INTRO = ("Drive My Car ending bot - console. Type a question, or 'help' for the commands. "
         "Ctrl-D or 'quit' to leave.")
HELP_HEAD = "Type a question to ask it, or a command ('help COMMAND' for more):"
INTERRUPTED = 130  # a script stopped by Ctrl-C, as shells report it
MAX_WIDTH = 100  # answers are wrapped to the terminal, but no wider than this
ORDER = ("ask", "open", "spoilers", "as", "poll", "vote", "retract", "kb", "help", "quit")


class Console(KbCommands, PollCommands, cmd.Cmd):
    """Commands are ``do_<name>`` methods; anything else is asked as a question."""

    def __init__(self, app: App, *, interactive: bool = True,
                 stdin: IO[str] | None = None, stdout: IO[str] | None = None,
                 stop_on_error: bool = False, log_path: Path | None = None):
        super().__init__(stdin=stdin, stdout=stdout)
        self.app = app
        self.log_path = log_path  # where the CLI sends log lines (bot.console_session)
        self.interactive = interactive
        self.use_rawinput = interactive and stdin is None
        self.stop_on_error = stop_on_error
        self.failed = False
        self.names = {1: "you"}  # local user ids back to the names typed with `as`
        self.show_spoilers = False
        self._act_as("you", moderator=True)  # the local operator runs the bot

    @property
    def actor(self) -> Operator:
        """Whoever runs the console holds the database: every server's data is in reach, with
        the rights of the local user they act as (``as NAME [mod]``)."""
        return Operator(self.user_id, is_moderator=self.is_moderator)

    # ---------------------------------------------------------------- the session

    def run(self) -> int:
        """Loop until ``quit``, Ctrl-D or the end of the script; returns the exit code."""
        with contextlib.ExitStack() as stack:
            if self.use_rawinput:
                stack.enter_context(line_history(self.app.settings.db_path.parent /
                                                 HISTORY_NAME))
            if self.app.stale:  # said once, as a line of its own, not as a log line
                self.say(f"Note: {self.app.stale}")
            self.intro = INTRO if self.interactive else None
            while True:
                try:
                    self.cmdloop()
                    break
                except KeyboardInterrupt:  # Ctrl-C at the prompt: a new prompt
                    if not self.interactive:
                        return INTERRUPTED
                    self.say("\n(to leave: quit or Ctrl-D)")
                    self.intro = None
        return 1 if self.failed and self.stop_on_error else 0

    def say(self, text: str) -> None:
        self.stdout.write(terminal_safe(text) + "\n")

    def onecmd(self, line: str) -> bool:
        """Run one command: whatever goes wrong is one ``!`` line, and the session goes on."""
        line = clean(line)  # lone surrogates: the console's own lookups and echoes see text
        try:
            return super().onecmd(line)
        except BotError as exc:
            self.fail(str(exc))
        except KeyboardInterrupt:
            if not self.interactive:
                raise
            self.fail("Interrupted.")
        except OSError as exc:  # kb export / import into a folder that can't be used
            if isinstance(exc, BrokenPipeError):
                raise
            self.fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        except Exception as exc:  # a bug: one line here, the traceback in the log file
            log.exception("console command failed: %r", line[:200])
            self.fail(f"Something went wrong ({type(exc).__name__}); this is a bug. The "
                      f"details are in {self.log_path or 'the log'}.")
        return self.stop_on_error and self.failed

    def fail(self, message: str) -> None:
        """One error line; each line of a longer message (a list of problems) indented, and
        each cut short if it echoes something huge that was typed."""
        self.failed = True
        first, *rest = (_clip(line) for line in message.split("\n"))
        self.say("! " + first + "".join(f"\n  {line}" for line in rest))

    def emptyline(self) -> bool:
        return False

    def default(self, line: str) -> bool:
        if line.strip() == "EOF":
            return self.do_EOF("")
        return self.do_ask(line)

    @property
    def width(self) -> int | None:
        """Where answers wrap: the terminal's width, or nowhere in a script."""
        if not self.interactive:
            return None
        return min(shutil.get_terminal_size().columns, MAX_WIDTH) - 1

    # ---------------------------------------------------------------- help

    def get_names(self) -> list[str]:
        """Commands for ``help``; EOF is Ctrl-D, not something to type."""
        return [n for n in super().get_names() if n != "do_EOF"]

    def commands(self) -> list[tuple[str, str]]:
        """(names, help text) for every command, aliases with the command they stand for."""
        seen: dict[object, str] = {}
        rows = []
        names = sorted((n for n in set(self.get_names()) if n.startswith("do_")),
                       key=lambda n: (ORDER.index(n[3:]) if n[3:] in ORDER else len(ORDER), n))
        for name in names:
            method = getattr(type(self), name)
            if method in seen:
                continue
            seen[method] = name
            aliases = [n[3:] for n in self.get_names()
                       if n.startswith("do_") and getattr(type(self), n) is method and n != name]
            rows.append((" / ".join([name[3:], *sorted(aliases)]),
                         " ".join((method.__doc__ or "").split())))
        return rows

    def do_help(self, arg: str) -> bool:
        """help [COMMAND] - the commands, or one command's details (help poll, help kb,
        help fields)."""
        words = arg.split()
        if words:
            topic = words[0]
            if topic == "fields":
                self.say(FIELDS_HELP)
            elif topic.isidentifier() and hasattr(self, f"help_{topic}"):
                getattr(self, f"help_{topic}")()
            elif topic.isidentifier() and hasattr(self, f"do_{topic}") and topic != "EOF":
                doc = getattr(self, f"do_{topic}").__doc__ or ""
                self.say(textwrap.fill(" ".join(doc.split()), 96, subsequent_indent="  "))
            elif len(words) > 1:  # "help me understand the ending" is a question
                return self.do_ask(f"help {arg.strip()}")
            else:
                raise InvalidInput(f"There is no command {shown(topic)}; 'help' lists them.")
            return False
        self.say(HELP_HEAD)
        for _, text in self.commands():
            usage, _, summary = text.partition(" - ")
            self.say(textwrap.fill(summary, 96, initial_indent=f"  {usage:<20} ",
                                   subsequent_indent=" " * 23))
        return False

    # ---------------------------------------------------------------- leaving

    def do_EOF(self, arg: str) -> bool:
        """EOF - leave the console (Ctrl-D)."""
        if self.interactive:
            self.say("")
        return True

    def do_quit(self, arg: str) -> bool:
        """quit - leave the console (exit and Ctrl-D too)."""
        return True

    do_exit = do_quit

    # ---------------------------------------------------------------- asking

    def do_ask(self, arg: str) -> bool:
        """ask QUESTION - answer a question (plain text works too)."""
        if not arg.strip():
            self.say("Ask me something about the ending, e.g. why is Misaki in Korea?")
            return False
        answer = ask(self.app, arg, source="console", asker=self.actor)  # no names in the log
        self.say(render_answer(answer, show_spoilers=self.show_spoilers, width=self.width))
        return False

    def do_open(self, arg: str) -> bool:
        """open ID - read one entry, e.g. the closest match the bot offered."""
        words = arg.split()
        if len(words) != 1:
            raise InvalidInput("usage: open ID (one entry id; to ask a question that starts "
                               "with 'open', type: ask open ...)")
        entry = get_entry(self.app, words[0])
        self.say("\n".join(render_entry(entry, show_spoilers=self.show_spoilers,
                                        width=self.width)))
        return False

    def do_spoilers(self, arg: str) -> bool:
        """spoilers on|off - show last-act answers without spoiler markers, or with them."""
        word = arg.strip().lower()
        if word not in ("on", "off"):
            raise InvalidInput("usage: spoilers on|off (now "
                               f"{'on' if self.show_spoilers else 'off'})")
        self.show_spoilers = word == "on"
        self.say(f"spoilers {'shown' if self.show_spoilers else 'hidden'}")
        return False

    def do_as(self, arg: str) -> bool:
        """as NAME [mod] - act as another local user, a moderator with 'mod' (votes and rights
        are theirs); 'as you' comes back to yourself, 'as' alone says who you are."""
        words = arg.split()
        if not words:
            self.say(self._who())
            return False
        if len(words) > 2 or (len(words) == 2 and words[1] != "mod"):
            raise InvalidInput("usage: as NAME [mod] (to ask a question that starts with "
                               "'as', type: ask as ...)")
        if words[0] == "you":
            self._act_as("you", moderator=True)
        else:
            self._act_as(user_name(words[0]), moderator=len(words) == 2)
        self.say(f"now acting as {self._identity()}")
        return False

    def _act_as(self, name: str, *, moderator: bool) -> None:
        self.user_name, self.user_id = name, local_user_id(name)
        self.names[self.user_id] = name
        self.is_moderator = moderator
        if not self.interactive:
            self.prompt = ""
        elif name == "you":
            self.prompt = "you> "
        else:
            self.prompt = f"{name}{' (mod)' if moderator else ''}> "

    def _identity(self) -> str:
        role = ", moderator" if self.is_moderator else ""
        return f"{self.user_name} (id {self.user_id}){role}"

    def _who(self) -> str:
        return f"you are {self._identity()}"


def _clip(line: str, limit: int = 300) -> str:
    """A message line at most about ``limit`` long: its start and its end (the hint)."""
    return line if len(line) <= limit else f"{line[:limit - 100]} … {line[-90:]}"
