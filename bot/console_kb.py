"""The console's ``kb`` commands: moderator curation in the terminal, as in the server.

``KbCommands`` is a mixin for ``bot.console.Console`` (``class Console(KbCommands,
cmd.Cmd)``); it uses the console's ``app``, ``actor``, ``say``, ``stdin``/``stdout`` and
``interactive``. Domain errors propagate and the console prints
them as ``! message``.
The way entry fields are typed or scripted is described in ``bot.console_forms``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from bot import suggestions
from bot.app import App
from bot.audit import AuditRecord, audit_log
from bot.console_forms import EntryForm
from bot.curation import (
    EntryRow,
    UnansweredQuestion,
    add_entry,
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
from bot.yamlout import dump_entry

KB_HELP = """kb - curate the knowledge base (writes need a moderator):
  kb add                      new entry (fields asked, or read from the next lines)
  kb edit ID                  change an entry (fields not given stay as they are)
  kb remove ID                hide an entry
  kb show ID                  an entry as its YAML file
  kb list [PAGE]              entries, 10 per page
  kb search TEXT              find entries by id, title or words
  kb suggest TITLE | TEXT [| ENTRY-ID]   suggest an entry (or a correction), anyone
  kb queue                    pending suggestions
  kb approve ID               turn a suggestion into an entry (fields as for add)
  kb reject ID REASON         decline a suggestion
  kb unanswered [DAYS]        questions the bot could not answer
  kb link ENTRY-ID QUESTION   mark an unanswered question as answered by an entry
  kb audit [ID]               who changed what
  kb export DIR               write moderator entries as YAML files under DIR
  kb import DIR               add/update entries from DIR/<film>/entries/*.yaml
  kb reload                   re-read the YAML files"""


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
    return "\n".join(f"  {q.count}x  {q.text}  (last {q.last_asked[:10]})"
                     for q in items) or "  (no unanswered questions)"


def format_suggestion(s: Suggestion) -> str:
    about = f" (correction of {s.entry_id})" if s.entry_id and s.is_pending else ""
    text = " ".join(s.text.split())
    head = f"  #{s.id} [{s.status}] by user {s.author_id}{about}: {s.title}"
    return f"{head}\n      {text[:200]}" + ("..." if len(text) > 200 else "")


# ---------------------------------------------------------------- the mixin


class KbCommands(EntryForm):
    """``kb SUBCOMMAND ...`` for the console (entry fields are read by ``EntryForm``)."""

    # provided by bot.console.Console (annotations only: the mixin must not shadow them)
    app: App
    actor: Actor
    say: Callable[[str], None]

    def do_kb(self, arg: str) -> bool:
        """kb SUBCOMMAND - curate the knowledge base; 'kb' alone lists the subcommands."""
        name, _, rest = arg.strip().partition(" ")
        handler = getattr(self, f"_kb_{name}", None) if name.isidentifier() else None
        if handler is None:
            self.say(KB_HELP)
            return False
        handler(rest.strip())
        return False

    def help_kb(self) -> None:
        self.say(KB_HELP)

    def complete_kb(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        names = [n[4:] for n in dir(self) if n.startswith("_kb_")]
        return [n for n in names if n.startswith(text)]

    # ------------------------------------------------------------ entries

    def _kb_add(self, arg: str) -> None:
        data = self._entry_data({}, spoiler=False)
        entry = add_entry(self.app, self.actor, data)
        self.say(f"added {entry.id}: {entry.title}")

    def _kb_edit(self, arg: str) -> None:
        entry = get_entry(self.app, _need(arg, "kb edit ID"))
        data = self._entry_data(form_defaults(entry), spoiler=entry.spoiler, entry_id=entry.id)
        updated = edit_entry(self.app, self.actor, entry.id, data)
        self.say(f"edited {entry.id}" if updated != entry else f"{entry.id}: nothing changed")

    def _kb_remove(self, arg: str) -> None:
        entry = remove_entry(self.app, self.actor, _need(arg, "kb remove ID"))
        self.say(f"removed {entry.id}: {entry.title}")

    def _kb_show(self, arg: str) -> None:
        entry = get_entry(self.app, _need(arg, "kb show ID"))
        moderator = self.app.db.execute(
            "SELECT 1 FROM mod_entries WHERE id = ? AND data IS NOT NULL", [entry.id]
        ).fetchone() is not None
        self.say(format_entry(entry, moderator))

    def _kb_list(self, arg: str) -> None:
        page = _number(arg or "1", "kb list [PAGE]")
        rows, pages = list_entries(self.app, page)
        self.say(format_entry_rows(rows, page, pages))

    def _kb_search(self, arg: str) -> None:
        self.say(format_entry_rows(search_entries(self.app, _need(arg, "kb search TEXT"))))

    # ------------------------------------------------------------ suggestions

    def _kb_suggest(self, arg: str) -> None:
        parts = [p.strip() for p in arg.split("|")]
        if len(parts) < 2 or not all(parts[:2]):
            raise InvalidInput("usage: kb suggest TITLE | TEXT [| ENTRY-ID to correct]")
        entry_id = parts[2] if len(parts) > 2 and parts[2] else None
        s = suggestions.suggest(self.app, self.actor, None, parts[0], parts[1], entry_id)
        self.say(f"thanks - suggestion #{s.id} is waiting for a moderator")

    def _kb_queue(self, arg: str) -> None:
        pending = suggestions.queue(self.app, self.actor)
        self.say("\n".join(map(format_suggestion, pending)) or "  (no pending suggestions)")

    def _kb_approve(self, arg: str) -> None:
        s = suggestions.get_suggestion(self.app, self.actor, _number(arg, "kb approve ID"))
        base = self.app.index.get(s.entry_id) if s.entry_id else None
        data = self._entry_data(suggestions.suggestion_form(self.app, s),
                                spoiler=base.spoiler if base else False,
                                entry_id=base.id if base else None)
        decided, entry = suggestions.approve(self.app, self.actor, s.id, data)
        self.say(f"approved #{decided.id} as {entry.id} "
                 f"(tell user {decided.author_id} in channel {decided.channel_id})")

    def _kb_reject(self, arg: str) -> None:
        number, _, reason = arg.partition(" ")
        decided = suggestions.reject(self.app, self.actor,
                                     _number(number, "kb reject ID REASON"), reason)
        self.say(f"rejected #{decided.id}: {decided.reason}")

    # ------------------------------------------------------------ questions, audit, files

    def _kb_unanswered(self, arg: str) -> None:
        days = _number(arg or "30", "kb unanswered [DAYS]")
        self.say(format_unanswered(unanswered_questions(self.app, self.actor, days=days)))

    def _kb_link(self, arg: str) -> None:
        entry_id, _, question = arg.partition(" ")
        if not question.strip():
            raise InvalidInput("usage: kb link ENTRY-ID QUESTION")
        count = link_question(self.app, self.actor, question, entry_id)
        self.say(f"linked {count} logged question(s) to {entry_id}")

    def _kb_audit(self, arg: str) -> None:
        self.say(format_audit(audit_log(self.app, self.actor, arg or None)))

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
        self.say(reload_knowledge(self.app, self.actor))


def _need(arg: str, usage: str) -> str:
    if not arg.strip():
        raise InvalidInput(f"usage: {usage}")
    return arg.strip()


def _number(arg: str, usage: str) -> int:
    value = arg.strip().lstrip("#")
    if not value.isdigit():
        raise InvalidInput(f"usage: {usage}")
    return int(value)
