"""Answering a question: pick the curated entry that fits, or abstain honestly.

``ask`` is the one function every front end calls (CLI, console, Discord), so they
all answer, abstain and log in exactly the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from bot.knowledge import Entry, Film
from bot.moderators import Actor
from bot.poll_results import Tally, tally
from bot.polls import latest_poll
from bot.pseudonyms import pseudonym
from bot.store import now, write
from bot.usernumbers import require_id
from bot.usertext import clean

if TYPE_CHECKING:
    from bot.app import App

# Share of the question's informative words an entry must cover to be given as the answer.
ANSWER_THRESHOLD = 0.6
# Below this an entry is not even offered as a "closest topic".
SUGGEST_THRESHOLD = 0.05
# Entries with this tag are about what the community thinks: they carry live poll standings.
POLL_TAG = "community"
MAX_LOGGED_CHARS = 2000


@dataclass(frozen=True)
class Alternative:
    id: str
    title: str
    spoiler: bool


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    entry: Entry | None
    confidence: float
    alternatives: tuple[Alternative, ...]
    film: Film | None
    standings: Tally | None = None  # the latest interpretation poll, for POLL_TAG entries

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``ask --json``."""
        e = self.entry
        return {
            "question": self.question,
            "answered": self.answered,
            "entry_id": e.id if e else None,
            "title": e.title if e else None,
            "answer": e.answer if e else None,
            "sources": [s.as_dict() for s in e.sources] if e else [],
            "spoiler": e.spoiler if e else False,
            "film": self.film.id if self.film else None,
            "score": round(self.confidence, 3),
            "alternatives": [
                {"id": a.id, "title": a.title, "spoiler": a.spoiler} for a in self.alternatives
            ],
            "standings": None if self.standings is None else {
                "poll_id": self.standings.poll.id,
                "total_voters": self.standings.total_voters,
                "results": {r.option.label: r.count for r in self.standings.results},
            },
        }


def ask(app: App, question: str, source: str = "cli", *, log: bool = True,
        asker: Actor | None = None) -> Answer:
    """Answer ``question`` from the knowledge base, or abstain; log it unless ``log`` is False.

    ``asker``: who asks, and from which server; community entries then carry that server's
    latest poll. Without one, or from a DM, there are no standings.
    """
    question, source = clean(question), clean(source)
    hits = app.index.search(question)
    top = hits[0] if hits else None
    answered = top is not None and top.confidence >= ANSWER_THRESHOLD
    entry = app.index.get(top.id) if answered and top else None
    if entry is None:
        answered = False
    others = hits[1:] if answered else hits
    alternatives = tuple(
        Alternative(h.id, h.title, h.spoiler) for h in others if h.confidence >= SUGGEST_THRESHOLD
    )[:3]
    films = app.films()
    film = films.get(entry.film) if entry else next(iter(films.values()), None)
    standings = None
    if entry and POLL_TAG in entry.tags and asker is not None and not asker.in_dm:
        poll = latest_poll(app.db, asker, film=entry.film)
        standings = tally(app.db, asker, poll.id) if poll else None
    result = Answer(question, answered, entry, top.confidence if top else 0.0, alternatives, film,
                    standings)
    if log:
        log_question(app.db, source, question, entry.id if entry else None, result.confidence,
                     guild_id=asker.guild_id if asker else None)
    return result


def log_question(db: Database, source: str, text: str, entry_id: str | None,
                 confidence: float, *, guild_id: int | None = None) -> None:
    """Record a question and where it was asked (never who asked), so that server's
    moderators can see what the knowledge base cannot answer."""
    with write(db):
        db["question_log"].insert({
            "asked_at": now(),
            "source": source[:200],
            "guild_id": guild_id,
            "text": text[:MAX_LOGGED_CHARS],
            "entry_id": entry_id,
            "confidence": round(confidence, 4),
        })


def unanswered(db: Database, *, since: str | None = None, limit: int = 10,
               guild_id: int | None = None) -> list[tuple[str, int, str]]:
    """Most frequent questions the bot abstained on: (text, times asked, last asked).

    ``guild_id``: only that server's questions (None: every server's, for the operator).
    """
    server = "" if guild_id is None else "AND guild_id = ? "
    return [
        (r[0], r[1], r[2])
        for r in db.execute(
            "SELECT lower(trim(text)) AS q, count(*) AS n, max(asked_at) FROM question_log "
            f"WHERE entry_id IS NULL AND asked_at >= ? AND q != '' {server}"
            "GROUP BY q ORDER BY n DESC, max(asked_at) DESC LIMIT ?",
            [since or "", *([] if guild_id is None else [guild_id]), limit],
        )
    ]


def record_feedback(db: Database, entry_id: str, user_id: int, helpful: bool
                    ) -> tuple[int, int]:
    """One vote per user and entry, changeable; returns (helpful, not helpful) counts.

    Kept under a pseudonym of the user (``bot.pseudonyms``), never their id.
    """
    require_id(user_id, "user_id")
    with write(db):
        db["feedback"].upsert(
            {"entry_id": entry_id, "voter": pseudonym(db, f"feedback:{entry_id}", user_id),
             "helpful": int(helpful), "updated_at": now()},
            pk=("entry_id", "voter"),
        )
    return feedback_counts(db, entry_id)


def feedback_counts(db: Database, entry_id: str) -> tuple[int, int]:
    """(helpful, not helpful) votes for one entry."""
    row = db.execute(
        "SELECT coalesce(sum(helpful), 0), coalesce(sum(1 - helpful), 0) FROM feedback "
        "WHERE entry_id = ?", [entry_id]
    ).fetchone()
    return int(row[0]), int(row[1])
