"""Offline console that behaves like the chat channel, over the same App as the bot.

Built on the standard library's ``cmd.Cmd``: ``help`` lists commands, plain text is a
question. When stdin is not a terminal it reads one command per line and prints
plain output, so sessions can be scripted.
"""

from __future__ import annotations

import cmd
from typing import IO

from bot.answers import ask
from bot.app import App
from bot.console_kb import KbCommands
from bot.console_polls import PollCommands
from bot.errors import BotError
from bot.moderators import Operator
from bot.text import render_answer, render_entry

INTRO = (
    "Drive My Car ending bot - console. Type a question, or 'help' for commands. "
    "Ctrl-D to leave."
)


class Console(KbCommands, PollCommands, cmd.Cmd):
    """Commands are ``do_<name>`` methods; anything else is asked as a question."""

    def __init__(self, app: App, *, interactive: bool = True,
                 stdin: IO[str] | None = None, stdout: IO[str] | None = None):
        super().__init__(stdin=stdin, stdout=stdout)
        self.app = app
        self.interactive = interactive
        self.use_rawinput = interactive and stdin is None
        self.prompt = "you> " if interactive else ""
        self.user_id = 1
        self.user_name = "you"
        self.names = {1: "you"}  # local user ids back to the names typed with `as`
        self.show_spoilers = False
        self.is_moderator = True  # the local operator runs the bot; `as` switches users

    @property
    def actor(self) -> Operator:
        """Whoever runs the console holds the database: every server's data is in reach, with
        the rights of the local user they act as (``as NAME [mod]``)."""
        return Operator(self.user_id, is_moderator=self.is_moderator)

    # ---------------------------------------------------------------- plumbing

    def run(self) -> None:
        """Loop until EOF or ``quit``; Ctrl-C leaves cleanly."""
        try:
            self.cmdloop(INTRO if self.interactive else None)
        except KeyboardInterrupt:
            self.say("")

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")

    def onecmd(self, line: str) -> bool:
        """Run one command; domain errors print their message and never end the session."""
        try:
            return super().onecmd(line)
        except BotError as exc:
            self.say(f"! {exc}")
            return False

    def get_names(self) -> list[str]:
        """Commands for ``help``; EOF is Ctrl-D, not something to type."""
        return [n for n in super().get_names() if n != "do_EOF"]

    def emptyline(self) -> bool:
        return False

    def default(self, line: str) -> bool:
        if line.strip() == "EOF":
            return self.do_EOF("")
        return self.do_ask(line)

    def do_EOF(self, arg: str) -> bool:
        """Leave the console (Ctrl-D)."""
        if self.interactive:
            self.say("")
        return True

    def do_quit(self, arg: str) -> bool:
        """Leave the console."""
        return True

    do_exit = do_quit

    # ---------------------------------------------------------------- asking

    def do_ask(self, arg: str) -> bool:
        """ask QUESTION - answer a question (plain text works too)."""
        if not arg.strip():
            self.say("Ask me something about the ending, e.g. why is Misaki in Korea?")
            return False
        answer = ask(self.app, arg, source="console", asker=self.actor)  # no names in the log
        self.say(render_answer(answer, show_spoilers=self.show_spoilers))
        return False

    def do_open(self, arg: str) -> bool:
        """open ID - read one entry, e.g. the closest match the bot offered."""
        entry = self.app.index.get(arg.strip())
        if entry is None:
            self.say(f"! no entry '{arg.strip()}' (`kb list` shows them all)")
            return False
        self.say("\n".join(render_entry(entry, show_spoilers=self.show_spoilers)))
        return False

    def do_spoilers(self, arg: str) -> bool:
        """spoilers on|off - show last-act answers plainly, as in a spoiler channel."""
        self.show_spoilers = arg.strip().lower() in ("on", "yes", "true", "1")
        self.say(f"spoilers {'shown' if self.show_spoilers else 'hidden'}")
        return False

    def do_as(self, arg: str) -> bool:
        """as NAME [mod] - act as another local user (for polls); add 'mod' for moderator."""
        parts = arg.split()
        if not parts:
            self.say(f"you are {self.user_name} (id {self.user_id})"
                     f"{', moderator' if self.is_moderator else ''}")
            return False
        self.user_name = parts[0]
        self.user_id = _local_user_id(parts[0])
        self.names[self.user_id] = self.user_name
        self.is_moderator = len(parts) > 1 and parts[1] == "mod"
        self.say(f"now acting as {self.user_name} (id {self.user_id})"
                 f"{', moderator' if self.is_moderator else ''}")
        return False


def _local_user_id(name: str) -> int:
    """Stable small ids for console users ('you' is 1)."""
    if name == "you":
        return 1
    return 1000 + sum((i + 1) * ord(c) for i, c in enumerate(name)) % 1_000_000

