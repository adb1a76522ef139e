"""Poll commands for the console: create, vote as several local users, results.

They take what /poll takes on Discord (``anonymous``, ``final``, ``hours N``, ``max_choices
N``) and say what Discord says where the meaning is the same. Every word is checked: an
unknown one is an error, never ignored, and numbers go through ``bot.console_args``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import poll_results, polls, votes
from bot.console_args import poll_settings, row_id, shown
from bot.errors import InvalidInput
from bot.text import render_tally

if TYPE_CHECKING:
    from bot.console import Console

POLL_HELP = """poll - interpretation polls (ID: a poll number; without it, the latest poll):
  poll ending [anonymous] [final] [hours N]
                            start a poll on the film's readings of the ending (anyone)
  poll create [anonymous] [final] [hours N] [max_choices N] QUESTION | A | B ...
                            a poll with your own options (moderators); put -- before a
                            question that starts with one of those words
  poll list [all]           open polls (all: closed ones too)
  poll results [ID]         results with bars
  poll voters [ID]          who voted for what (public polls only)
  poll close [ID]           close a poll (moderators or its creator)
  poll reopen [ID] [hours N]  reopen a closed poll (moderators)
  vote [ID] OPTION          vote by option number or id; several: vote 1,3 (or vote ID 1 3)
  vote [#ID]                your vote, as Discord's My vote shows it
  retract [ID]              take your vote back
Options: anonymous hides who voted for what (counts only); final means votes can't be
changed or retracted once cast; hours N closes the poll after N hours (0.1 to 720);
max_choices N lets each voter pick up to N options. 'as NAME' switches the voter."""

ENDING_USAGE = "poll ending takes anonymous, final and hours N."
CREATE_USAGE = ("usage: poll create [anonymous] [final] [hours N] [max_choices N] "
                "QUESTION | A | B ...")
REOPEN_USAGE = "usage: poll reopen [ID] [hours N]"


class PollCommands:
    """Mixin for Console: every command goes through bot.polls and bot.votes."""

    def do_poll(self: Console, arg: str) -> bool:
        """poll SUBCOMMAND - polls on what the ending means: ending, create, list, results,
        voters, close, reopen ('help poll' for each)."""
        sub, _, rest = arg.strip().partition(" ")
        handler = {"ending": self._poll_ending, "create": self._poll_create,
                   "list": self._poll_list, "results": self._poll_results,
                   "voters": self._poll_voters, "close": self._poll_close,
                   "reopen": self._poll_reopen}.get(sub)
        if not sub:
            self.say(POLL_HELP)
        elif handler is None:
            raise InvalidInput(f"{shown(sub)} is not a poll command; 'help poll' lists them.")
        else:
            handler(rest.strip())
        return False

    def help_poll(self: Console) -> None:
        self.say(POLL_HELP)

    def complete_poll(self: Console, text: str, line: str, begidx: int,
                      endidx: int) -> list[str]:
        words = line[:begidx].split()
        choices = ["ending", "create", "list", "results", "voters", "close", "reopen"]
        if len(words) > 1 and words[1] in ("ending", "create"):
            choices = ["anonymous", "final", "hours"] + (["max_choices"]
                                                         if words[1] == "create" else [])
        return [c for c in choices if c.startswith(text)]

    # ------------------------------------------------------------ poll SUBCOMMAND

    def _poll_ending(self: Console, rest: str) -> None:
        chosen, _ = poll_settings(rest, ("anonymous", "final", "hours"), ENDING_USAGE)
        film = next(iter(self.app.films()), None)
        if film is None:
            raise InvalidInput("No film pack is loaded.")
        settings = chosen.as_kwargs()
        del settings["max_choices"]  # /poll ending has no max_choices: one reading each
        poll = polls.create_ending_poll(self.app.db, self.actor, film=film, **settings)
        self.say(render_tally(poll_results.tally(self.app.db, self.actor, poll.id)))

    def _poll_create(self: Console, rest: str) -> None:
        chosen, text = poll_settings(rest, ("anonymous", "final", "hours", "max_choices"),
                                     CREATE_USAGE, rest_allowed=True)
        question, bar, options = text.partition("|")
        if not bar or not question.strip():
            raise InvalidInput(CREATE_USAGE)
        poll = polls.create_poll(self.app.db, self.actor, question=question,
                                 options=polls.options_from_text(options),
                                 **chosen.as_kwargs())
        self.say(render_tally(poll_results.tally(self.app.db, self.actor, poll.id)))

    def _poll_list(self: Console, rest: str) -> None:
        if rest not in ("", "all"):
            raise InvalidInput(f"usage: poll list [all] (got {shown(rest)})")
        found = polls.list_polls(self.app.db, self.actor, status=None if rest else "open")
        lines = []
        for p in found:
            voters = poll_results.tally(self.app.db, self.actor, p.id).total_voters
            lines.append(f"#{p.id} {' '.join(p.question.split())} "
                         f"({voters} voter{'' if voters == 1 else 's'})"
                         + ("" if p.is_open else " [closed]"))
        if not lines:
            lines = [("No polls yet." if rest else "No open polls.")
                     + " Start one with 'poll ending'."]
        self.say("\n".join(lines))

    def _poll_results(self: Console, rest: str) -> None:
        self.say(render_tally(poll_results.tally(self.app.db, self.actor,
                                                 self._poll_id(rest))))

    def _poll_voters(self: Console, rest: str) -> None:
        poll = polls.get_poll(self.app.db, self.actor, self._poll_id(rest))
        picked = poll_results.voters(self.app.db, self.actor, poll.id)
        lines = [f"{poll.option(option).label}: "
                 + ", ".join(self.names.get(u, f"user {u}") for u in users)
                 for option, users in picked.items() if users]
        self.say("\n".join(lines) or f"Nobody has voted in poll #{poll.id} yet.")

    def _poll_close(self: Console, rest: str) -> None:
        poll = polls.close(self.app.db, self.actor, self._poll_id(rest))
        self.say(f"Poll #{poll.id} is closed; the results are final.")
        self.say(render_tally(poll_results.tally(self.app.db, self.actor, poll.id)))

    def _poll_reopen(self: Console, rest: str) -> None:
        number, _, settings = rest.partition(" ")
        if number and not number.lstrip("#")[:1].isdigit():  # no ID: the settings start here
            number, settings = "", rest
        chosen, _ = poll_settings(settings, ("hours",), REOPEN_USAGE)
        poll = polls.reopen(self.app.db, self.actor, self._poll_id(number),
                            hours=chosen.hours)
        self.say(f"Poll #{poll.id} is open again.")

    # ------------------------------------------------------------ voting

    def do_vote(self: Console, arg: str) -> bool:
        """vote [ID] OPTION - vote by option number or id (several: vote 1,3); the latest poll
        when ID is left out. 'vote' alone (or 'vote #ID') shows your vote, like My vote."""
        words = arg.split()
        if not words or (len(words) == 1 and words[0].startswith("#")):
            self._my_vote(words[0] if words else "")
            return False
        poll = polls.get_poll(self.app.db, self.actor,
                              self._poll_id(words[0] if len(words) > 1 else ""))
        typed = [c for word in words[1 if len(words) > 1 else 0:] for c in word.split(",") if c]
        if not typed:
            raise InvalidInput("Say which option: vote 2, or vote 3 2 for poll #3.")
        picked = list(dict.fromkeys(_option(poll, c) for c in typed))
        if len(picked) > poll.max_choices:
            raise InvalidInput(f"Poll #{poll.id} takes one option per voter." if
                               poll.max_choices == 1 else f"Poll #{poll.id} takes up to "
                               f"{poll.max_choices} options per voter; you gave {len(picked)}.")
        result = votes.vote(self.app.db, self.actor, poll.id, picked)
        labels = ", ".join(poll.option(c).label for c in result.new)
        final = "" if result.poll.allow_change else " Votes in this poll are final."
        self.say(f"{self.user_name} voted for {labels}.{final}")
        return False

    def _my_vote(self: Console, text: str) -> None:
        """What Discord's My vote button says, for the user the console acts as."""
        poll = polls.get_poll(self.app.db, self.actor, self._poll_id(text))
        picked = votes.ballot(self.app.db, self.actor, poll.id)
        mine = self.user_name == "you"
        if not picked:
            what = "vote with 'vote OPTION'" if poll.is_open else "it is closed"
            subject = "You have" if mine else f"{self.user_name} has"
            self.say(f"{subject} not voted in poll #{poll.id}; {what}.")
            return
        labels = ", ".join(poll.option(c).label for c in picked)
        owner = "Your" if mine else f"{self.user_name}'s"
        text = f"{owner} vote in poll #{poll.id}: {labels}."
        if not poll.allow_change:
            text += " Votes in this poll are final."
        elif not poll.is_open:
            text += " The poll is closed."
        self.say(text)

    def do_retract(self: Console, arg: str) -> bool:
        """retract [ID] - take back your vote (the latest poll when ID is left out)."""
        result = votes.retract(self.app.db, self.actor, self._poll_id(arg))
        self.say(f"{self.user_name}'s vote on poll #{result.poll.id} was retracted."
                 if result.old else f"{self.user_name} had no vote in poll #{result.poll.id}.")
        return False

    def _poll_id(self: Console, text: str) -> int:
        """The poll a command names ('3' or '#3'), or the latest one."""
        words = text.split()
        if len(words) > 1:
            raise InvalidInput(f"Give one poll number, got {shown(text)}.")
        if words:
            return row_id(words[0], "poll")
        found = polls.list_polls(self.app.db, self.actor, status=None)
        if not found:
            raise InvalidInput("There is no poll yet: try 'poll ending'.")
        return found[0].id


def _option(poll: polls.Poll, typed: str) -> str:
    """The option id someone typed, or its number in the poll (1 is the first)."""
    if any(o.id == typed for o in poll.options):
        return typed
    count = len(poll.options)
    if typed.isascii() and typed.isdigit() and len(typed) < 4 and 1 <= int(typed) <= count:
        return poll.options[int(typed) - 1].id
    raise InvalidInput(f"{shown(typed)} is not an option in poll #{poll.id}: give a number "
                       f"from 1 to {count} or an option id ('poll results {poll.id}' lists "
                       "them).")

