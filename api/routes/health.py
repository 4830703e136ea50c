from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import get_runtime
from ingest.health import check_components
from ingest.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/health", summary="Which components answer (no token needed)")
def health(runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    report = check_components(runtime)
    return JSONResponse(report, status_code=200 if report["status"] != "down" else 503)
