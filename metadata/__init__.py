"""Archival metadata for dms records: SEDA 2.3 (build, parse, validate offline), Dublin Core, BagIt.

A floor-1 library: it imports lxml, bagit and the standard library only, never ``dms``, ``ingest``,
``api`` or ``thesaurus``. The records service fills a ``RecordMetadata`` and calls these functions;
docs/metadata.md has the field mapping and the decisions.
"""

from metadata.bag import read_transfer_bag, write_transfer_bag
from metadata.dublin_core import dublin_core_element, parse_dublin_core, to_dublin_core
from metadata.errors import MetadataError, MetadataInvalid
from metadata.messages import build_archive_transfer, build_authorization_request, build_destruction_notification
from metadata.model import (
    AccessRule,
    Agent,
    AppraisalRule,
    Classification,
    DataObject,
    HoldRule,
    Keyword,
    Organization,
    RecordMetadata,
)
from metadata.schema import default_schema_dir, load_schema, validate
from metadata.seda import archive_unit_document, build_archive_unit, parse_archive_transfer, parse_archive_unit
from metadata.sidecar import parse_sidecar
from metadata.xml import parse_xml

__all__ = [
    "AccessRule",
    "Agent",
    "AppraisalRule",
    "Classification",
    "DataObject",
    "HoldRule",
    "Keyword",
    "MetadataError",
    "MetadataInvalid",
    "Organization",
    "RecordMetadata",
    "archive_unit_document",
    "build_archive_transfer",
    "build_archive_unit",
    "build_authorization_request",
    "build_destruction_notification",
    "default_schema_dir",
    "dublin_core_element",
    "load_schema",
    "parse_archive_transfer",
    "parse_archive_unit",
    "parse_dublin_core",
    "parse_sidecar",
    "parse_xml",
    "read_transfer_bag",
    "to_dublin_core",
    "validate",
    "write_transfer_bag",
]
