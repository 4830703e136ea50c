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
    record_update = "record.update"
    record_cancel = "record.cancel"
    contact_read = "contact.read"
    contact_write = "contact.write"
    registry_admin = "registry.admin"  # mail types, services and their members, number formats
    transfer_export = "transfer.export"
    transfer_import = "transfer.import"
    search = "search"
    thesaurus_read = "thesaurus.read"
    thesaurus_import = "thesaurus.import"
    thesaurus_curate = "thesaurus.curate"
    jobs_manage = "jobs.manage"


_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.record_read: frozenset({Role.clerk, Role.agent, Role.archivist, Role.admin}),
    Action.record_create: frozenset({Role.clerk, Role.admin}),
    Action.record_update: frozenset({Role.clerk, Role.admin}),
    Action.record_cancel: frozenset({Role.clerk, Role.admin}),
    Action.contact_read: frozenset({Role.clerk, Role.agent, Role.archivist, Role.admin}),
    Action.contact_write: frozenset({Role.clerk, Role.agent, Role.admin}),
    Action.registry_admin: frozenset({Role.admin}),
    Action.transfer_export: frozenset({Role.archivist, Role.admin}),
    Action.transfer_import: frozenset({Role.archivist, Role.admin}),
    Action.search: frozenset({Role.clerk, Role.agent, Role.archivist, Role.admin}),
    Action.thesaurus_read: frozenset({Role.clerk, Role.agent, Role.archivist, Role.admin, Role.curator}),
    Action.thesaurus_import: frozenset({Role.curator, Role.admin}),
    Action.thesaurus_curate: frozenset({Role.curator, Role.admin}),
    Action.jobs_manage: frozenset({Role.admin}),
}

# Actions a federation-wide user (tenant_id None: the regional curator) may take on federation-wide objects.
_FEDERATION: frozenset[Action] = frozenset({Action.thesaurus_read, Action.thesaurus_import, Action.thesaurus_curate})


def require(principal: Principal, action: Action) -> str:
    """The tenant the principal may act in for ``action``; raises Forbidden otherwise."""
    if principal.role not in _ALLOWED[action] or principal.tenant_id is None:
        raise Forbidden(f"role {principal.role.value} may not {action.value}")
    return principal.tenant_id


def require_scope(principal: Principal, action: Action) -> str | None:
    """Like ``require``, for actions on federation-wide objects too: a curator acts with tenant None (the
    regional scope), a tenant's user within their tenant."""
    if principal.role not in _ALLOWED[action]:
        raise Forbidden(f"role {principal.role.value} may not {action.value}")
    if principal.tenant_id is None and action not in _FEDERATION:
        raise Forbidden(f"role {principal.role.value} may not {action.value}")
    return principal.tenant_id


def same_tenant(principal: Principal, tenant_id: str, what: str = "record") -> None:
    if principal.tenant_id != tenant_id:
        raise NotFound(f"no such {what}")
