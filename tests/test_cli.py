"""The CLI through its public surface: click's runner and real subprocesses."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.bundled import default_eval_set
from bot.cli import cli
from tests.conftest import REPO

# Floors for the shipped dev sets, just under what the bot reaches (see CHANGELOG / README).
# Since the confidence model is fitted on the pack's held-out phrasings and written negatives
# instead of on these sets (issue 10, second round), they are out-of-sample figures, and
# lower than the in-sample ones they replace (0.87 and 0.69).
RECALL_FLOOR = 0.80
ABSTENTION_FLOOR = 0.70
# Two of the three "wrong" answers at >= 90% are abstain items whose labels predate the
# fact sheet: the entry answers honestly that the film leaves it open (whether she goes
# back), or the sheet now rates it medium (why the car changed). The third is a real miss:
# a song over the credits reaches the credits entry.
WRONG_AT_90_CEILING = 3
# The older id-based set: the entry id must match exactly (was 0.9 with the in-sample model)
LEGACY_RECALL_FLOOR = "0.84"
# The held-out test split, scored once when tuning was frozen (2026-11-29, after issue 10's
# second round): recall@1 74.7% of 83, abstention 50.0% of 22, 3 wrong at >= 90%. It is the
# measure the README reports; these floors only stop a regression. Tuning on it is never done.
TEST_SPLIT = "heldout-test.yaml"
TEST_RECALL_FLOOR, TEST_ABSTENTION_FLOOR, TEST_WRONG_AT_90_CEILING = 0.73, 0.49, 3


@pytest.fixture
def run(tmp_path: Path, pack: Path):
    """Invoke the CLI against the small pack and a fresh database."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(
            cli, [*args[:1], "--db", str(tmp_path / "cli.db"), "--knowledge", str(pack), *args[1:]],
            input=input, catch_exceptions=False,
        )

    return invoke


def test_ask_json(run) -> None:
    result = run("ask", "--json", "why is misaki in korea?")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["answered"] is True
    assert data["entry_id"] == "ending-korea"
    assert data["title"].startswith("Why is Misaki")
    assert data["sources"] and data["score"] > 0.6
    assert isinstance(data["alternatives"], list)


def test_ask_prints_spoilers_hidden_by_default(run) -> None:
    hidden = run("ask", "why is misaki in korea").output
    shown = run("ask", "--spoilers", "why is misaki in korea").output
    # terminal text: marker lines around the hidden answer, no Discord markup
    assert "--- spoiler: the last act ---\nThe epilogue jumps" in hidden
    assert "--- end of spoiler ---\n\nSources:" in hidden
    assert "spoiler: the last act ---" not in shown and "The epilogue jumps" in shown
    assert "||" not in hidden + shown and "**" not in hidden + shown


def test_ask_abstains_plainly(run) -> None:
    result = run("ask", "--json", "how do i bake sourdough bread")
    data = json.loads(result.output)
    assert data["answered"] is False and data["entry_id"] is None and data["answer"] is None
    assert data["outcome"] == "abstain" and data["suggested"] is None
    text = run("ask", "how do i bake sourdough bread").output
    assert "don't have a curated answer" in text


def test_ask_offers_a_closest_match_when_unsure(run) -> None:
    """A question that names what an entry mentions only in passing gets that entry as a
    closest match: not an answer, but one step away."""
    data = json.loads(run("ask", "--json", "why the masks in the supermarket").output)
    assert data["outcome"] == "closest" and data["answered"] is False
    assert data["entry_id"] is None and data["answer"] is None
    assert data["suggested"]["id"] == "ending-korea"
    assert 0 < data["score"] < 0.5
    text = run("ask", "why the masks in the supermarket").output
    assert "I'm not sure" in text and "'cli kb show ending-korea' shows it" in text


def test_ask_json_answers_two_questions_in_one(run) -> None:
    data = json.loads(run("ask", "--json",
                          "why can't kafuku drive himself? and was takatsuki arrested?").output)
    assert data["outcome"] == "answer"
    assert [p["entry_id"] for p in data["parts"]] == ["why-a-driver", "takatsuki-arrest"]
    assert data["entry_id"] == "why-a-driver"


def test_ask_greeting_is_small_talk(run) -> None:
    data = json.loads(run("ask", "--json", "hello there!").output)
    assert data["outcome"] == "smalltalk" and not data["answered"]
    assert "knowledge base" in data["reply"] and 1 <= len(data["examples"]) <= 2
    assert "/about" in run("ask", "thanks a lot").output


def test_ask_batch_from_file_and_stdin(run, tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text("why is misaki in korea\n\ndo they kiss\n  \nbake bread\n",
                         encoding="utf-8")
    lines = run("ask", "--batch", str(questions)).output.splitlines()
    answers = [json.loads(line) for line in lines]
    # one JSON line per input line, blank lines included, so line N answers line N
    assert [a["question"] for a in answers] == ["why is misaki in korea", "", "do they kiss",
                                                "  ", "bake bread"]
    assert [a["entry_id"] for a in answers] == ["ending-korea", None, "no-kiss", None, None]
    piped = run("ask", "--batch", "-", input="why does he need a driver\r\n\n").output
    assert [json.loads(line)["entry_id"] for line in piped.splitlines()] == ["why-a-driver", None]
    logged = [r[0] for r in sqlite3.connect(tmp_path / "cli.db").execute(
        "SELECT text FROM question_log ORDER BY id")]
    assert logged == ["why is misaki in korea", "do they kiss", "bake bread",
                      "why does he need a driver"]  # blank lines are not questions


def test_ask_batch_goes_on_past_bytes_that_are_not_utf8(run, tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_bytes(b"caf\xe9 talk\ndo they kiss\n")
    result = run("ask", "--batch", str(questions))
    assert result.exit_code == 0
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert answers[0]["question"] == "caf\ufffd talk"
    assert answers[1]["entry_id"] == "no-kiss"


def test_ask_without_question_is_a_usage_error(run) -> None:
    result = run("ask")
    assert result.exit_code == 2
    assert "give a QUESTION" in result.output


def test_kb_check_exit_codes(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(pack.parent)
    runner = CliRunner()
    ok = runner.invoke(cli, ["kb", "check", "knowledge"])
    assert ok.exit_code == 0
    assert ok.output.strip() == "ok: knowledge: 1 film, 5 entries, 2 interpretations"
    (pack / "drive-my-car" / "entries" / "no-kiss.yaml").write_text("id: no-kiss\nbogus: 1\n")
    bad = runner.invoke(cli, ["kb", "check", str(pack)])
    assert bad.exit_code == 1
    assert "knowledge/drive-my-car/entries/no-kiss.yaml:2: unknown key 'bogus'" in bad.output
    assert "knowledge/drive-my-car/entries/no-kiss.yaml:1: 'title' is missing" in bad.output


def test_broken_knowledge_stops_ask_with_the_problem_list(run, pack: Path) -> None:
    (pack / "drive-my-car" / "entries" / "no-kiss.yaml").write_text("id: [\n")
    result = run("ask", "why")
    assert result.exit_code == 1
    assert "no-kiss.yaml:2: invalid YAML" in result.output


def test_eval_reports_and_gates(run, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {q: why is misaky in korea, expect: ending-korea}\n"
        "- {q: takatski got arrested why, expect: takatsuki-arrest}\n"
        "- {q: best pizza in naples, expect: abstain}\n"
        "- {q: do they kiss, expect: why-a-driver}\n",  # deliberately wrong expectation
        encoding="utf-8",
    )
    result = run("eval", str(cases), "--json")
    data = json.loads(result.output)
    assert data["recall_at_1"] == pytest.approx(2 / 3, abs=1e-3)
    assert data["abstention"] == 1.0
    assert len(data["misses"]) == 1 and "do they kiss" in data["misses"][0]
    gated = run("eval", str(cases), "--min-recall", "0.9")
    assert gated.exit_code == 1
    assert "recall@1 in scope: 66.7%" in gated.output


def test_eval_scores_keyword_sets_per_kind(run, tmp_path: Path) -> None:
    """The chat schema: keyword groups must all be in the answer; a closest match or an
    abstention is never counted as an answer; small talk is its own outcome."""
    cases = tmp_path / "chat.yaml"
    cases.write_text(
        "- {q: 'why cant yusuke drive himself', kind: chat, expect: [[festival], [rule]]}\n"
        "- {q: 'why cant yusuke drive himself', kind: typo, expect: [[festival], [glaucoma]]}\n"
        "- {q: 'why the masks in the supermarket', kind: plain, expect: [[korea]]}\n"
        "- {q: 'hi there', kind: meta, meta: true, abstain: true}\n"
        "- {q: 'best pizza in naples', kind: far, abstain: true}\n",
        encoding="utf-8",
    )
    data = json.loads(run("eval", str(cases), "--json").output)
    kinds = data["kinds"]
    assert kinds["chat"]["right"] == 1 and kinds["typo"]["wrong"] == 1
    assert kinds["plain"]["right"] == 0 and kinds["plain"]["closest"] == 1
    assert kinds["plain"]["closest_right"] == 1
    assert kinds["meta"]["smalltalk"] == 1 and kinds["far"]["declined"] == 1
    assert data["recall_at_1"] == pytest.approx(1 / 3, abs=1e-3)
    assert sum(b["n"] for b in data["reliability"]) == 4  # small talk has no confidence
    text = run("eval", str(cases)).output
    assert "reliability" in text and "[typo]" in text


def test_eval_rejects_a_malformed_set_in_one_line(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {q: hello, expect: [1, 2]}\n", encoding="utf-8")
    result = run("eval", str(bad))
    assert result.exit_code == 1
    assert "item 1" in result.output and "Traceback" not in result.output


def _subprocess(*args: str, input: str = "", env: dict | None = None,
                cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=input, capture_output=True, text=True,
        timeout=60, cwd=cwd, env={**os.environ, **(env or {})},
    )


def test_console_is_scriptable(tmp_path: Path, pack: Path) -> None:
    result = _subprocess("console", "--db", str(tmp_path / "c.db"), "--knowledge", str(pack),
                         input="why is misaki in korea\nhelp\nspoilers on\ndo they kiss\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Why is Misaki in South Korea at the end?" in out
    assert "Type a question to ask it, or a command" in out
    assert "No. At the ruins" in out and "||No. At the ruins" not in out
    assert "Traceback" not in result.stderr


def test_run_without_token_is_one_clear_line(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "", "BOT_DB": str(tmp_path / "r.db")}
    result = _subprocess("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: no Discord token: set DISCORD_TOKEN (in the environment or .env) or pass --token"]


def test_shipped_pack_meets_the_quality_bars(tmp_path: Path) -> None:
    """The bundled pack on the shipped dev sets (the default of `eval`, which must work from
    any folder), and the older id-based set on its own. The floors sit just under the reached
    figures, so a regression fails here."""
    result = _subprocess("eval", "--db", str(tmp_path / "eval.db"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert "chat-dev.yaml" in data["sets"] and "heldout-dev.yaml" in data["sets"]
    assert not any(name.endswith("-test.yaml") for name in data["sets"])
    assert data["recall_at_1"] >= RECALL_FLOOR, data["recall_at_1"]
    assert data["abstention"] >= ABSTENTION_FLOOR, data["abstention"]
    assert data["wrong_at_90"] <= WRONG_AT_90_CEILING
    assert data["kinds"]["meta"]["smalltalk"] >= 12
    legacy = _subprocess("eval", str(default_eval_set()), "--db", str(tmp_path / "eval.db"),
                         "--min-recall", LEGACY_RECALL_FLOOR, cwd=tmp_path)
    assert legacy.returncode == 0, legacy.stdout + legacy.stderr
    questions = yaml.safe_load(default_eval_set().read_text(encoding="utf-8"))
    assert len(questions) >= 60
    assert sum(q["expect"] == "abstain" for q in questions) >= 12


def test_the_held_out_test_split_does_not_regress(tmp_path: Path) -> None:
    """The test split was scored once, when tuning was frozen; this keeps it from getting worse
    (it is only ever run here, never looked at to tune)."""
    split = default_eval_set().parent / TEST_SPLIT
    result = _subprocess("eval", str(split), "--db", str(tmp_path / "eval.db"), "--json",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["recall_at_1"] >= TEST_RECALL_FLOOR, data["recall_at_1"]
    assert data["abstention"] >= TEST_ABSTENTION_FLOOR, data["abstention"]
    assert data["wrong_at_90"] <= TEST_WRONG_AT_90_CEILING
