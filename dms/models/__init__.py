"""Database tables (SQLModel). Every table that is not federation-wide carries ``tenant_id``."""

from dms.models.audit import AuditEvent, AuditHead
from dms.models.jobs import Job, JobStatus
from dms.models.metadata import RecordMetadataVersion, RecordOrigin
from dms.models.records import File, Record, RegisterCounter, RegisterKind, TextStatus
from dms.models.registry import (
    Contact,
    ContactKind,
    MailType,
    RecordNote,
    RecordTransition,
    RegisterSetting,
    UserService,
)
from dms.models.tenants import ApiToken, Role, Service, Tenant, User
from dms.models.thesaurus import (
    ProposalStatus,
    SchemeKind,
    ThesaurusLabel,
    ThesaurusProposal,
    ThesaurusRelation,
    ThesaurusResource,
    ThesaurusScheme,
    ThesaurusVersion,
)

__all__ = [
    "UserService",
    "RegisterSetting",
    "RecordTransition",
    "RecordNote",
    "MailType",
    "ContactKind",
    "Contact",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "File",
    "Job",
    "JobStatus",
    "Record",
    "RecordMetadataVersion",
    "RecordOrigin",
    "RegisterCounter",
    "RegisterKind",
    "ProposalStatus",
    "Role",
    "SchemeKind",
    "Service",
    "Tenant",
    "TextStatus",
    "ThesaurusLabel",
    "ThesaurusProposal",
    "ThesaurusRelation",
    "ThesaurusResource",
    "ThesaurusScheme",
    "ThesaurusVersion",
    "User",
]
