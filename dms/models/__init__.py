"""Database tables (SQLModel). Every table that is not federation-wide carries ``tenant_id``."""

from dms.models.audit import AuditEvent, AuditHead
from dms.models.jobs import Job, JobStatus
from dms.models.records import File, Record, RegisterCounter, RegisterKind, TextStatus
from dms.models.tenants import ApiToken, Role, Service, Tenant, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "File",
    "Job",
    "JobStatus",
    "Record",
    "RegisterCounter",
    "RegisterKind",
    "Role",
    "Service",
    "Tenant",
    "TextStatus",
    "User",
]
