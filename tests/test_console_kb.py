"""The console's `kb` commands, fed by a StringIO stdin as a script would be."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

from bot.answers import ask
from bot.app import App
from bot.audit import audit_log
from bot.console import Console
from bot.curation import get_entry
from bot.moderators import OPERATOR
from tests.curation_support import MEMBER

DOG = (
    "kb add\n"
    "title: Whose dog is in the Saab?\n"
    "questions: whose dog is it at the end | why does misaki have a dog\n"
    "answer: **Nobody says.**\n"
    "  \n"  # two spaces: an empty line inside the answer
    "  - Kōji is gone\n"
    "    - nested\n"
    "  @everyone stays text\n"
    "sources: Review | https://eiga.com/movie/94037/\n"
    "sources: scene: the epilogue\n"
    "tags: ending, dog\n"
    "spoiler: yes\n"
    "related: ending-korea\n"
    "\n"
)


def run(app: App, script: str, *, interactive: bool = False) -> str:
    out = StringIO()
    Console(app, interactive=interactive, stdin=StringIO(script), stdout=out).run()
    return out.getvalue()


def snapshot(app: App) -> dict[str, Any]:
    tables = ("entries", "mod_entries", "audit_log", "suggestions")
    return {t: app.db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


def test_add_from_lines_then_ask(app: App) -> None:
    output = run(app, DOG + "whose dog is it at the end\n")
    assert output.startswith("added whose-dog-is-in-the-saab: Whose dog is in the Saab?\n")
    entry = get_entry(app, "whose-dog-is-in-the-saab")
    assert entry.answer == ("**Nobody says.**\n\n- Kōji is gone\n  - nested\n"
                            "@everyone stays text")
    assert entry.questions == ("whose dog is it at the end", "why does misaki have a dog")
    assert [s.as_dict() for s in entry.sources] == [
        {"title": "Review", "url": "https://eiga.com/movie/94037/"}, {"scene": "the epilogue"}]
    assert entry.tags == ("ending", "dog") and entry.spoiler and entry.related == ("ending-korea",)
    # then answered as terminal text: between spoiler marker lines, without markdown
    # (a line after a list item continues it, as in CommonMark)
    assert ("--- spoiler: the last act ---\nNobody says.\n\n- Kōji is gone\n  - nested\n"
            "    @everyone stays text\n--- end of spoiler ---\n") in output
    assert "entry whose-dog-is-in-the-saab" in output


def test_invalid_add_names_the_field_and_the_session_goes_on(app: App) -> None:
    before = snapshot(app)
    script = DOG.replace("tags: ending, dog", "tags: Not A Tag").replace(
        "https://eiga.com/movie/94037/", "https://eiga.com/movie/94037/\nsources: a | nope")
    output = run(app, script + "kb list\n")
    assert "! sources line 2 ('a | nope') is not a source" in output
    output = run(app, DOG.replace("tags: ending, dog", "tags: bad_tag") + "kb list\n")
    # a message of several lines is one "!" line, the rest indented under it
    assert "! The entry was not saved:\n  - 'tags' item 'bad_tag' must be a lowercase slug" \
        in output
    assert "entries, page 1/1:" in output
    assert snapshot(app) == before


def test_unknown_fields_are_consumed_not_asked(app: App) -> None:
    output = run(app, "kb add\ntitle: x\ncolour: red\nanswer: y\n\nkb queue\n")
    assert "! unknown field(s) colour; the fields are id, title" in output
    assert "(no pending suggestions)" in output
    assert app.db["question_log"].count == 0


def test_a_line_that_is_not_a_field_ends_the_block_and_runs(app: App) -> None:
    output = run(app, DOG.rstrip("\n") + "\nkb show whose-dog-is-in-the-saab\n")
    assert "added whose-dog-is-in-the-saab" in output
    assert "# drive-my-car/entries/whose-dog-is-in-the-saab.yaml (a moderator's version)" \
        in output
    assert "answer: |\n  **Nobody says.**\n\n  - Kōji is gone\n    - nested\n" in output


def test_members_are_refused_every_write(app: App, tmp_path: Path) -> None:
    before = snapshot(app)
    script = ("as bob\n" + DOG + "kb edit no-kiss\nanswer: x\n\nkb remove no-kiss\n"
              "kb approve 1\n\nkb reject 1 spam\nkb link no-kiss do they kiss\n"
              f"kb import {tmp_path}\nkb reload\n")
    out = run(app, script)
    refusals = [line for line in out.splitlines() if line.startswith("! ")]
    assert refusals[0] == "! Only moderators can add entries."
    assert "! Only moderators can edit entries." in refusals
    assert "! Only moderators can remove entries." in refusals
    assert "! Only moderators can link questions to entries." in refusals
    assert "! Only moderators can import entries." in refusals
    assert "! Only moderators can reload the knowledge base." in refusals
    assert "! Only moderators can reject suggestions." in refusals
    assert "! Only moderators can review suggestions." in refusals  # approve reads it first
    assert snapshot(app) == before


def test_edit_remove_show_search_audit(app: App) -> None:
    output = run(app, "kb edit no-kiss\nanswer: No. They embrace.\n  Nothing more.\n\n"
                      "kb edit ending-korea\nrelated:\n\n"
                      "kb remove why-a-driver\n"
                      "kb search kiss\nkb audit\nkb audit no-kiss\nkb list 9\n")
    assert "edited no-kiss" in output and "edited ending-korea" in output
    entry = get_entry(app, "no-kiss")
    assert entry.answer == "No. They embrace.\nNothing more."
    assert entry.title == "Do Kafuku and Misaki kiss in the snow?"
    assert entry.tags == ("misconception", "snow")
    assert get_entry(app, "ending-korea").related == ()
    assert "removed why-a-driver: Why does Kafuku need a driver?" in output
    assert "  no-kiss - Do Kafuku and Misaki kiss in the snow?  [spoiler]  (moderator)" \
        in output
    assert "user 1: remove why-a-driver" in output
    assert "user 1: edit ending-korea (related)" in output
    assert "user 1: edit no-kiss (answer)" in output
    assert "! 9 is past the last page: there is 1 page (10 entries a page)." in output
    assert [r.action for r in audit_log(app, OPERATOR)] == ["remove", "edit", "edit"]


def test_edit_unknown_and_nothing_changed(app: App) -> None:
    output = run(app, "kb edit nope\nkb edit no-kiss\nspoiler: yes\n\nkb show nope\n")
    assert "! No entry has the id 'nope'." in output
    assert "no-kiss: nothing changed" in output
    assert audit_log(app, OPERATOR) == []


def test_suggest_approve_reject_flow(app: App) -> None:
    script = (
        "as bob\n"
        "kb suggest Whose dog is it? | Please explain the dog in the last scene.\n"
        "kb suggest Arrest wording | It was a man he hit. | takatsuki-arrest\n"
        "kb suggest Spam\n"
        "as alice mod\n"
        "kb queue\n"
        "kb approve 1\n"
        "questions: whose dog is it at the end\n"
        "sources: scene: the epilogue\n"
        "tags: dog\n"
        "\n"
        "kb approve 1\n\n"
        "kb reject 2 Already correct in the file.\n"
        "kb reject 2 again\n"
        "kb reject 3\n"
        "kb reject 9 not there\n"
        "kb queue\n"
        "whose dog is it at the end\n"
    )
    output = run(app, script)
    assert "thanks - suggestion #1 is waiting for a moderator" in output
    assert "! usage: kb suggest TITLE | TEXT [| ENTRY-ID to correct]" in output
    assert "#1 [pending] by user" in output and "(correction of takatsuki-arrest)" in output
    assert "approved #1 as whose-dog-is-it (tell user" in output
    assert "! Suggestion #1 was already approved by user " in output
    assert "rejected #2: Already correct in the file." in output
    assert "! Suggestion #2 was already rejected" in output
    assert "! The reason is empty; please write something." in output
    assert "! No suggestion #9 here." in output
    assert "(no pending suggestions)" in output
    entry = get_entry(app, "whose-dog-is-it")
    assert entry.answer == "Please explain the dog in the last scene."
    assert "entry whose-dog-is-it" in output
    assert get_entry(app, "takatsuki-arrest").answer.startswith("Takatsuki is arrested")


def test_unanswered_link_export_reload(app: App, tmp_path: Path) -> None:
    ask(app, "is there a sequel planned", source="test", asker=MEMBER)
    out_dir = tmp_path / "out"
    output = run(app, "kb unanswered\n"
                      "kb link no-kiss is there a sequel planned\n"
                      "kb unanswered 7\n"
                      f"kb export {out_dir}\n"
                      "kb edit no-kiss\nanswer: Still no.\n\n"
                      f"kb export {out_dir}\n"
                      "kb reload\n")
    assert "1x  is there a sequel planned" in output
    assert "linked 1 logged question(s) to no-kiss" in output
    assert "(no unanswered questions)" in output
    assert "nothing to export: no moderator changes" in output
    assert f"wrote {out_dir / 'drive-my-car' / 'entries' / 'no-kiss.yaml'}" in output
    assert "Reloaded the files (1 film" in output and "1 moderator change(s) kept" in output
    assert (out_dir / "drive-my-car/entries/no-kiss.yaml").read_text().count("Still no.") == 1


def test_interactive_add_asks_field_by_field(app: App) -> None:
    script = ("kb add\n"
              "Who feeds the dog?\n"
              "who feeds the dog\nwho looks after the dog\n\n"
              "Misaki, it seems.\n\nShe buys **dog food**.\n.\n"
              "scene: the supermarket\nhttps://eiga.com/movie/94037/\n\n"
              "dog, ending\n"
              "y\n"
              "\n"
              "who feeds the dog\n")
    output = run(app, script, interactive=True)
    assert "you> (Ctrl-C cancels; nothing is saved before the last question)\ntitle: " in output
    assert "questions people ask, one per line" in output
    assert "a line with only '.' ends it" in output
    assert "added who-feeds-the-dog: Who feeds the dog?" in output
    entry = get_entry(app, "who-feeds-the-dog")
    assert entry.answer == "Misaki, it seems.\n\nShe buys **dog food**."
    assert entry.sources[1].title == "eiga.com" and entry.spoiler
    assert "confidence" in output and "entry who-feeds-the-dog" in output


def test_interactive_edit_keeps_what_is_not_retyped(app: App) -> None:
    script = ("kb edit no-kiss\n"
              "\n"          # title kept
              "\n"          # questions kept
              ".\n"         # answer kept
              "\n"          # sources kept
              "kiss, snow\n"
              "\n")         # spoiler kept
    output = run(app, script, interactive=True)
    assert "title [Do Kafuku and Misaki kiss in the snow?]: " in output
    assert "edited no-kiss" in output
    entry = get_entry(app, "no-kiss")
    assert entry.tags == ("kiss", "snow") and entry.spoiler
    assert entry.answer.startswith("No. At the ruins")


def test_kb_help(app: App) -> None:
    output = run(app, "kb\nhelp kb\nkb frobnicate\n")
    assert output.count("kb - curate the knowledge base") == 2
    assert "! 'frobnicate' is not a kb command; 'help kb' lists them." in output
    assert "kb approve ID" in output
