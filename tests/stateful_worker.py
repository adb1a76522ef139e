"""A second bot process for the stateful test, driven over stdin/stdout with JSON lines.

``python -m tests.stateful_worker DB KNOWLEDGE`` opens its own App on the same database
and answers each command line with one JSON line: ``{"ok": true}`` once the change is
committed (acknowledged), or ``{"ok": false, "error": "..."}`` for a domain error.
Anything else is a crash, with its traceback on stderr: the test fails.

Commands: edit, remove, add, import, reload, restart; ``storm`` (N reloads in a row, one
reply at the end) and ``batch`` (several commands, one reply listing each result) let the
test run them while its own process is busy with something else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.app import App, open_app
from bot.config import Settings
from bot.curation import add_entry, edit_entry, remove_entry
from bot.errors import BotError
from bot.exchange import import_entries, reload_knowledge
from bot.moderators import Actor

MOD = Actor(user_id=42, guild_id=111, is_moderator=True)


def new_entry(entry_id: str, title: str) -> dict[str, Any]:
    """The data of an entry that only moderators have (no file)."""
    return {"id": entry_id, "title": title, "questions": [f"what about {entry_id}"],
            "answer": "An answer.", "sources": [{"scene": "the epilogue"}], "tags": ["test"],
            "spoiler": False}


def run(app: App, command: dict[str, Any]) -> dict[str, Any]:
    """One command on ``app``; the reply as it would be sent."""
    op = command["op"]
    try:
        if op == "edit":
            edit_entry(app, MOD, command["id"], {"title": command["title"]})
        elif op == "remove":
            remove_entry(app, MOD, command["id"])
        elif op == "add":
            add_entry(app, MOD, new_entry(command["id"], command["title"]))
        elif op == "import":
            import_entries(app, MOD, Path(command["dir"]))
        elif op == "reload":
            reload_knowledge(app, MOD)
        else:
            raise ValueError(f"unknown command {op!r}")
    except BotError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True}


def main(db: str, knowledge: str) -> None:
    settings = Settings(db_path=Path(db), knowledge_path=Path(knowledge))
    app = open_app(settings)
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "restart":
            app.close()
            app = open_app(settings)
            reply: dict[str, Any] = {"ok": True}
        elif command["op"] == "storm":
            results = [run(app, {"op": "reload"}) for _ in range(command["n"])]
            reply = {"ok": all(r["ok"] for r in results), "results": results}
        elif command["op"] == "batch":
            reply = {"ok": True, "results": [run(app, c) for c in command["ops"]]}
        else:
            reply = run(app, command)
        print(json.dumps(reply), flush=True)
    app.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
