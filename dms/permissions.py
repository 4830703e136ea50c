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
    retention_manage = "retention.manage"  # schedules, holds, disposition batches (archivists)
    audit_export = "audit.export"
    token_own = "token.own"  # noqa: S105 (an action name) list, create and revoke one's own API tokens
    access_log_read = "access_log.read"  # who read a record (the read audit)
    subject_access = "subject_access"  # GDPR art. 15 export of every record naming a contact
    library_read = "library.read"  # the federation-wide catalog: browse, search, download
    library_publish = "library.publish"  # publish items and versions, submit a version for a label
    library_review = "library.review"  # the region's label review (librarian)
    library_adopt = "library.adopt"  # adopt templates, declare reuse
    library_render = "library.render"  # fill an adopted template and register the outgoing letter
    library_branding = "library.branding"  # the commune's branding, or the region's base (librarian)


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
    Action.retention_manage: frozenset({Role.archivist, Role.admin}),
    Action.audit_export: frozenset({Role.archivist, Role.admin}),
    Action.token_own: frozenset(Role),
    Action.access_log_read: frozenset({Role.admin}),
    Action.subject_access: frozenset({Role.admin}),
    Action.library_read: frozenset(Role),
    Action.library_publish: frozenset({Role.admin}),
    Action.library_review: frozenset({Role.librarian}),
    Action.library_adopt: frozenset({Role.admin}),
    Action.library_render: frozenset({Role.clerk, Role.admin}),
    Action.library_branding: frozenset({Role.admin, Role.librarian}),
}

# Actions a federation-wide user (tenant_id None: the regional curator) may take on federation-wide objects.
_FEDERATION: frozenset[Action] = frozenset({Action.thesaurus_read, Action.thesaurus_import, Action.thesaurus_curate})
_FEDERATION |= {Action.token_own}  # every user, federation ones included, manages their own tokens
_FEDERATION |= {Action.library_read, Action.library_review, Action.library_branding}  # the library (issue 8)


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
