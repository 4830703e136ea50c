"""Signing in and out, the home page and the language switcher."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from api.deps import get_runtime
from api.web import i18n
from api.web.deps import SESSION_COOKIE, WebRoute, checked_session, client_address, cookie_secure
from api.web.templating import render
from dms import passwords, web_sessions
from dms.db import unit_of_work
from dms.login_throttle import TooManyAttempts
from dms.web_sessions import Active
from ingest.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=WebRoute)
LOGIN_CSRF_COOKIE = "dms_login_csrf"


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an absolute URL or a protocol-relative one (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/")
def home(request: Request, active: Annotated[Active, Depends(checked_session)]) -> Response:
    return render(request, "home.html", active=active)


def _login_page(request: Request, runtime: Runtime, *, error: str = "", email: str = "", next_url: str = "/",
                status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"error": error, "email": email, "next": safe_next(next_url),
                                              "login_csrf": token}, status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=cookie_secure(request, runtime))
    return response


@router.get("/login")
def login_form(request: Request, runtime: Annotated[Runtime, Depends(get_runtime)], next: str = "/") -> Response:
    return _login_page(request, runtime, next_url=next)


@router.post("/login")
def login(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=4096)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    i18n.use(i18n.choose(request))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(request, runtime, error=i18n.gettext("Le formulaire a expiré : veuillez réessayer."),
                           email=email, next_url=next, status=403)
    try:
        with unit_of_work(runtime.backends.engine) as session:
            user = passwords.attempt_login(session, email, password, client_address(request))
            session_id = web_sessions.open_session(session, user) if user is not None else None
    except TooManyAttempts as exc:
        response = _login_page(
            request, runtime, email=email, next_url=next, status=429,
            error=i18n.gettext("Trop de tentatives de connexion échouées. Réessayez dans 15 minutes."))
        response.headers["Retry-After"] = str(exc.extra.get("retry_after", 900))
        return response
    if session_id is None:
        return _login_page(request, runtime, email=email, next_url=next, status=401,
                           error=i18n.gettext("Adresse e-mail ou mot de passe incorrect."))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(web_sessions.LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=cookie_secure(request, runtime), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, runtime: Annotated[Runtime, Depends(get_runtime)],
           _active: Annotated[Active, Depends(checked_session)]) -> Response:
    with unit_of_work(runtime.backends.engine) as session:
        web_sessions.close_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def choose_language(code: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
