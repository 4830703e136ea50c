"""One permission model (role x action x tenant) for the API, the UI and the CLI.

Another tenant's objects are reported as missing (404), never as forbidden, so ids cannot be probed.
"""

from __future__ import annotations

from enum import StrEnum

from dms.accounts import Principal
from dms.errors import Forbidden, NotFound
from dms.models import Role


class Action(StrEnum):
    record_read = "record.read"
    record_create = "record.create"
    search = "search"


_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.record_read: frozenset({Role.clerk, Role.agent, Role.archivist, Role.admin}),
    Action.record_create: frozenset({Role.clerk, Role.admin}),
    Action.search: frozenset({Role.clerk, Role.agent, Role.archivist, Role.admin}),
}


def require(principal: Principal, action: Action) -> str:
    """The tenant the principal may act in for ``action``; raises Forbidden otherwise."""
    if principal.role not in _ALLOWED[action] or principal.tenant_id is None:
        raise Forbidden(f"role {principal.role.value} may not {action.value}")
    return principal.tenant_id


def same_tenant(principal: Principal, tenant_id: str, what: str = "record") -> None:
    if principal.tenant_id != tenant_id:
        raise NotFound(f"no such {what}")
