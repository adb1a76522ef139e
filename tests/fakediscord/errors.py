"""Discord's JSON errors, as the fake's route handlers raise them."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised by handlers to answer with a Discord-style JSON error."""

    def __init__(self, status: int, code: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or []

    def body(self) -> dict[str, Any]:
        """Nest `a.b.c: msg` strings into Discord's `errors` tree (discord.py flattens it back)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            tree: dict[str, Any] = {}
            for err in self.errors:
                path, _, msg = err.partition(": ")
                node = tree
                for part in path.split("."):
                    node = node.setdefault(part, {})
                node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": msg})
            body["errors"] = tree
        return body


def invalid_form(errors: list[str]) -> ApiError:
    """The 50035 error Discord returns for limit violations."""
    return ApiError(400, 50035, "Invalid Form Body", errors)


def missing_permissions() -> ApiError:
    """What Discord answers when the bot lacks a permission in that channel."""
    return ApiError(403, 50013, "Missing Permissions")


def unknown_channel() -> ApiError:
    return ApiError(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    return ApiError(404, 10008, "Unknown Message")


def too_large() -> ApiError:
    """An upload over the size limit (Discord answers 413 with code 40005)."""
    return ApiError(413, 40005, "Request entity too large")
