"""Answering a question: the curated entry that fits, a closest match, or an honest "no".

``ask`` is the one function every front end calls (CLI, console, Discord), so they all
decide and log in exactly the same way. Four outcomes:

- ``answer``: the best entry is probably right (calibrated confidence >= ANSWER_AT). A
  message with two questions is answered part by part when each part clears the bar alone.
- ``closest``: the bot is not sure (CLOSEST_AT <= confidence < ANSWER_AT); it says so and
  offers the best entry as one click. This is not an answer.
- ``abstain``: nothing fits; the closest topics are listed.
- ``smalltalk``: greetings, thanks and questions about the bot get a friendly reply with two
  example questions. They are not logged as unanswered.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from bot.candidates import Hit
from bot.knowledge import Entry, Film
from bot.messages import question_part, smalltalk_kind, split_two
from bot.moderators import Actor
from bot.poll_results import Tally, tally
from bot.polls import latest_poll
from bot.pseudonyms import pseudonym
from bot.store import now, write
from bot.usernumbers import require_id
from bot.usertext import clean
from bot.words import MAX_INPUT

if TYPE_CHECKING:
    from bot.app import App

ANSWER, CLOSEST, ABSTAIN, SMALLTALK = "answer", "closest", "abstain", "smalltalk"
# Calibrated probability that the best entry is right, needed to give it as the answer ...
ANSWER_AT = 0.45
# ... and to offer it as a closest match ("not sure, but is it this?").
CLOSEST_AT = 0.2
# A question read without its remarks must still name this many things ("what's he saying
# there" alone could be about anyone).
MIN_ALONE_TERMS = 2
# Below this an entry is not even offered as a "closest topic".
SUGGEST_AT = 0.02
# Entries with this tag are about what the community thinks: they carry live poll standings.
POLL_TAG = "community"
MAX_LOGGED_CHARS = 2000
SMALLTALK_REPLY = ("Hi! I answer questions about the ending of *{film}* from a checked, "
                   "sourced knowledge base, and I run polls on what it means. Try asking:")


@dataclass(frozen=True)
class Alternative:
    id: str
    title: str
    spoiler: bool


@dataclass(frozen=True)
class Part:
    """One answered question: the whole message, or one of its two parts."""

    question: str
    entry: Entry
    confidence: float
    standings: Tally | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    entry: Entry | None  # the (first) answer's entry
    confidence: float  # calibrated probability that the best entry is right
    alternatives: tuple[Alternative, ...]
    film: Film | None
    standings: Tally | None = None  # the latest interpretation poll, for POLL_TAG entries
    outcome: str = ABSTAIN
    suggested: Alternative | None = None  # the closest match offered when not sure
    parts: tuple[Part, ...] = ()  # every answered part (one, or two for a two-part message)
    examples: tuple[str, ...] = ()  # small talk: questions to try

    @property
    def reply(self) -> str | None:
        """The friendly text of a small-talk reply."""
        if self.outcome != SMALLTALK:
            return None
        return SMALLTALK_REPLY.format(film=self.film.title if self.film else "the film")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``ask --json``."""
        e = self.entry
        return {
            "question": self.question,
            "outcome": self.outcome,
            "answered": self.answered,
            "entry_id": e.id if e else None,
            "title": e.title if e else None,
            "answer": e.answer if e else None,
            "sources": [s.as_dict() for s in e.sources] if e else [],
            "spoiler": e.spoiler if e else False,
            "film": self.film.id if self.film else None,
            "score": round(self.confidence, 3),
            "suggested": None if self.suggested is None else {
                "id": self.suggested.id, "title": self.suggested.title,
                "spoiler": self.suggested.spoiler},
            "parts": [{"question": p.question, "entry_id": p.entry.id, "title": p.entry.title,
                       "answer": p.entry.answer, "spoiler": p.entry.spoiler,
                       "sources": [s.as_dict() for s in p.entry.sources],
                       "score": round(p.confidence, 3)} for p in self.parts],
            "alternatives": [
                {"id": a.id, "title": a.title, "spoiler": a.spoiler} for a in self.alternatives
            ],
            "reply": self.reply,
            "examples": list(self.examples),
            "standings": None if self.standings is None else {
                "poll_id": self.standings.poll.id,
                "total_voters": self.standings.total_voters,
                "results": {r.option.label: r.count for r in self.standings.results},
            },
        }


def ask(app: App, question: str, source: str = "cli", *, log: bool = True,
        asker: Actor | None = None) -> Answer:
    """Answer ``question`` from the knowledge base (see the module docstring); log it unless
    ``log`` is False or it was small talk.

    ``asker``: who asks, and from which server; community entries then carry that server's
    latest poll. Without one, or from a DM, there are no standings.
    """
    question, source = clean(question), clean(source)
    text = question[:MAX_INPUT]  # bounded work on any text (bot.words)
    query = app.index.analyse(text)
    hits = app.index.search_query(query)
    asked = question_part(text)
    # A question wrapped in remarks: the question alone decides when it fits well enough on
    # its own ("what was the deal with her mom? she mentions it on the way north" asks
    # about the mother, not the trip north), or when it fits better than the whole message.
    if asked is not None:
        alone_query = app.index.analyse(asked)
        alone = app.index.search_query(alone_query)
        if (alone and len(alone_query.terms) >= MIN_ALONE_TERMS
                and (not hits or alone[0].confidence > hits[0].confidence
                     or alone[0].confidence >= ANSWER_AT)):
            hits = alone
    top = hits[0] if hits else None
    films = app.films()
    default_film = next(iter(films.values()), None)
    kind = smalltalk_kind(text)
    if kind is not None and not any(t.about_film for t in query.terms):  # "thanks!", "hi bot"
        return _smalltalk_answer(app, question, text, top, default_film)
    parts = _two_parts(app, text)
    if parts is None and top is not None and top.confidence >= ANSWER_AT:
        entry = app.index.get(top.id)
        parts = (Part(text, entry, top.confidence),) if entry else None
    if parts:
        parts = tuple(Part(p.question, p.entry, p.confidence, _standings(app, p.entry, asker))
                      for p in parts)
        shown = {p.entry.id for p in parts}
        alternatives = _alternatives(h for h in hits if h.id not in shown)
        first = parts[0]
        result = Answer(question, True, first.entry, first.confidence, alternatives,
                        films.get(first.entry.film), first.standings, ANSWER, None, parts)
    elif kind is not None and (top is None or top.confidence < CLOSEST_AT):
        return _smalltalk_answer(app, question, text, top, default_film)
    else:
        closest = top is not None and top.confidence >= CLOSEST_AT
        suggested = Alternative(top.id, top.title, top.spoiler) if closest and top else None
        alternatives = _alternatives(hits[1:] if closest else hits)
        result = Answer(question, False, None, top.confidence if top else 0.0, alternatives,
                        default_film, None, CLOSEST if closest else ABSTAIN, suggested)
    if log:
        log_question(app.db, source, text, result.entry.id if result.entry else None,
                     result.confidence, guild_id=asker.guild_id if asker else None)
    return result


def _smalltalk_answer(app: App, question: str, text: str, top: Hit | None,
                      film: Film | None) -> Answer:
    """The friendly reply to greetings, thanks and questions about the bot (not logged)."""
    return Answer(question, False, None, top.confidence if top else 0.0, (), film,
                  outcome=SMALLTALK, examples=_examples(app, text))


def _two_parts(app: App, text: str) -> tuple[Part, ...] | None:
    """Both parts of a two-question message, when each clears the bar on its own with a
    different entry; None otherwise (the message is then answered as one question)."""
    split = split_two(text)
    if split is None:
        return None
    first_hits = app.index.search(split[0])
    if not first_hits or first_hits[0].confidence < ANSWER_AT:
        return None
    first = first_hits[0]
    second_hits = app.index.search(split[1])
    second = next((h for h in second_hits if h.id != first.id), None)
    if second is None or second.confidence < ANSWER_AT:
        # "where is misaki from and why do they drive there": the second part leans on the
        # first, so read it with the first part's words too
        leaning = app.index.search(f"{split[1]} {split[0]}")
        second = next((h for h in leaning if h.id != first.id), None)
        if second is None or second.confidence < ANSWER_AT:
            return None
    entries = [app.index.get(first.id), app.index.get(second.id)]
    if None in entries:
        return None
    return (Part(split[0], entries[0], first.confidence),  # type: ignore[arg-type]
            Part(split[1], entries[1], second.confidence))  # type: ignore[arg-type]


def _alternatives(hits: Any) -> tuple[Alternative, ...]:
    return tuple(Alternative(h.id, h.title, h.spoiler) for h in hits
                 if h.confidence >= SUGGEST_AT)[:3]


def _standings(app: App, entry: Entry, asker: Actor | None) -> Tally | None:
    """Live poll standings for an entry about what the community thinks: the asker's
    server's latest poll only (none without an asker, or in a DM)."""
    if POLL_TAG not in entry.tags or asker is None or asker.in_dm:
        return None
    poll = latest_poll(app.db, asker, film=entry.film)
    return tally(app.db, asker, poll.id) if poll else None


def _examples(app: App, text: str, n: int = 2) -> tuple[str, ...]:
    """Questions to try: the first listed question of entries that give nothing away (a
    different pair for different messages; two indexed lookups, whatever the size)."""
    top = app.db.execute("SELECT max(rowid) FROM entries").fetchone()[0] or 0
    start = zlib.crc32(text.encode("utf-8", "replace")) % (top + 1)
    found: list[str] = []
    for k in range(n):
        row = app.db.execute(
            "SELECT questions FROM entries WHERE spoiler = 0 AND questions != '' AND rowid >= ? "
            "ORDER BY rowid LIMIT 1", [(start + k * (top // n + 1)) % (top + 1)]).fetchone()
        if row is None:
            row = app.db.execute("SELECT questions FROM entries WHERE spoiler = 0 AND "
                                 "questions != '' ORDER BY rowid LIMIT 1").fetchone()
        if row and row[0].split("\n")[0] not in found:
            found.append(row[0].split("\n")[0])
    return tuple(found)


def log_question(db: Database, source: str, text: str, entry_id: str | None,
                 confidence: float, *, guild_id: int | None = None) -> None:
    """Record a question and where it was asked (never who asked), so that server's
    moderators can see what the knowledge base cannot answer."""
    with write(db):
        db["question_log"].insert({
            "asked_at": now(),
            "source": clean(source)[:200],
            "guild_id": guild_id,
            "text": clean(text)[:MAX_LOGGED_CHARS],
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
