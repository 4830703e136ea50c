"""Files shown in the browser: streamed from the blob store, inline (for the page's preview frame) only for
types the browser renders itself, with a CSP that lets this site, and only it, frame them."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response, StreamingResponse

from dms.blobs import BlobNotFound, BlobUnavailable
from dms.errors import BackendUnavailable, NotFound
from ingest.runtime import Runtime

INLINE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
PREVIEW_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; "
               "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def previewable(mime: str) -> bool:
    return mime in INLINE


def stream_blob(runtime: Runtime, key: str, mime: str, name: str, size: int, sha256: str, *,
                download: bool = False) -> Response:
    try:
        chunks = runtime.backends.blobs.open(key)
    except BlobNotFound as exc:
        raise NotFound("file content is missing from the store") from exc
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
    inline = previewable(mime) and not download
    return StreamingResponse(chunks, media_type=mime, headers={
        "Content-Length": str(size),
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name)}",
        "ETag": f'"{sha256}"',
        "Content-Security-Policy": PREVIEW_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "private, no-store",
    })
