"""The FastAPI application: routes under /api/v1, errors as JSON {"detail": …}, docs served offline."""

from __future__ import annotations

import logging
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from api import web
from api.limits import BodySizeLimit
from api.routes import barcodes as barcode_routes
from api.routes import (
    contacts,
    health,
    jobs,
    metadata,
    privacy,
    records,
    register_types,
    registers,
    search,
    thesaurus,
    tokens,
    transfers,
    workflow,
)
from api.routes import library as library_routes
from api.routes import retention as retention_routes
from api.security_headers import SecurityHeaders
from dms.errors import DmsError
from dms.settings import Settings, get_settings
from ingest.runtime import Runtime, open_runtime

log = logging.getLogger(__name__)
API = "/api/v1"
STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="dms",
        version="0.1.0",
        description="Records and mail management for municipalities.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime or open_runtime(settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(DmsError)
    async def _dms_error(_request: Request, exc: DmsError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'][1:]) or err['loc'][0]}: {err['msg']}" for err in exc.errors()
        )
        return JSONResponse({"detail": problems}, status_code=400)

    for router in (health.router, records.router, metadata.router, search.router, transfers.router,
                   thesaurus.router, thesaurus.records_router, registers.router, contacts.router,
                   workflow.router, jobs.router):
        app.include_router(router, prefix=API)
    for router in (tokens.router, privacy.router, register_types.router):  # issue 11: tokens, reads, types
        app.include_router(router, prefix=API)
    app.include_router(library_routes.router, prefix=API)  # the shared library (docs/library.md)
    app.include_router(barcode_routes.router, prefix=API)  # sheets to print for the scanner (docs/intake.md)
    for router in (retention_routes.router, retention_routes.holds_router, retention_routes.audit_router):
        app.include_router(router, prefix=API)  # retention, holds, audit export (docs/retention.md)

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")

    app.mount("/static/app", StaticFiles(directory=STATIC), name="app-static")
    app.include_router(web.router)  # the web interface (docs/web.md)
    app.mount("/static/web", StaticFiles(directory=web.STATIC), name="web-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html", media_type="text/html")

    return app
