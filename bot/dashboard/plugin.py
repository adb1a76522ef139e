"""The dashboard's Datasette plugin: who may see what, and chart images drawn locally.

- Permissions: only ``queries.VISIBLE_TABLES`` can be opened; arbitrary SQL and downloading
  the database file are refused for everyone, so hidden tables (ballots, vote events, raw
  feedback, the FTS index, the vocabulary) can't be reached by a URL or a query either.
- Charts: ``/-/dashboard/poll/<id>.png`` (a poll's standings, through the same
  ``poll_results.tally`` and ``charts.tally_png`` as the bot) and
  ``/-/dashboard/questions-per-day.png``, served by this process: a page loads nothing from
  the internet.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response, asgi_send_file
from markupsafe import Markup, escape
from sqlite_utils import Database

from bot import chart_fonts, charts, poll_results
from bot.dashboard import queries
from bot.errors import PollNotFound
from bot.moderators import OPERATOR

REFUSED = {"execute-sql", "view-database-download"}
CACHE = {"cache-control": "public, max-age=604800"}  # the font: 16 MB, fetched once
CJK_RANGES = ("U+1100-11FF, U+2E80-9FFF, U+A960-A97F, U+AC00-D7FF, U+F900-FAFF, U+FE30-FE4F,"
              " U+FF00-FFEF, U+20000-2FFFF")
MAX_DAYS = charts.MAX_BARS  # one bar per day


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str, resource: Any) -> bool | None:
    """Refuse hidden tables, free SQL and the file download; leave the rest to Datasette."""
    if action in REFUSED:
        return False
    if action in ("view-table", "view-row") and isinstance(resource, tuple):
        return None if resource[1] in queries.VISIBLE_TABLES else False
    return None


@hookimpl
def extra_template_vars(view_name: str) -> dict[str, Any]:
    """A row page links to the tables that point at it; hidden ones must not be named."""
    return {"foreign_key_tables": []} if view_name == "row" else {}


@hookimpl
def render_cell(value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """The ``chart`` column of the polls query shows the poll's bar chart."""
    if table is None and column == "chart" and isinstance(value, int):
        url = escape(datasette.urls.path(f"{queries.CHARTS}/poll/{value}.png"))
        return Markup(f'<img src="{url}" alt="Chart of poll #{value}" loading="lazy" '
                      'style="width: 420px; height: auto">')
    return None


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^{queries.CHARTS}/poll/(?P<poll_id>[0-9]{{1,18}})\.png$", poll_chart),
        (rf"^{queries.CHARTS}/questions-per-day\.png$", questions_chart),
        (rf"^{queries.CHARTS}/dashboard\.css$", stylesheet),
        (rf"^{queries.CHARTS}/cjk\.otf$", cjk_font),
    ]


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path(f"{queries.CHARTS}/dashboard.css")]


async def stylesheet(datasette: Any) -> Response:
    """Japanese and Korean text in tables drawn with the bundled Noto Sans CJK font.

    Browsers fetch it only for pages that hold such characters (``unicode-range``), from this
    server, so a moderator without CJK fonts sees the text and nothing comes from outside.
    """
    font = datasette.urls.path(f"{queries.CHARTS}/cjk.otf")
    css = ("@font-face { font-family: 'Noto Sans CJK (bot)'; font-display: block;"
           f" src: url('{font}') format('opentype'); unicode-range: {CJK_RANGES}; }}\n"
           "body, td, th, input, textarea, pre { font-family: 'Noto Sans CJK (bot)',"
           " 'Helvetica Neue', sans-serif; }\n"
           "td.col-standings { white-space: pre; font-size: 0.9em; }\n"
           "td.col-opened, td.col-closed, td.col-deadline, td.col-at { white-space: nowrap; }\n")
    return Response(css, content_type="text/css; charset=utf-8",
                    headers={"cache-control": "no-cache"})


async def cjk_font(send: Any) -> Response | None:
    path = chart_fonts.primary_font_path()
    if path is None:
        return Response.text("The CJK font is not installed.", status=404)
    await asgi_send_file(send, path, content_type="font/otf", chunk_size=1 << 20,
                         headers=dict(CACHE))
    return None


async def poll_chart(request: Any, datasette: Any) -> Response:
    """One poll's standings as a PNG; 404 for a poll that doesn't exist."""
    poll_id = int(request.url_vars["poll_id"])
    try:
        tally = await _database(datasette).execute_fn(
            lambda conn: poll_results.tally(Database(conn), OPERATOR, poll_id))
    except PollNotFound:
        return Response.text(f"No poll #{poll_id}.", status=404)
    return _png(await asyncio.to_thread(charts.tally_png, tally))


async def questions_chart(request: Any, datasette: Any) -> Response:
    """Questions per day over the last ``days`` days (30 by default), zero days included."""
    try:
        days = min(MAX_DAYS, max(1, int(request.args.get("days") or queries.DEFAULT_DAYS)))
    except ValueError:
        days = queries.DEFAULT_DAYS
    today = datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)

    def counts(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
        rows = conn.execute(
            "SELECT substr(asked_at, 1, 10), count(*), sum(entry_id IS NULL) "
            "FROM question_log WHERE asked_at >= ? GROUP BY 1", [first.isoformat()])
        return {day: (asked, unanswered) for day, asked, unanswered in rows}

    found = await _database(datasette).execute_fn(counts)
    bars = []
    for n in range(days):
        day = first + timedelta(days=n)
        asked, unanswered = found.get(day.isoformat(), (0, 0))
        figure = f"{asked:,}" + (f" ({unanswered:,} ?)" if unanswered else "")
        bars.append(charts.Bar(_day_label(day), float(asked), figure))
    title = f"Questions per day, last {days} days"
    footer = "(n ?) = how many of them the bot could not answer. Days in UTC."
    data = await asyncio.to_thread(charts.bar_chart_png, title, bars, footer=footer)
    return _png(data)


def _day_label(day: date) -> str:
    return f"{day:%a %d %b}"


def _database(datasette: Any) -> Any:
    """The bot's database: the only one the dashboard serves."""
    return datasette.get_database()


def _png(data: bytes) -> Response:
    return Response(data, content_type="image/png",
                    headers={"cache-control": "no-store"})
