"""Domain errors. Each carries a message fit to show a user as is.

Adapters only choose the medium: an ephemeral Discord reply, a ``ClickException``
or a console line.
"""

from __future__ import annotations

from collections.abc import Sequence


class BotError(Exception):
    """Base class: ``str(error)`` is the user-facing message."""


class KnowledgeError(BotError):
    """The knowledge base did not validate; ``problems`` lists every ``path:line: message``."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the knowledge base"
        super().__init__(head + ":\n" + "\n".join(self.problems))


class NotFound(BotError):
    """Something the user named (entry, poll, suggestion) does not exist."""


class NotAllowed(BotError):
    """The user may not do this (not a moderator, not the poll's creator, ...)."""


class InvalidInput(BotError):
    """User-supplied data broke a rule; the message says which field and how to fix it."""


class PollError(BotError):
    """Base for poll rule violations."""


class PollNotFound(PollError, NotFound):
    """No poll with that id."""


class PollClosed(PollError):
    """The poll is closed (by a moderator, its creator or its deadline)."""


class UnknownChoice(PollError):
    """The option is not part of the poll (stale or forged button)."""


class VoteNotChangeable(PollError):
    """The poll does not allow changing or retracting a vote."""


class VoterKeyLost(PollError):
    """An anonymous poll's pseudonyms were made with a voter key the bot no longer has."""

class Busy(BotError):
    """Another process held the database's write lock for longer than the busy timeout."""

    def __init__(self, message: str = "The database is busy; please try again in a moment."):
        super().__init__(message)


class StorageError(BotError):
    """The database file cannot be used (missing folder, read-only, disk full...)."""


class DamagedDatabase(StorageError):
    """The database file is damaged or not a database; the message lists the recovery steps."""


class NewerDatabase(StorageError):
    """The database was written by a newer version of the bot (migrations this one lacks)."""


class ExportFailed(BotError):
    """Writing exported files failed; the message (and the fields) say what was written."""

    def __init__(self, message: str, *, written: tuple = (), not_written: tuple = ()):
        super().__init__(message)
        self.written, self.not_written = written, not_written
