"""XML namespaces used by the metadata documents, in one place so that builders and parsers agree."""

from __future__ import annotations

SEDA = "fr:gouv:culture:archivesdefrance:seda:v2.3"
#: Earlier SEDA 2.x namespaces: accepted when *reading* a sidecar (same element names for what we read).
SEDA_READABLE = (SEDA, "fr:gouv:culture:archivesdefrance:seda:v2.2", "fr:gouv:culture:archivesdefrance:seda:v2.1")

#: Our own extension namespace. SEDA leaves a few open slots (``OrganizationDescriptiveMetadata``,
#: ``Metadata/Document``) typed ``xsd:any namespace="##other" processContents="lax"``; the few values
#: SEDA has no element for (an organisation's name, a page count) go there, in this namespace.
DMS = "urn:dms:metadata:1"

DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML = "http://www.w3.org/XML/1998/namespace"


def q(namespace: str, name: str) -> str:
    """Clark notation ``{namespace}name``, the form lxml uses for qualified names."""
    return f"{{{namespace}}}{name}"
