"""The console's poll commands, fed a script: the options Discord has, votes, results."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from bot import polls
from bot.app import App
from bot.console import Console
from bot.moderators import OPERATOR


def console(app: App, script: str) -> str:
    out = io.StringIO()
    Console(app, interactive=False, stdin=io.StringIO(script), stdout=out).run()
    return out.getvalue()


def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("!")]


def only_poll(app: App) -> polls.Poll:
    found = polls.list_polls(app.db, OPERATOR, status=None)
    assert len(found) == 1, found
    return found[0]


def test_console_poll_session(app: App) -> None:
    out = console(app, "poll ending\nvote 1\nas alice\nvote 2\nas bob\nvote gave-car\n"
                       "vote 7\nas bob\nretract\nvote 2\npoll results\n")
    assert "Poll #1 (open): What does the ending of the film mean to you?" in out
    assert "alice voted for Kafuku gave Misaki the Saab." in out
    # no talk of buttons: the console's own words, with what to type instead
    assert errors(out) == ["! '7' is not an option in poll #1: give a number from 1 to 2 or "
                           "an option id ('poll results 1' lists them)."]
    assert "bob's vote on poll #1 was retracted." in out
    assert "███████░░░  67% (2) [gave-car] <- leading" in out
    assert "  3 voters · public · one choice\n" in out


def test_console_shows_voters_of_public_polls_only(app: App) -> None:
    out = console(app, "poll ending\npoll voters\nas alice\nvote 2\nas bob\nvote 2\n"
                       "poll voters\nas you mod\npoll create Which car? | Saab | Volvo\n")
    assert "Nobody has voted in poll #1 yet." in out
    assert ("bob voted for Kafuku gave Misaki the Saab.\n"
            "Kafuku gave Misaki the Saab: alice, bob\n") in out
    out = console(app, "poll ending anonymous\nvote 1\npoll voters 3\n")
    assert "! Poll #3 is anonymous: nobody can see who voted for what." in out


def test_console_close_needs_moderator_or_creator(app: App) -> None:
    out = console(app, "poll ending\nas mallory\npoll close\nvote 1\nas you\npoll close\n"
                       "as mallory\nvote 2\npoll reopen\nas you\npoll reopen 1 hours 2\n")
    assert "! Only a moderator or the poll's creator can close this poll." in out
    assert "mallory voted for Misaki has started a new life, free of her past." in out
    assert "Poll #1 is closed; the results are final.\nPoll #1 (closed)" in out
    assert "! Poll #1 is closed, so it no longer accepts votes." in out
    assert "! Only moderators can reopen a poll." in out
    assert "Poll #1 is open again." in out
    deadline = only_poll(app).deadline
    assert deadline is not None
    assert abs(deadline - datetime.now(UTC) - timedelta(hours=2)) < timedelta(minutes=1)


# ---------------------------------------------------------------- Discord's options


def test_ending_takes_discords_options(app: App) -> None:
    out = console(app, "poll ending anonymous final hours 1.5\nvote 1\nvote 2\nretract\n")
    poll = only_poll(app)
    assert (poll.anonymous, poll.allow_change, poll.kind) == (True, False, "interpretations")
    assert abs(poll.deadline - poll.created_at - timedelta(hours=1.5)) < timedelta(seconds=1)
    assert "  0 voters · anonymous · one choice · votes are final · closes " in out
    assert "you voted for Misaki has started a new life, free of her past. Votes in this poll " \
           "are final." in out
    assert errors(out) == ["! Votes in poll #1 can't be changed once cast.",
                           "! Votes in poll #1 can't be retracted once cast."]


@pytest.mark.parametrize("words", ["anonymous=yes final=true hours=3", "--anonymous --final "
                                   "--hours 3", "anonymous:yes final:on hours:3"])
def test_options_as_name_value_or_flags(app: App, words: str) -> None:
    console(app, f"poll ending {words}\n")
    poll = only_poll(app)
    assert poll.anonymous and not poll.allow_change and poll.deadline is not None


def test_create_takes_discords_options(app: App) -> None:
    out = console(app, "poll create max_choices 2 hours 24 anonymous Which cars? | Saab | "
                       "Volvo | | Audi\nvote 1,3\nas bob\nvote 1 2\nas carol\nvote 1 1 2 3\n")
    poll = only_poll(app)
    assert poll.question == "Which cars?" and poll.max_choices == 2 and poll.anonymous
    assert [o.label for o in poll.options] == ["Saab", "Volvo", "Audi"]  # empty parts dropped
    assert "you voted for Saab, Audi." in out
    assert "bob voted for Volvo." in out  # poll 1, option 2
    assert errors(out) == ["! Poll #1 takes up to 2 options per voter; you gave 3."]
    assert "0 voters · anonymous · up to 2 choices · closes " in out


def test_unknown_words_are_errors_not_ignored(app: App) -> None:
    out = console(app, "poll ending anonymus\npoll ending anonymous please\n"
                       "poll ending max_choices 2\npoll ending hours\npoll ending hours soon\n"
                       "poll ending final=maybe\npoll create anonymus=yes Q | a | b\n"
                       "poll create --secret Q | a | b\npoll create max_choices 2\n"
                       "poll frobnicate\npoll list everything\npoll results 1 2\n")
    assert errors(out) == [
        "! 'anonymus' is not an option here; poll ending takes anonymous, final and hours N.",
        "! 'please' is not an option here; poll ending takes anonymous, final and hours N.",
        "! 'max_choices' is not an option here; poll ending takes anonymous, final and hours N.",
        "! hours needs a number after it; poll ending takes anonymous, final and hours N.",
        "! hours must be a number such as 24 or 1.5, got 'soon'.",
        "! final is yes or no, got 'maybe'.",
        "! 'anonymus=yes' is not an option here; usage: poll create [anonymous] [final] "
        "[hours N] [max_choices N] QUESTION | A | B ...",
        "! '--secret' is not an option here; usage: poll create [anonymous] [final] [hours N] "
        "[max_choices N] QUESTION | A | B ...",
        "! usage: poll create [anonymous] [final] [hours N] [max_choices N] QUESTION | A | B ...",
        "! 'frobnicate' is not a poll command; 'help poll' lists them.",
        "! usage: poll list [all] (got 'everything')",
        "! Give one poll number, got '1 2'.",
    ]
    assert polls.list_polls(app.db, OPERATOR, status=None) == []  # nothing was made


def test_a_question_may_start_with_an_option_word_after_a_double_dash(app: App) -> None:
    console(app, "poll create -- final thoughts? | yes | no\n"
                 "poll create Final thoughts? | yes | no\n")
    made = polls.list_polls(app.db, OPERATOR, status=None)
    assert [(p.question, p.allow_change) for p in made] == [
        ("Final thoughts?", True), ("final thoughts?", True)]


@pytest.mark.parametrize(("words", "message"), [
    ("hours 0.05", "! hours must be a number from 0.1 to 720 (got 0.05)."),
    ("hours 721", "! hours must be a number from 0.1 to 720 (got 721.0)."),
    ("hours 99999999999999999999", "! hours must be a number such as 24 or 1.5, got "
                                   "'99999999999999999999'."),
    ("hours nan", "! hours must be a number such as 24 or 1.5, got 'nan'."),
    ("hours inf", "! hours must be a number such as 24 or 1.5, got 'inf'."),
    ("hours 1e3", "! hours must be a number such as 24 or 1.5, got '1e3'."),
    ("hours -1", "! hours must be a number such as 24 or 1.5, got '-1'."),
    ("hours ²", "! hours must be a number such as 24 or 1.5, got '²'."),
])
def test_hours_are_checked_like_discords(app: App, words: str, message: str) -> None:
    out = console(app, f"poll ending {words}\npoll create {words} Q | a | b\n")
    assert errors(out) == [message, message]
    assert polls.list_polls(app.db, OPERATOR, status=None) == []


def test_max_choices_are_checked(app: App) -> None:
    out = console(app, "poll create max_choices 3 Q | a | b\npoll create max_choices 0 Q | a | b"
                       "\npoll create max_choices 26 Q | a | b\n")
    assert errors(out) == [
        "! max_choices must be between 1 and the number of options (2); got 3.",
        "! max_choices must be a whole number from 1 to 25, got '0'.",
        "! max_choices must be a whole number from 1 to 25, got '26'.",
    ]


def test_asking_what_the_community_thinks_shows_live_standings(app: App) -> None:
    before = console(app, "what does everyone think the ending means\n")
    assert "What does the community think the ending means?" in before
    assert "Where the community stands" not in before  # no poll yet: nothing invented
    out = console(app, "poll ending\nas alice\nvote 2\nas bob\nvote 2\nas carol\nvote 1\n"
                       "what do people here think about the ending\n")
    standings = out.split("Where the community stands right now:")[1]
    assert "Kafuku gave Misaki the Saab" in standings
    assert "67% (2)" in standings and "3 voters" in standings


def test_poll_list(app: App) -> None:
    out = console(app, "poll list\npoll ending\nvote 1\npoll create Q? | a | b\npoll close 2\n"
                       "poll list\npoll list all\n")
    assert "No open polls. Start one with 'poll ending'." in out
    assert "#1 What does the ending of the film mean to you? (1 voter)\n" in out
    assert "#2 Q? (0 voters) [closed]\n#1 What does" in out


def test_my_vote_says_what_discords_button_says(app: App) -> None:
    out = console(app, "poll ending\nvote\nvote 2\nvote\nas bob\nvote #1\n"
                       "poll ending final\nvote 1\nvote\nas you\npoll close 1\nvote #1\n"
                       "vote #9\n")
    assert out.count("You have not voted in poll #1; vote with 'vote OPTION'.") == 1
    assert "Your vote in poll #1: Kafuku gave Misaki the Saab." in out
    assert "bob has not voted in poll #1; vote with 'vote OPTION'." in out
    assert "bob's vote in poll #2: Misaki has started a new life, free of her past. " \
           "Votes in this poll are final." in out
    assert "Your vote in poll #1: Kafuku gave Misaki the Saab. The poll is closed." in out
    assert errors(out) == ["! There is no poll #9 here; it may have been removed."]
