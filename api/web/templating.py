"""Jinja2 rendering for the pages: autoescaped templates, the gettext callables of the request's language, and
the context every page gets (user, navigation, CSRF token, language)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.web import i18n, nav
from api.web.i18n import N_
from dms.web_sessions import Active

TEMPLATES = Path(__file__).resolve().parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def utc_today() -> date:
    """Registers count days in UTC (dms/register_export.py), so the pages do too."""
    return datetime.now(UTC).date()


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def _size(value: int | None) -> str:
    if value is None:
        return ""
    for unit in ("o", "Ko", "Mo", "Go"):
        if value < 1024 or unit == "Go":
            return f"{value:.0f} {unit}" if unit == "o" else f"{value:.1f} {unit}"
        value /= 1024
    return str(value)


env.filters["day"] = _day
env.filters["size"] = _size

# Workflow states as people say them (French source text, translated with the rest).
STATE_LABELS = {
    "created": N_("créé"),
    "proposed_to_manager": N_("proposé au responsable"),
    "proposed_to_agent": N_("proposé à l'agent"),
    "in_treatment": N_("en traitement"),
    "to_be_signed": N_("à signer"),
    "signed": N_("signé"),
    "sent": N_("envoyé"),
    "closed": N_("clôturé"),
}
env.globals["state_label"] = lambda state: i18n.gettext(STATE_LABELS.get(state, state))
env.globals["languages"] = i18n.LANGUAGES


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200,
           active: Active | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
    language = i18n.choose(request)
    i18n.use(language)
    active = active or getattr(request.state, "web_session", None)
    values = {
        "request": request,
        "lang": language,
        "user": active,
        "csrf": active.csrf if active else "",
        "nav": nav.entries_for(active.principal) if active else [],
        "path": request.url.path,
        **(context or {}),
    }
    html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=headers)
