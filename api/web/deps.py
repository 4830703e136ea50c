"""Who is signed in (the session cookie), the CSRF check on every state-changing request, and the route class
that turns service errors into HTML pages (or a login redirect) instead of the API's JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from api.deps import get_runtime
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import BadInput, DmsError, Forbidden
from dms.web_sessions import Active, csrf_ok, lookup
from ingest.runtime import Runtime

SESSION_COOKIE = "dms_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    pass


def web_session(request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]) -> Active:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        active = lookup(session, request.cookies.get(SESSION_COOKIE))
    if active is None:
        raise LoginRequired()
    request.state.web_session = active
    return active


async def checked_session(request: Request, active: Annotated[Active, Depends(web_session)]) -> Active:
    """The session, with the CSRF token checked on anything but GET/HEAD: from the ``X-CSRF-Token`` header
    (htmx and the upload script send it) or the ``csrf_token`` field of the form."""
    if request.method not in SAFE_METHODS:
        token = request.headers.get(CSRF_HEADER)
        if not token:
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
        if not csrf_ok(active, token):
            raise Forbidden("missing or invalid CSRF token")
    return active


def principal_of(active: Annotated[Active, Depends(checked_session)]) -> Principal:
    return active.principal


#: The dependency page handlers take: the signed-in principal, CSRF-checked on unsafe methods.
WebPrincipal = Annotated[Principal, Depends(principal_of)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def cookie_secure(request: Request, runtime: Runtime) -> bool:
    """``DMS_WEB_COOKIE_SECURE``: ``auto`` (default: Secure when the request came over https, e.g. through a
    proxy with uvicorn's --proxy-headers), ``true`` or ``false``."""
    wanted = str(getattr(runtime.settings, "web_cookie_secure", "auto")).lower()
    if wanted in ("true", "1", "yes"):
        return True
    if wanted in ("false", "0", "no"):
        return False
    return request.url.scheme == "https"


class WebRoute(APIRoute):
    """Service errors become an HTML error page with the same status (404 for another tenant's ids, 403…);
    a missing session becomes a redirect to the login page (or an HX-Redirect for htmx requests)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = "/login?next=" + quote(request.url.path, safe="/")
                if request.headers.get("HX-Request"):
                    return Response(status_code=401, headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            except RequestValidationError as exc:  # a form field out of bounds: the API's 400, as a page
                problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'][1:]) or err['loc'][0]}: {err['msg']}"
                                     for err in exc.errors())
                return _error_page(request, BadInput(problems))
            except DmsError as exc:
                return _error_page(request, exc)

        return route


def _error_page(request: Request, exc: DmsError) -> Response:
    from api.web.templating import render

    if request.headers.get("HX-Request"):
        return render(request, "_error_fragment.html", {"error": exc}, status=exc.status)
    return render(request, "error.html", {"error": exc}, status=exc.status)
