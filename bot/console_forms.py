"""Entry forms in the terminal: asked field by field, or read from a script.

Entry fields (``kb add``, ``kb edit ID``, ``kb approve ID``)
------------------------------------------------------------
At a terminal the console asks field by field. From a script (stdin not a terminal) the
fields follow the command, one ``field: value`` per line, and an empty line ends them::

    kb add
    title: Why does Misaki smile at the end?
    questions: why is misaki smiling | is misaki happy at the end
    answer: The film does not say.
      A line starting with two spaces continues the field (the two spaces are dropped;
      a line of just two spaces is an empty line inside the answer).
    sources: Golden Globes interview | https://goldenglobes.com/articles/...
    sources: scene: the epilogue
    tags: ending, misaki
    spoiler: yes
    <empty line>

Fields: ``id`` (default: a slug of the title), ``title``, ``questions`` (``|``
separated; repeat the line for more), ``answer``, ``sources`` (one per line: ``Title |
https://link``, a bare link, or ``scene: ...``), ``tags``, ``spoiler`` (yes/no),
``related``, ``aliases``. For ``kb edit`` and ``kb approve`` fields not given keep their
current value (an empty ``related:`` clears it). A line that is not ``field: value`` also
ends the fields and runs as the next command. The block is read even when the command is
refused (not a moderator, no such entry), so its lines never run as commands.

At a terminal, the command's rights are checked before the first question, and Ctrl-C or
Ctrl-D at any question cancels the form (nothing is saved) and returns to the prompt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import IO, Any

from bot.errors import BotError, InvalidInput
from bot.forms import entry_data_from_form
from bot.text import terminal_safe

FIELDS = ("id", "title", "questions", "answer", "sources", "tags", "spoiler", "related",
          "aliases")
_FIELD_NAMES = {**{f: f for f in FIELDS}, "question": "questions", "source": "sources",
                "tag": "tags", "alias": "aliases"}
_FIELD_LINE = re.compile(r"^([a-z]+)\s*:(.*)$")
_YES = {"y", "yes", "true", "1", "on"}
_NO = {"n", "no", "false", "0", "off", ""}

FIELDS_HELP = """Entry fields (kb add, kb edit ID, kb approve ID)
At a terminal the console asks for each field; Ctrl-C or Ctrl-D cancels the form.
In a script the fields follow the command, one 'field: value' per line, up to an empty line:

    kb add
    title: Why does Misaki smile at the end?
    questions: why is misaki smiling | is misaki happy at the end
    answer: The film does not say.
      A line starting with two spaces continues the field.
    sources: Golden Globes interview | https://goldenglobes.com/articles/...
    sources: scene: the epilogue
    tags: ending, misaki
    spoiler: yes

Fields: id (default: made from the title), title, questions ('|' between them), answer
(markdown), sources (one per line: 'Title | https://link', a bare link or 'scene: ...'),
tags, spoiler (yes/no), related, aliases. For kb edit and kb approve, fields not given keep
their value (an empty 'related:' clears it). A line that is not 'field: value' ends the
fields and runs as the next command."""

# What a form command looks up before the form: (current field text, spoiler flag, entry id)
Prepared = tuple[Mapping[str, str], bool, str | None]


class Cancelled(BotError):
    """The person left a form or a question (Ctrl-C, Ctrl-D): nothing was saved."""

    def __init__(self, message: str = "Cancelled; nothing was saved.") -> None:
        super().__init__(message)


class EntryForm:
    """Mixin for the console: turns what the user types into entry data for bot.curation."""

    # provided by bot.console.Console (annotations only: the mixin must not shadow them)
    interactive: bool
    use_rawinput: bool
    stdin: IO[str]
    stdout: IO[str]
    cmdqueue: list[str]
    say: Callable[[str], None]

    def _entry_data(self, prepare: Callable[[], Prepared]) -> dict[str, Any]:
        """Fields from the user (asked, or read from the next lines) as entry data.

        ``prepare`` checks the user's rights and finds what the form starts from; it runs
        before the first question at a terminal, and after the block is read in a script.
        """
        if self.interactive:
            defaults, spoiler, entry_id = prepare()
            given = self._ask_fields(defaults)
        else:
            given = self._read_fields()
            defaults, spoiler, entry_id = prepare()
        text = {**defaults, **given}
        if "spoiler" in given:
            answer = given["spoiler"].strip().lower()
            if answer not in _YES | _NO:
                raise InvalidInput(f"spoiler must be yes or no, got '{given['spoiler'][:40]}'")
            spoiler = answer in _YES
        data = entry_data_from_form(
            text.get("title", ""), text.get("questions", ""), text.get("answer", ""),
            text.get("sources", ""), text.get("tags", ""),
            id=given.get("id") or entry_id or defaults.get("id"), spoiler=spoiler,
            related_text=text.get("related", ""), aliases_text=text.get("aliases", ""))
        for key in ("related", "aliases"):
            if key in given and not given[key].strip():
                data[key] = []  # an explicit empty field clears it
        return data

    def _read_fields(self) -> dict[str, str]:
        """``field: value`` lines up to an empty line (see the module docstring)."""
        values: dict[str, list[str]] = {}
        unknown: list[str] = []
        last: str | None = None
        while True:
            line = self.stdin.readline()
            if not line:
                break
            line = line.rstrip("\r\n")
            if last is not None and line.startswith(("  ", "\t")):
                cut = 1 if line.startswith("\t") else 2
                values[last][-1] += "\n" + line[cut:]
                continue
            if not line.strip():
                break
            match = _FIELD_LINE.match(line)
            if not match:
                self.cmdqueue.insert(0, line)  # not a field: it is the next command
                break
            name = _FIELD_NAMES.get(match[1])
            if name is None:
                unknown.append(match[1])
                last = None
                continue
            value = match[2].strip()
            if name == "questions":
                value = "\n".join(q.strip() for q in value.split("|"))
            values.setdefault(name, []).append(value)
            last = name
        if unknown:
            names = ", ".join(name[:20] for name in unknown[:5])
            raise InvalidInput(f"unknown field(s) {names}; the fields are {', '.join(FIELDS)}")
        join = {"title": " ", "id": " ", "spoiler": " ", "tags": ", ", "related": ", ",
                "aliases": ", "}
        return {k: join.get(k, "\n").join(v) for k, v in values.items()}

    def _ask_fields(self, defaults: Mapping[str, str]) -> dict[str, str]:
        """Ask field by field at a terminal; an empty answer keeps the default."""
        given: dict[str, str] = {}

        def keep(name: str) -> str:
            current = defaults.get(name, "")
            return f" [{current.splitlines()[0][:40]}...]" if "\n" in current else (
                f" [{current[:60]}]" if current else "")

        def one(name: str, prompt: str) -> None:
            value = self._ask(f"{prompt}{keep(name)}: ")
            if value.strip():
                given[name] = value.strip()

        def many(name: str, prompt: str, end: str = "") -> None:
            if defaults.get(name):
                prompt += " (just that keeps the current text)" if end else \
                    " (an empty line at once keeps the current ones)"
            self.say(prompt)
            lines: list[str] = []
            while True:
                value = self._ask("  > ")
                if (value.strip() == end) if end else not value.strip():
                    break
                lines.append(value)
            if any(line.strip() for line in lines):
                given[name] = "\n".join(lines)

        self.say("(Ctrl-C cancels; nothing is saved before the last question)")
        one("title", "title")
        many("questions", "questions people ask, one per line; an empty line ends them")
        many("answer", "answer (markdown); a line with only '.' ends it", end=".")
        many("sources", "sources, one per line: 'Title | https://link', a bare link or "
                        "'scene: ...'; an empty line ends them")
        one("tags", "tags, comma separated")
        one("spoiler", "about the last act (spoiler)? yes/no")
        if "id" not in defaults:
            one("id", "id (empty: made from the title)")
        return given

    def _ask(self, text: str) -> str:
        """One answer typed at a terminal; Ctrl-C or Ctrl-D (end of input) cancels."""
        text = terminal_safe(text)  # it may quote an entry's current text
        try:
            if self.use_rawinput:
                return _forget(input(text))
            self.stdout.write(text)
            self.stdout.flush()
            line = self.stdin.readline()
        except KeyboardInterrupt:
            self.say("")
            raise Cancelled() from None
        except EOFError:
            line = ""
        if not line:
            self.say("")
            raise Cancelled()
        return line.rstrip("\r\n")

    def _confirm(self, question: str) -> bool:
        """Yes or no at a terminal (anything but yes is no); scripts do not ask."""
        if not self.interactive:
            return True
        return self._ask(f"{question} [y/N] ").strip().lower() in _YES


def _forget(answer: str) -> str:
    """Keep a form's answers out of the line history: up-arrow recalls commands."""
    try:
        import readline
    except ImportError:
        return answer
    last = readline.get_current_history_length()
    if answer.strip() and last and readline.get_history_item(last) == answer:
        readline.remove_history_item(last - 1)
    return answer
