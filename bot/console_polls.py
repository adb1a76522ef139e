"""Poll commands for the console: create, vote as several local users, results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import poll_results, polls, votes
from bot.errors import InvalidInput
from bot.text import render_tally

if TYPE_CHECKING:
    from bot.console import Console

POLL_HELP = """poll ending               create a poll from the film's interpretations
poll create Q | A | B ... create a custom poll (moderators)
poll list                 open polls
poll results [ID]         results with bars (default: the latest poll)
poll voters [ID]          who voted for what (public polls only)
poll close [ID]           close a poll (moderators or its creator)
poll reopen [ID]          reopen a closed poll (moderators)
vote [ID] OPTION          vote by option number or id; 'as NAME' switches voter
retract [ID]              take your vote back"""


class PollCommands:
    """Mixin for Console: every command goes through bot.polls, like the Discord buttons."""

    def do_poll(self: Console, arg: str) -> bool:
        """poll ending|create|list|results|voters|close|reopen - interpretation polls."""
        sub, _, rest = arg.strip().partition(" ")
        db = self.app.db
        if sub == "ending":
            film = next(iter(self.app.films()), None)
            if film is None:
                raise InvalidInput("No film pack is loaded.")
            poll = polls.create_ending_poll(db, self.actor, film=film)
            self.say(render_tally(poll_results.tally(db, self.actor, poll.id)))
        elif sub == "create":
            question, *labels = [p.strip() for p in rest.split("|")]
            options = [polls.Option(f"o{n}", label) for n, label in enumerate(labels, 1)]
            poll = polls.create_poll(db, self.actor, question=question, options=options)
            self.say(render_tally(poll_results.tally(db, self.actor, poll.id)))
        elif sub == "list":
            found = polls.list_polls(db, self.actor)
            self.say("\n".join(f"#{p.id} {p.question} ({len(p.options)} options)"
                               for p in found) or "No open polls.")
        elif sub == "results":
            self.say(render_tally(poll_results.tally(db, self.actor, self._poll_id(rest))))
        elif sub == "voters":
            poll = polls.get_poll(db, self.actor, self._poll_id(rest))
            picked = poll_results.voters(db, self.actor, poll.id)
            lines = [f"{poll.option(option).label}: "
                     + ", ".join(self.names.get(u, f"user {u}") for u in users)
                     for option, users in picked.items() if users]
            self.say("\n".join(lines) or f"Nobody has voted in poll #{poll.id} yet.")
        elif sub == "close":
            poll = polls.close(db, self.actor, self._poll_id(rest))
            self.say(render_tally(poll_results.tally(db, self.actor, poll.id)))
        elif sub == "reopen":
            poll = polls.reopen(db, self.actor, self._poll_id(rest))
            self.say(f"Poll #{poll.id} is open again.")
        else:
            self.say(POLL_HELP)
        return False

    def do_vote(self: Console, arg: str) -> bool:
        """vote [ID] OPTION - vote by option number or id (latest poll when ID is left out)."""
        parts = arg.split()
        if not parts:
            raise InvalidInput("Say which option: vote 2, or vote 3 2 for poll #3.")
        poll_id = self._poll_id(parts[0] if len(parts) > 1 else "")
        poll = polls.get_poll(self.app.db, self.actor, poll_id)
        choice = parts[-1]
        if choice.isdigit() and 1 <= int(choice) <= len(poll.options):
            choice = poll.options[int(choice) - 1].id
        result = votes.vote(self.app.db, self.actor, poll.id, [choice])
        labels = ", ".join(poll.option(c).label for c in result.new)
        self.say(f"{self.user_name} voted for: {labels}")
        return False

    def do_retract(self: Console, arg: str) -> bool:
        """retract [ID] - take back your vote."""
        result = votes.retract(self.app.db, self.actor, self._poll_id(arg))
        self.say(f"{self.user_name}'s vote on poll #{result.poll.id} was retracted."
                 if result.old else "You had not voted in that poll.")
        return False

    def _poll_id(self: Console, text: str) -> int:
        text = text.strip().lstrip("#")
        if text:
            if not text.isdigit():
                raise InvalidInput(f"{text!r} is not a poll number.")
            return int(text)
        found = polls.list_polls(self.app.db, self.actor, status=None)
        if not found:
            raise InvalidInput("There is no poll yet: try 'poll ending'.")
        return found[0].id
