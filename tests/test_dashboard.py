"""The moderators' dashboard: what it shows, what it hides, and that it never writes.

The data is made with the core functions (questions asked, feedback, curation, polls and
votes). Most checks go through Datasette's own client in-process; the last ones start
`python -m bot dashboard` and open every page in headless Chromium, saving screenshots.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from bot import answers, charts, curation, poll_results, polls, suggestions, votes
from bot.app import App
from bot.cli import cli
from bot.dashboard import queries, server
from bot.moderators import OPERATOR, Actor
from bot.store import open_db
from tests.conftest import REPO
from tests.curation_support import MOD, UNANSWERED, dog_data

# voter ids no page may ever show: the anonymous poll's above all, but no ballot at all
ANON_VOTERS = (918273645546372, 918273645546373, 918273645546374)
PUBLIC_VOTERS = (717171717171711, 717171717171712)
HIDDEN = ("ballots", "vote_events", "vocab", "entries_fts", "mod_entries")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGES = ("/", "/bot", "/bot/unanswered", "/bot/not_helpful", "/bot/questions_per_day",
         "/bot/poll_standings", "/bot/votes_over_time", "/bot/audit",
         "/bot/pending_suggestions", "/bot/polls", "/bot/question_log", "/bot/entries",
         "/bot/polls/1")


def _files(path: Path) -> dict[str, str]:
    """Hashes of the database file and its WAL: proof that browsing wrote nothing.

    A reader of a WAL database may create an empty WAL file (and the shared-memory index):
    that holds no data, so only files with content count.
    """
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.glob(path.name + "*"))
            if not p.name.endswith("-shm") and p.stat().st_size}


@pytest.fixture
def busy(app: App) -> Path:
    """A database with questions, feedback, curation, and a public and an anonymous poll."""
    for _ in range(3):
        answers.ask(app, UNANSWERED, source="discord:1/2")
    answers.ask(app, "who wrote the music of the film", source="discord:1/2")
    entry = curation.list_entries(app)[0][0].id
    answers.ask(app, "why is misaki in korea at the end", source="discord:1/2")
    for user, helpful in ((11, False), (12, False), (13, True)):
        answers.record_feedback(app.db, entry, user, helpful)
    curation.add_entry(app, MOD, dog_data())
    curation.edit_entry(app, MOD, "whose-dog-is-in-the-saab-at-the-end",
                        {**dog_data(), "title": "Whose dog rides in the Saab at the end?"})
    suggestions.suggest(app, Actor(555, 1), 2, "The tapes", "Say who recorded the tapes.")
    options = [polls.Option("heal", "Both begin to heal"),
               polls.Option("korea", "ミサキは韓国で新しい生活を始める"),
               polls.Option("open", "결말은 열려 있다")]
    creator = Actor(1, 1, is_moderator=True)
    public = polls.create_poll(app.db, creator, question="How do you read the ending?",
                               options=options)
    secret = polls.create_poll(app.db, creator, question="Which reading moved you most?",
                               options=options, anonymous=True)
    for user, choice in zip(PUBLIC_VOTERS, ("heal", "korea"), strict=True):
        votes.vote(app.db, Actor(user, 1), public.id, [choice])
    for user, choice in zip(ANON_VOTERS, ("korea", "korea", "open"), strict=True):
        votes.vote(app.db, Actor(user, 1), secret.id, [choice])
    votes.vote(app.db, Actor(ANON_VOTERS[2], 1), secret.id, ["heal"])  # a changed vote
    polls.close(app.db, creator, public.id)
    path = app.settings.db_path
    app.close()
    return path


@pytest.fixture
def site(busy: Path) -> Iterator:
    import asyncio

    datasette = server.build(busy)
    asyncio.run(datasette.invoke_startup())
    yield datasette


async def _get(datasette, path: str):
    return await datasette.client.get(path)


def _fetch(datasette, path: str):
    import asyncio

    return asyncio.run(_get(datasette, path))


def _rows(datasette, query: str, **params: str) -> list[dict]:
    args = "&".join(f"{k}={v}" for k, v in params.items())
    response = _fetch(datasette, f"/bot/{query}.json?_shape=objects&{args}")
    assert response.status_code == 200, response.text
    return response.json()["rows"]


class _Text(HTMLParser):
    """What a person sees of a page: its text (title included), not tags or hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style") and self.skip > 0

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _seen(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(parser.parts)


def _no_hidden_table_in(page: str, where: str) -> None:
    text = _seen(page)
    links = " ".join(re.findall(r'(?:href|src|action)="([^"]*)"', page))
    for table in HIDDEN:
        assert table not in text, (where, table)
        assert table not in links, (where, table)


def _no_voter_in(text: str) -> None:
    for voter in (*ANON_VOTERS, *PUBLIC_VOTERS):
        assert str(voter) not in text


def test_every_page_opens_and_shows_no_voter_and_no_hidden_table(site) -> None:
    for path in PAGES:
        response = _fetch(site, path)
        assert response.status_code == 200, path
        _no_voter_in(response.text)
        _no_hidden_table_in(response.text, path)
    for query in queries.QUERIES:
        _no_voter_in(_fetch(site, f"/bot/{query}.json").text)
        _no_voter_in(_fetch(site, f"/bot/{query}.csv").text)


def test_the_database_page_lists_only_visible_tables_and_the_queries(site) -> None:
    page = _fetch(site, "/bot").text
    linked = set(re.findall(r'href="/bot/([a-z_0-9]+)"', page))
    assert linked == set(queries.VISIBLE_TABLES) | set(queries.QUERIES)
    for query in queries.QUERIES.values():
        assert html.escape(query["title"], quote=False) in page


def test_hidden_tables_free_sql_and_the_file_are_refused(site, busy: Path) -> None:
    tables = {name for (name,) in open_db(busy).execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    hidden = tables - set(queries.VISIBLE_TABLES)
    assert {"ballots", "vote_events", "feedback", "vocab", "entries_fts", "meta"} <= hidden
    for table in hidden:
        for suffix in ("", ".json", ".csv"):
            assert _fetch(site, f"/bot/{table}{suffix}").status_code == 403, table
    assert _fetch(site, "/bot/ballots/2,918273645546372.json").status_code == 403
    assert _fetch(site, "/bot.json?sql=select+*+from+ballots").status_code == 403
    assert _fetch(site, "/bot.db").status_code == 403
    where = _fetch(site, "/bot/polls.json?_where=id+in+(select+user_id+from+ballots)")
    assert where.status_code == 403  # a SQL fragment in a table filter is free SQL too
    smuggled = _fetch(site, "/bot/poll_standings.json?sql=select+user_id+from+ballots")
    assert smuggled.status_code == 200 and smuggled.json()["columns"][0] == "poll"
    _no_voter_in(smuggled.text)
    injected = _rows(site, "poll_standings", status="x%27+or+1=1--")
    assert injected == []  # parameters are bound, never pasted into the SQL


def test_standings_match_the_bots_own_tally(site, busy: Path) -> None:
    rows = {row["poll"]: row for row in _rows(site, "poll_standings", status="")}
    db = open_db(busy)
    for poll_id, row in rows.items():
        tally = poll_results.tally(db, OPERATOR, poll_id)
        assert row["voters"] == tally.total_voters
        assert row["standings"].split("\n") == [f"{r.option.label}: {r.count}"
                                                for r in tally.results]
        leaders = [tally.poll.option(o).label for o in tally.leaders]
        assert row["leading"] == " / ".join(leaders)
        assert row["voting"] == ("anonymous" if tally.poll.anonymous else "public")
        chart = _fetch(site, f"/-/dashboard/poll/{poll_id}.png")
        assert chart.headers["content-type"] == "image/png"
        assert chart.content == charts.tally_png(tally)
    assert [r["status"] for r in rows.values()] == ["open", "closed"]  # open polls first
    assert {r["poll"] for r in _rows(site, "poll_standings", status="closed")} == {1}
    assert _fetch(site, "/-/dashboard/poll/99.png").status_code == 404


def test_questions_feedback_votes_and_audit_add_up(site, busy: Path) -> None:
    db = open_db(busy)
    top = _rows(site, "unanswered", days="")[0]
    assert (top["question"], top["times_asked"]) == (UNANSWERED, 3)
    per_day = _rows(site, "questions_per_day", days="")
    logged = db.execute("SELECT count(*), sum(entry_id IS NULL) FROM question_log").fetchone()
    assert sum(r["questions"] for r in per_day) == logged[0]
    assert sum(r["unanswered"] for r in per_day) == logged[1]
    [worst] = _rows(site, "not_helpful")
    assert (worst["not_helpful"], worst["helpful"], worst["percent_not_helpful"]) == (2, 1, 67)
    over_time = _rows(site, "votes_over_time", poll="2")
    assert sum(r["new_votes"] for r in over_time) == len(ANON_VOTERS)
    assert sum(r["changed"] for r in over_time) == 1
    audit = _rows(site, "audit", entry="")
    stored = db.execute("SELECT action, entry_id FROM audit_log ORDER BY id DESC").fetchall()
    assert [(r["action"], r["entry"]) for r in audit] == stored
    assert [r["action"] for r in audit] == ["edit", "add"]
    assert _rows(site, "pending_suggestions")[0]["title"] == "The tapes"
    day = _fetch(site, "/-/dashboard/questions-per-day.png?days=7")
    assert Image.open(io.BytesIO(day.content)).width == charts.WIDTH
    assert _fetch(site, "/-/dashboard/questions-per-day.png?days=abc").status_code == 200


def test_browsing_never_writes_to_the_database(site, busy: Path) -> None:
    before = _files(busy)
    for path in (*PAGES, "/-/dashboard/poll/1.png", "/-/dashboard/questions-per-day.png"):
        _fetch(site, path)
    assert _files(busy) == before


def test_cli_says_in_one_line_what_is_missing(tmp_path: Path, pack: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["dashboard", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "No database at" in result.output
    assert not (tmp_path / "none.db").exists()
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    blocked = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['datasette'] = None\n"
         "from bot.cli import cli; cli(['dashboard', '--db', sys.argv[1]])",
         str(tmp_path / "bot.db")],
        capture_output=True, text=True, cwd=REPO, timeout=60)
    assert blocked.returncode == 1
    assert blocked.stderr.strip().splitlines() == [
        "Error: the dashboard needs Datasette (datasette is missing): "
        'pip install "drive-my-car-bot[dashboard]"']


def test_a_port_in_use_is_one_line(busy: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["dashboard", "--db", str(busy), "--port", str(port)])
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output
    assert server.is_loopback("127.0.0.1") and server.is_loopback("::1")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("example.org")


# --- a real browser ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(busy: Path) -> Iterator[str]:
    """`python -m bot dashboard` on a free port, as a moderator would start it."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "dashboard", "--db", str(busy), "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/-/versions.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the dashboard did not start: {process.stdout.read()}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _chromium(profile: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _screenshots() -> Path:
    """$DMC_SCREENSHOTS, or dmc-dashboard-screenshots in the temporary folder."""
    default = Path(tempfile.gettempdir()) / "dmc-dashboard-screenshots"
    folder = Path(os.environ.get("DMC_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install "
                    "chromium; .ci/run installs it), so the dashboard is not opened in a browser")
def test_every_page_in_headless_chromium(served: str, busy: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    shots = _screenshots()
    with capsys.disabled():
        print(f"\ndashboard screenshots for review: {shots}")
    before = _files(busy)
    must_show = {
        "/": ["moderators' dashboard"],
        "/bot/unanswered": ["What to write next", UNANSWERED],
        "/bot/not_helpful": ["not helpful", "67"],
        "/bot/questions_per_day": ["Questions per day", "questions-per-day.png"],
        "/bot/poll_standings": ["How do you read the ending?", "Which reading moved you most?",
                                "anonymous", "ミサキは韓国で新しい生活を始める: 2",
                                "/-/dashboard/poll/2.png"],
        "/bot/votes_over_time": ["Votes over time", "Which reading moved you most?"],
        "/bot/audit": ["Audit log", "whose-dog-is-in-the-saab-at-the-end", "edit"],
        "/bot/polls": ["How do you read the ending?"],
    }
    for path in PAGES:
        dom = _chromium(tmp_path / "profile", "--dump-dom", served + path)
        assert "</html>" in dom, path
        for text in must_show.get(path, []):
            assert text in html.unescape(dom), (path, text)
        _no_voter_in(dom)
        _no_hidden_table_in(dom, path)
        loads = re.findall(r'<(?:script|img|link|iframe|source)[^>]+(?:src|href)="([^"]+)"', dom)
        outside = [u for u in loads if re.match(r"(https?:)?//", u)
                   and not u.startswith(served)]
        assert outside == [], (path, outside)  # nothing is loaded from the internet
    for name, path in (("standings", "/bot/poll_standings"),
                       ("questions-per-day", "/bot/questions_per_day"),
                       ("home", "/bot")):
        shot = shots / f"{name}.png"
        _chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000",
                  "--virtual-time-budget=10000", served + path)
        image = Image.open(shot).convert("RGB")
        assert image.size == (1280, 2000)
        if name == "standings":  # the chart images were loaded and drawn by the browser
            colours = {c for _, c in image.getcolors(1 << 20)}
            assert charts.LEAD in colours and charts.BAR in colours
    assert _files(busy) == before
