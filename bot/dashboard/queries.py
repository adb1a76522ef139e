"""What the dashboard shows: visible tables, canned queries, titles and descriptions.

Everything a moderator sees about polls is aggregated here (counts per option, votes per
hour), never a ballot: the raw ``ballots`` and ``vote_events`` tables stay hidden whatever
key a ballot is stored under, so anonymous polls never show who voted. Tables that are not
listed in ``VISIBLE_TABLES`` (FTS shadow tables, the vocabulary, caches, raw feedback,
ballots and anything added later) are hidden and refused by the plugin.
"""

from __future__ import annotations

from typing import Any

CHARTS = "/-/dashboard"  # where the plugin serves chart images
DEFAULT_DAYS = 30


def _when(column: str) -> str:
    """A stored time (ISO, UTC, microseconds) as 'YYYY-MM-DD HH:MM', easier to read."""
    return f"replace(substr({column}, 1, 16), 'T', ' ')"


VISIBLE_TABLES: dict[str, tuple[str, str]] = {
    "entries": ("Knowledge entries",
                "Every entry the bot answers from: the YAML files merged with moderators' "
                "changes."),
    "interpretations": ("Readings of the ending",
                        "The film pack's interpretations that /poll ending offers."),
    "polls": ("Polls", "Every poll: question, settings, status and when it opened and closed."),
    "poll_options": ("Poll options", "The options of every poll, in order."),
    "question_log": ("Questions asked",
                     "Every question the bot was asked, with the entry it answered with "
                     "(empty when it abstained) and its confidence."),
    "suggestions": ("Suggestions", "Members' suggestions and corrections, and the decisions."),
    "audit_log": ("Audit log (table)", "Every change moderators made to the knowledge base."),
}

# Unix-epoch-free ISO text, as the bot stores times (see bot.store.iso)
_SINCE = ("strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || "
          f"coalesce(abs(cast(nullif(:days, '') AS integer)), {DEFAULT_DAYS}) || ' days')")

UNANSWERED = f"""
SELECT lower(trim(text)) AS question, count(*) AS times_asked,
       {_when("max(asked_at)")} AS last_asked
FROM question_log
WHERE entry_id IS NULL AND asked_at >= {_SINCE}
GROUP BY lower(trim(text))
ORDER BY times_asked DESC, last_asked DESC
LIMIT 200
"""

NOT_HELPFUL = f"""
SELECT f.entry_id AS entry, coalesce(e.title, '(entry removed)') AS title,
       sum(1 - f.helpful) AS not_helpful, sum(f.helpful) AS helpful,
       round(100.0 * sum(1 - f.helpful) / count(*)) AS percent_not_helpful,
       {_when("max(f.updated_at)")} AS last_feedback
FROM feedback f LEFT JOIN entries e ON e.id = f.entry_id
GROUP BY f.entry_id
HAVING sum(1 - f.helpful) > 0
ORDER BY not_helpful DESC, percent_not_helpful DESC, entry
"""

QUESTIONS_PER_DAY = f"""
SELECT substr(asked_at, 1, 10) AS day, count(*) AS questions,
       sum(entry_id IS NOT NULL) AS answered, sum(entry_id IS NULL) AS unanswered,
       round(100.0 * sum(entry_id IS NOT NULL) / count(*)) AS percent_answered
FROM question_log
WHERE asked_at >= {_SINCE}
GROUP BY day
ORDER BY day DESC
"""

POLLS = f"""
WITH picks AS (
    SELECT b.poll_id, j.value AS option_id, count(*) AS n
    FROM ballots b, json_each(b.choices) j
    GROUP BY b.poll_id, j.value
), voters AS (
    SELECT poll_id, count(*) AS n FROM ballots GROUP BY poll_id
), standings AS (
    SELECT o.poll_id, o.position, o.label, coalesce(p.n, 0) AS n,
           max(coalesce(p.n, 0)) OVER (PARTITION BY o.poll_id) AS top
    FROM poll_options o
    LEFT JOIN picks p ON p.poll_id = o.poll_id AND p.option_id = o.option_id
)
SELECT p.id AS poll, p.question, p.status,
       CASE WHEN p.anonymous THEN 'anonymous' ELSE 'public' END AS voting,
       coalesce(v.n, 0) AS voters, p.id AS chart,
       (SELECT group_concat(label, ' / ') FROM (
            SELECT label FROM standings s
            WHERE s.poll_id = p.id AND s.top > 0 AND s.n = s.top ORDER BY position)
       ) AS leading,
       {_when("p.created_at")} AS opened, {_when("p.deadline")} AS deadline,
       {_when("p.closed_at")} AS closed,
       (SELECT group_concat(label || ': ' || n, char(10)) FROM (
            SELECT label, n FROM standings s WHERE s.poll_id = p.id ORDER BY position)
       ) AS standings
FROM polls p LEFT JOIN voters v ON v.poll_id = p.id
WHERE (:status = '' OR p.status = :status)
ORDER BY p.status = 'open' DESC, p.id DESC
"""

VOTES_OVER_TIME = """
SELECT e.poll_id AS poll, p.question, substr(e.at, 1, 13) || ':00' AS hour,
       sum(e.old IS NULL AND e.new IS NOT NULL) AS new_votes,
       sum(e.old IS NOT NULL AND e.new IS NOT NULL) AS changed,
       sum(e.new IS NULL) AS retracted
FROM vote_events e JOIN polls p ON p.id = e.poll_id
WHERE (:poll = '' OR e.poll_id = cast(:poll AS integer))
GROUP BY e.poll_id, hour
ORDER BY e.poll_id DESC, hour
"""

AUDIT = f"""
SELECT id, {_when("at")} AS at, actor_id AS moderator, action, entry_id AS entry, before, after
FROM audit_log
WHERE (:entry = '' OR entry_id = :entry)
ORDER BY id DESC
LIMIT 500
"""

PENDING_SUGGESTIONS = f"""
SELECT id, {_when("created_at")} AS created, author_id AS member, entry_id AS entry, title, text
FROM suggestions WHERE status = 'pending' ORDER BY id
"""


def _img(path: str, alt: str) -> str:
    return (f'<p><img src="{CHARTS}/{path}" alt="{alt}" '
            'style="max-width: 100%; width: 640px; height: auto"></p>')


QUERIES: dict[str, dict[str, Any]] = {
    "unanswered": {
        "title": "What to write next: the most frequent unanswered questions",
        "description": "Questions the bot abstained on, most often asked first (last 30 days; "
                       "set days to look further back). Turn the top ones into entries with "
                       "/kb add, then link them with /kb unanswered.",
        "sql": UNANSWERED,
    },
    "not_helpful": {
        "title": "Answers marked \u201cnot helpful\u201d, by entry",
        "description": "Entries people marked Not helpful under an answer, worst first: "
                       "candidates for an edit.",
        "sql": NOT_HELPFUL,
    },
    "questions_per_day": {
        "title": "Questions per day",
        "description_html": "How many questions the bot was asked each day (last 30 days; "
                            "set days to change), and how many it answered."
                            + _img("questions-per-day.png", "Questions per day, last 30 days"),
        "sql": QUESTIONS_PER_DAY,
    },
    "poll_standings": {
        "title": "Polls and their standings",
        "description": "Open polls first, then closed ones, with the number of voters and the "
                       "votes per option (times in UTC). Anonymous polls count the same way: "
                       "nobody's vote is shown here. Filter with status = open or closed.",
        "sql": POLLS,
    },
    "votes_over_time": {
        "title": "Votes over time, per poll",
        "description": "New, changed and retracted votes per hour (times in UTC). Set poll to "
                       "a poll number to see one poll.",
        "sql": VOTES_OVER_TIME,
    },
    "audit": {
        "title": "Audit log",
        "description": "Who changed what in the knowledge base, newest first. Set entry to "
                       "an entry id to see its history.",
        "sql": AUDIT,
    },
    "pending_suggestions": {
        "title": "Suggestions waiting for review",
        "description": "Members' suggestions that no moderator has approved or rejected yet "
                       "(review them with /kb queue).",
        "sql": PENDING_SUGGESTIONS,
    },
}


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata: the site's title, table titles and the canned queries."""
    return {
        "title": "Drive My Car bot: moderators' dashboard",
        "description": "A read-only view of the bot's database. Start with the queries below.",
        "databases": {
            database: {
                "title": "The bot's database",
                "description": "Questions, answers, feedback, polls and the audit log.",
                "tables": {name: {"title": title, "description": text}
                           for name, (title, text) in VISIBLE_TABLES.items()},
                "queries": {name: {**query, "hide_sql": True}
                            for name, query in QUERIES.items()},
            },
        },
    }
