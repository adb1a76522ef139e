"""The console's ``kb`` commands: moderator curation in the terminal, as in the server.

``KbCommands`` is a mixin for ``bot.console.Console`` (``class Console(KbCommands,
cmd.Cmd)``); it uses the console's ``app``, ``actor``, ``say``, ``stdin``/``stdout`` and
``interactive``. Domain errors propagate and the console prints them as ``! message``.
Rights are checked before a form asks anything (``curation.check_curator``); the way entry
fields are typed or scripted is described in ``bot.console_forms``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from bot import suggestions
from bot.app import App
from bot.audit import AuditRecord, audit_log
from bot.console_args import count, no_arguments, row_id, shown
from bot.console_forms import EntryForm, Prepared
from bot.curation import (
    EntryRow,
    UnansweredQuestion,
    add_entry,
    check_curator,
    edit_entry,
    get_entry,
    link_question,
    list_entries,
    remove_entry,
    search_entries,
    unanswered_questions,
)
from bot.errors import InvalidInput
from bot.exchange import export_entries, import_entries, reload_knowledge
from bot.forms import form_defaults
from bot.knowledge import Entry
from bot.moderators import Actor
from bot.suggestions import Suggestion
from bot.text import terminal_safe
from bot.yamlout import dump_entry

PER_PAGE = 10

KB_HELP = """kb - curate the knowledge base (writes need a moderator):
  kb add                      new entry (fields asked, or read from the next lines)
  kb edit ID                  change an entry (fields not given stay as they are)
  kb remove ID                hide an entry
  kb show ID                  an entry as its YAML file
  kb list [PAGE]              entries, 10 a page
  kb search TEXT              find entries by id, title or words
  kb suggest TITLE | TEXT [| ENTRY-ID]   suggest an entry (or a correction), anyone
  kb queue                    pending suggestions
  kb approve ID               turn a suggestion into an entry (fields as for add)
  kb reject ID REASON         decline a suggestion
  kb unanswered [DAYS]        questions the bot could not answer (last 30 days)
  kb link ENTRY-ID QUESTION   mark an unanswered question as answered by an entry
  kb audit [ID]               who changed what
  kb export DIR               write moderator entries as YAML files under DIR
  kb import DIR               add/update entries from DIR/<film>/entries/*.yaml
  kb reload                   re-read the YAML files
At a terminal, kb add / edit / approve ask for each field (Ctrl-C cancels); in a script the
fields follow as 'field: value' lines up to an empty line ('help fields')."""


# ---------------------------------------------------------------- text rendering (CLI too)


def format_entry(entry: Entry, moderator: bool = False) -> str:
    where = "a moderator's version" if moderator else "from the knowledge files"
    return f"# {entry.film}/entries/{entry.id}.yaml ({where})\n{dump_entry(entry).rstrip()}"


def format_entry_rows(rows: Iterable[EntryRow], page: int | None = None,
                      pages: int | None = None) -> str:
    lines = [f"  {r.id} - {r.title}" + ("  [spoiler]" if r.spoiler else "")
             + ("  (moderator)" if r.moderator else "") for r in rows]
    if not lines:
        lines = ["  (no entries)"]
    if page is not None:
        lines.insert(0, f"entries, page {page}/{pages}:")
    return "\n".join(lines)


def format_audit(records: Iterable[AuditRecord]) -> str:
    lines = []
    for r in records:
        changed = r.changed_fields() if r.action in ("edit", "import") and r.before else []
        detail = f" ({', '.join(changed)})" if changed else ""
        if r.action == "link" and r.after:
            detail = f" ({r.after.get('question')!r})"
        if r.action == "reject" and r.after:
            detail = f" (#{r.after.get('id')}: {r.after.get('reason')})"
        if r.action == "approve" and r.after:
            detail = f" (#{r.after.get('id')})"
        lines.append(f"  #{r.id} {r.at[:19].replace('T', ' ')} user {r.actor_id}: "
                     f"{r.action} {r.entry_id or '-'}{detail}")
    return "\n".join(lines) or "  (no changes recorded)"


def format_unanswered(items: Iterable[UnansweredQuestion]) -> str:
    # people typed these questions: whatever they typed must not drive the terminal
    return terminal_safe("\n".join(f"  {q.count}x  {q.text}  (last {q.last_asked[:10]})"
                                    for q in items)) or "  (no unanswered questions)"


def format_suggestion(s: Suggestion) -> str:
    about = f" (correction of {s.entry_id})" if s.entry_id and s.is_pending else ""
    text = " ".join(s.text.split())
    head = f"  #{s.id} [{s.status}] by user {s.author_id}{about}: {s.title}"
    return terminal_safe(f"{head}\n      {text[:200]}" + ("..." if len(text) > 200 else ""))


# ---------------------------------------------------------------- the mixin


class KbCommands(EntryForm):
    """``kb SUBCOMMAND ...`` for the console (entry fields are read by ``EntryForm``)."""

    # provided by bot.console.Console (annotations only: the mixin must not shadow them)
    app: App
    actor: Actor
    say: Callable[[str], None]

    def do_kb(self, arg: str) -> bool:
        """kb SUBCOMMAND - curate the knowledge base; 'help kb' lists the subcommands."""
        name, _, rest = arg.strip().partition(" ")
        if not name:
            self.say(KB_HELP)
            return False
        handler = getattr(self, f"_kb_{name}", None) if name.isidentifier() else None
        if handler is None:
            raise InvalidInput(f"{shown(name)} is not a kb command; 'help kb' lists them.")
        handler(rest.strip())
        return False

    def help_kb(self) -> None:
        self.say(KB_HELP)

    def complete_kb(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        names = [n[4:] for n in dir(self) if n.startswith("_kb_")]
        return [n for n in names if n.startswith(text)]

    # ------------------------------------------------------------ entries

    def _kb_add(self, arg: str) -> None:
        no_arguments(arg, "kb add (the fields come after it)")

        def prepare() -> Prepared:
            check_curator(self.app, self.actor, "add entries")
            return {}, False, None

        entry = add_entry(self.app, self.actor, self._entry_data(prepare))
        self.say(f"added {entry.id}: {entry.title}")

    def _kb_edit(self, arg: str) -> None:
        entry_id = _one(arg, "kb edit ID")
        found: list[Entry] = []

        def prepare() -> Prepared:
            check_curator(self.app, self.actor, "edit entries")
            found.append(get_entry(self.app, entry_id))
            return form_defaults(found[0]), found[0].spoiler, found[0].id

        data = self._entry_data(prepare)
        entry = found[0]
        updated = edit_entry(self.app, self.actor, entry.id, data)
        self.say(f"edited {entry.id}" if updated != entry else f"{entry.id}: nothing changed")

    def _kb_remove(self, arg: str) -> None:
        entry_id = _one(arg, "kb remove ID")
        check_curator(self.app, self.actor, "remove entries")
        entry = get_entry(self.app, entry_id)
        if not self._confirm(f"Remove {entry.id} ({entry.title})? The bot stops answering "
                             "with it at once."):
            self.say("Kept; nothing was removed.")
            return
        entry = remove_entry(self.app, self.actor, entry.id)
        self.say(f"removed {entry.id}: {entry.title}")

    def _kb_show(self, arg: str) -> None:
        entry = get_entry(self.app, _one(arg, "kb show ID"))
        moderator = self.app.db.execute(
            "SELECT 1 FROM mod_entries WHERE id = ? AND data IS NOT NULL", [entry.id]
        ).fetchone() is not None
        self.say(format_entry(entry, moderator))

    def _kb_list(self, arg: str) -> None:
        page = count(arg, "The page", high=10**9) if arg else 1
        rows, pages = list_entries(self.app, page, PER_PAGE)
        if page > pages:
            there = "there is 1 page" if pages == 1 else f"there are {pages} pages"
            raise InvalidInput(f"{page} is past the last page: {there} "
                               f"({PER_PAGE} entries a page).")
        self.say(format_entry_rows(rows, page, pages))

    def _kb_search(self, arg: str) -> None:
        self.say(format_entry_rows(search_entries(self.app, _need(arg, "kb search TEXT"))))

    # ------------------------------------------------------------ suggestions

    def _kb_suggest(self, arg: str) -> None:
        parts = [p.strip() for p in arg.split("|")]
        if len(parts) < 2 or not all(parts[:2]) or len(parts) > 3:
            raise InvalidInput("usage: kb suggest TITLE | TEXT [| ENTRY-ID to correct]")
        entry_id = parts[2] if len(parts) > 2 and parts[2] else None
        s = suggestions.suggest(self.app, self.actor, None, parts[0], parts[1], entry_id)
        self.say(f"thanks - suggestion #{s.id} is waiting for a moderator")

    def _kb_queue(self, arg: str) -> None:
        no_arguments(arg, "kb queue")
        pending = suggestions.queue(self.app, self.actor)
        self.say("\n".join(map(format_suggestion, pending)) or "  (no pending suggestions)")

    def _kb_approve(self, arg: str) -> None:
        number = row_id(_one(arg, "kb approve ID"), "suggestion")

        def prepare() -> Prepared:
            s = suggestions.get_suggestion(self.app, self.actor, number)
            if not s.is_pending:  # say so before the form, not after it
                who = f" by user {s.reviewer_id}" if s.reviewer_id is not None else ""
                raise InvalidInput(f"Suggestion #{s.id} was already {s.status}{who}.")
            check_curator(self.app, self.actor, "approve suggestions")
            base = self.app.index.get(s.entry_id) if s.entry_id else None
            return (suggestions.suggestion_form(self.app, s),
                    base.spoiler if base else False, base.id if base else None)

        decided, entry = suggestions.approve(self.app, self.actor, number,
                                             self._entry_data(prepare))
        self.say(f"approved #{decided.id} as {entry.id} "
                 f"(tell user {decided.author_id} in channel {decided.channel_id})")

    def _kb_reject(self, arg: str) -> None:
        number, _, reason = arg.partition(" ")
        if not number:
            raise InvalidInput("usage: kb reject ID REASON")
        decided = suggestions.reject(self.app, self.actor, row_id(number, "suggestion"),
                                     reason)
        self.say(f"rejected #{decided.id}: {decided.reason}")

    # ------------------------------------------------------------ questions, audit, files

    def _kb_unanswered(self, arg: str) -> None:
        days = count(arg, "DAYS", high=36500) if arg else 30
        self.say(format_unanswered(unanswered_questions(self.app, self.actor, days=days)))

    def _kb_link(self, arg: str) -> None:
        entry_id, _, question = arg.partition(" ")
        if not question.strip():
            raise InvalidInput("usage: kb link ENTRY-ID QUESTION")
        count_linked = link_question(self.app, self.actor, question, entry_id)
        self.say(f"linked {count_linked} logged question(s) to {entry_id}")

    def _kb_audit(self, arg: str) -> None:
        entry_id = _one(arg, "kb audit [ID]") if arg else None
        self.say(format_audit(audit_log(self.app, self.actor, entry_id)))

    def _kb_export(self, arg: str) -> None:
        result = export_entries(self.app, self.actor, Path(_need(arg, "kb export DIR")))
        lines = [f"{'wrote' if f.path in result.written else f.status} {f.path}"
                 + (f": {f.note}" if f.note else "") for f in result.files]
        lines += [f"to delete: {p}" for p in result.to_delete]
        self.say("\n".join(lines) or "nothing to export: no moderator changes")

    def _kb_import(self, arg: str) -> None:
        results = import_entries(self.app, self.actor, Path(_need(arg, "kb import DIR")))
        self.say("\n".join(results))

    def _kb_reload(self, arg: str) -> None:
        no_arguments(arg, "kb reload")
        self.say(reload_knowledge(self.app, self.actor))


def _need(arg: str, usage: str) -> str:
    if not arg.strip():
        raise InvalidInput(f"usage: {usage}")
    return arg.strip()


def _one(arg: str, usage: str) -> str:
    """The one word a command takes (an entry id): more words are an error, not ignored."""
    words = arg.split()
    if len(words) != 1:
        raise InvalidInput(f"usage: {usage}" + (f" (one word, got {len(words)})" if words
                                                 else ""))
    return words[0]
