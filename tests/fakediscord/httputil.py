"""Small HTTP helpers shared by the REST and control routes."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import BodyPartReader, web


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly: discord.py compares the header for equality."""
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(body).encode(), status=status, headers=all_headers)


async def read_body(request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
    """JSON body (or multipart ``payload_json``) and uploaded files as ``{"filename","content_type","size","data"}``."""
    if not request.can_read_body:
        return None, []
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        payload: Any = None
        files: list[dict[str, Any]] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):  # nested multipart: not used by Discord clients
                continue
            data = await part.read()
            if part.name == "payload_json":
                payload = json.loads(data.decode() or "null")
            elif part.filename is not None:
                files.append(
                    {
                        "filename": part.filename,
                        "content_type": part.headers.get("Content-Type"),
                        "size": len(data),
                        "data": bytes(data),
                    }
                )
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []
