"""Voter pseudonyms, and the per-install secret they are keyed with.

An anonymous ballot is stored under ``HMAC-SHA256(secret, "poll:<poll id>:<user id>")``, not
under the user's id: the bot can still find *your* ballot (one per person, changeable and
retractable), but someone browsing the database file cannot tell whose ballot a row is. The
same goes for answer feedback (``feedback:<entry id>:<user id>``). Pseudonyms differ from poll
to poll, so they don't link one person's ballots either.

The secret lives in its own file outside the database (``voter.key`` next to it by default,
``BOT_SECRET_FILE`` / ``--secret-file`` elsewhere), created with mode 0600 on first run. It
is registered on each connection as the SQL functions ``voter_pseudonym(scope, user_id)`` and
``voter_key_id()``, so the migration that rewrites old ballots can use it too, and Python
code never passes the secret around.

Each anonymous poll remembers the key id it was started with. If the secret is lost or
replaced, its ballots still count, but a returning voter can no longer be recognised, so
``bot.votes`` refuses new votes on it (``VoterKeyLost``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

from sqlite_utils import Database

from bot.errors import InvalidInput

log = logging.getLogger(__name__)
SECRET_BYTES = 32
SECRET_FILE = "voter.key"
_KEY_ID_LABEL = b"drive-my-car-bot voter key id"


def default_secret_path(db_path: str | Path) -> Path:
    """``voter.key`` in the database's folder (the data folder, for the default database)."""
    return Path(db_path).expanduser().parent / SECRET_FILE


def load_secret(path: Path) -> bytes:
    """Read the secret, creating it (mode 0600, atomically) when the file does not exist."""
    path = Path(path).expanduser()
    try:
        if not path.exists():
            _create(path)
        text = path.read_text(encoding="ascii").strip()
        secret = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"The voter key file {path} can't be read or made ({exc}). Restore it "
                           "from a backup, or move it away to start a new one (anonymous polls "
                           "started with the old key then take no new votes).") from None
    if len(secret) != SECRET_BYTES:
        raise InvalidInput(f"The voter key file {path} should hold {SECRET_BYTES * 2} hex "
                           f"digits, not {len(text)} characters.")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the voter key file %s can be read by other users (mode %o); "
                    "run: chmod 600 %s", path, stat.S_IMODE(mode), path)
    return secret


def _create(path: Path) -> None:
    """Write a new random secret; another process creating it at the same moment wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(SECRET_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, path)  # fails if the file appeared meanwhile: then that one is used
            log.info("created the voter key file %s", path)
        except FileExistsError:
            pass
    finally:
        temp.unlink(missing_ok=True)


def key_id(secret: bytes) -> str:
    """A short fingerprint of the secret, stored with each anonymous poll (it reveals nothing)."""
    return hmac.new(secret, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def install(db: Database, secret: bytes) -> None:
    """Register ``voter_pseudonym(scope, user_id)`` and ``voter_key_id()`` on the connection."""
    fingerprint = key_id(secret)

    def voter_pseudonym(scope: str, user_id: int) -> str:
        message = f"{scope}:{int(user_id)}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()

    db.conn.create_function("voter_pseudonym", 2, voter_pseudonym, deterministic=True)
    db.conn.create_function("voter_key_id", 0, lambda: fingerprint, deterministic=True)


def pseudonym(db: Database, scope: str, user_id: int) -> str:
    """The keyed pseudonym of ``user_id`` within ``scope`` (``poll:<id>``, ``feedback:<id>``)."""
    return db.execute("SELECT voter_pseudonym(?, ?)", [scope, user_id]).fetchone()[0]


def current_key_id(db: Database) -> str:
    """The key id of the secret this connection was opened with."""
    return db.execute("SELECT voter_key_id()").fetchone()[0]
