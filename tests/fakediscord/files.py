"""Uploaded files: attachment objects, Discord's upload limits, ``attachment://`` in embeds,
and the bytes served back at each attachment's URL.

Discord takes files as multipart parts ``files[n]`` next to ``payload_json``, whose
``attachments`` list names them by index (new uploads) or by snowflake (attachments an edit
keeps). Attachments a body does not list are dropped by an edit, as on Discord.
"""

from __future__ import annotations

import copy
import mimetypes
import struct
from typing import Any

from aiohttp import web

from .errors import invalid_form, too_large
from .payloads import snowflake

MAX_ATTACHMENTS = 10  # files per message
UPLOAD_LIMIT = 10 * 1024 * 1024  # bytes per file, for a server without boosts
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Uploads:
    """Every file the bot uploaded, by attachment id, served at ``/attachments/{id}/{name}``."""

    def __init__(self, base_url: Any) -> None:
        self._base_url = base_url  # a callable: the port is known only once the server runs
        self.limit = UPLOAD_LIMIT
        self.data: dict[int, tuple[str, bytes, str]] = {}  # id → (filename, bytes, type)

    def attachments(self, body: dict[str, Any], files: list[dict[str, Any]],
                    existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Attachment objects for a message: new uploads (checked against the limits) and
        the existing ones the body lists by id."""
        if len(files) > MAX_ATTACHMENTS:
            raise invalid_form([f"files: Must be {MAX_ATTACHMENTS} or fewer in length."])
        for upload in files:
            if len(upload["data"]) > self.limit:
                raise too_large()
        old = {a["id"]: a for a in existing}
        by_index = {f["field"]: f for f in files}
        out = []
        for item in body.get("attachments", [{"id": i} for i in range(len(files))]):
            upload = by_index.get(f"files[{item['id']}]")
            if upload is None:
                if str(item["id"]) in old:
                    out.append(old[str(item["id"])])
                continue
            out.append(self._store(item.get("filename") or upload["filename"], upload["data"],
                                   item.get("description")))
        if len(out) > MAX_ATTACHMENTS:
            raise invalid_form([f"attachments: Must be {MAX_ATTACHMENTS} or fewer in length."])
        return out

    def _store(self, name: str, data: bytes, description: str | None) -> dict[str, Any]:
        aid = snowflake()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.data[aid] = (name, data, kind)
        url = f"{self._base_url()}/attachments/{aid}/{name}"
        attachment: dict[str, Any] = {"id": str(aid), "filename": name, "size": len(data),
                                      "url": url, "proxy_url": url, "content_type": kind,
                                      "description": description}
        size = png_size(data)
        if size is not None:
            attachment["width"], attachment["height"] = size
        return attachment

    async def serve(self, request: web.Request) -> web.Response:
        """GET of an attachment URL: the uploaded bytes, or 404."""
        found = self.data.get(int(request.match_info["aid"]))
        if found is None or found[0] != request.match_info["name"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=found[1], content_type=found[2])


def resolve_embeds(embeds: list[dict[str, Any]], attachments: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """The embeds with ``attachment://name`` images and thumbnails pointing at the uploaded
    file, as Discord does when it stores the message (the request body is left as sent)."""
    embeds = copy.deepcopy(embeds)
    by_name = {a["filename"]: a for a in attachments}
    for embed in embeds:
        for key in ("image", "thumbnail"):
            url = (embed.get(key) or {}).get("url") or ""
            if url.startswith("attachment://") and url[13:] in by_name:
                found = by_name[url[13:]]
                embed[key] = {"url": found["url"], "proxy_url": found["proxy_url"],
                              **{k: found[k] for k in ("width", "height") if k in found}}
    return embeds


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header (None for anything else)."""
    if data[:8] != PNG_SIGNATURE or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height
