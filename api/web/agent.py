"""The agent's "my mail": open mail assigned to them or routed to their services, soonest due first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session
from starlette.responses import Response

from api.deps import read_session
from api.web import nav
from api.web.deps import WebPrincipal, WebRoute
from api.web.i18n import N_
from api.web.templating import render, utc_today
from dms import worklists
from dms.errors import Forbidden
from dms.models import Role

router = APIRouter(include_in_schema=False, route_class=WebRoute)
MY_MAIL_ROLES = (Role.agent, Role.admin)  # the people mail is assigned or routed to


def _has_mail(principal) -> bool:
    return principal.role in MY_MAIL_ROLES and principal.tenant_id is not None


nav.add("/my-mail", N_("Mon courrier"), _has_mail, order=30)


@router.get("/my-mail")
def my_mail(request: Request, principal: WebPrincipal, session: Annotated[Session, Depends(read_session)],
            closed: int = 0) -> Response:
    if not _has_mail(principal):
        raise Forbidden(f"role {principal.role.value} has no mail of its own to treat")
    rows = worklists.my_mail(session, principal, include_closed=bool(closed))
    return render(request, "my_mail.html", {"rows": rows, "today": utc_today(), "closed": bool(closed)})
