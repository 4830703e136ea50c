"""The shared library (issue 8): a federation-wide catalog of what communes make for each other (letter
templates, code, schemas, thesaurus extensions, process descriptions), with immutable versions, labels granted
by the region, reuse declarations, forks, adoption of templates and letters rendered with co-branding.

Modules: ``catalog`` (items, versions, item page, search), ``labels`` (review workflow), ``reuse`` and
``adoption`` (who uses what), ``branding`` (co-marquage), ``templates`` (placeholders, never evaluated),
``rendering`` (LibreOffice to PDF), ``letters`` (an outgoing record from a template), ``archive`` (zip
import/export), ``publiccode`` and ``licences`` and ``semver`` (input rules).
"""

#: The blob scope of catalog artefacts: they belong to the federation, not to the publishing commune.
BLOB_SCOPE = "library"
#: The search index "tenant" of catalog documents; with their own kind, record searches never see them.
INDEX_SCOPE = "library"
INDEX_KIND = "library_item"
#: The largest artefact a version may hold.
MAX_ARTEFACT_BYTES = 50 * 1024 * 1024
