"""publiccode.yml for code items: parsed safely (``yaml.safe_load``, size-limited) and checked for the keys the
standard makes mandatory. Every error names its key (``legal.license``), so a publisher knows what to fix."""

from __future__ import annotations

from typing import Any

import yaml

from dms.errors import BadInput
from dms.library import licences

MAX_BYTES = 256 * 1024
DEVELOPMENT_STATUS = ("concept", "development", "beta", "stable", "obsolete")
SOFTWARE_TYPES = (
    "standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web", "standalone/backend",
    "standalone/other", "addon", "library", "configurationFiles",
)
MAINTENANCE_TYPES = ("internal", "contract", "community", "none")
#: The mandatory keys, in the order the errors are reported.
MANDATORY = (
    "publiccodeYmlVersion", "name", "url", "platforms", "developmentStatus", "softwareType", "description",
    "legal", "legal.license", "maintenance", "maintenance.type", "localisation",
    "localisation.localisationReady", "localisation.availableLanguages",
)


def _get(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def parse(text: str | bytes) -> dict[str, Any]:
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_BYTES:
        raise BadInput(f"publiccode.yml: larger than {MAX_BYTES} bytes")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BadInput(f"publiccode.yml: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BadInput("publiccode.yml: the document must be a mapping of keys")
    return data


def problems(data: dict[str, Any]) -> list[str]:
    """Each problem as "key: what is wrong", missing mandatory keys first."""
    found: list[str] = []
    for key in MANDATORY:
        value = _get(data, key)
        if value is None or value == "" or value == [] or value == {}:
            found.append(f"{key}: missing (mandatory)")
    missing = {p.split(":", 1)[0] for p in found}
    if "platforms" not in missing and not (isinstance(data["platforms"], list)
                                           and all(isinstance(p, str) for p in data["platforms"])):
        found.append("platforms: must be a list of names (web, windows, linux…)")
    status = data.get("developmentStatus")
    if "developmentStatus" not in missing and status not in DEVELOPMENT_STATUS:
        found.append(f"developmentStatus: {status!r} is not one of {', '.join(DEVELOPMENT_STATUS)}")
    kind = data.get("softwareType")
    if "softwareType" not in missing and kind not in SOFTWARE_TYPES:
        found.append(f"softwareType: {kind!r} is not one of {', '.join(SOFTWARE_TYPES)}")
    description = data.get("description")
    if "description" not in missing:
        if not isinstance(description, dict):
            found.append("description: must map languages to descriptions (description.fr.shortDescription)")
        elif not any(isinstance(d, dict) and isinstance(d.get("shortDescription"), str) and d["shortDescription"]
                     for d in description.values()):
            found.append("description.<lang>.shortDescription: missing (mandatory)")
    if "legal.license" not in missing:
        try:
            licences.check(str(_get(data, "legal.license")), what="legal.license")
        except BadInput as exc:
            found.append(exc.message)
    maintenance = _get(data, "maintenance.type")
    if "maintenance.type" not in missing and maintenance not in MAINTENANCE_TYPES:
        found.append(f"maintenance.type: {maintenance!r} is not one of {', '.join(MAINTENANCE_TYPES)}")
    ready = _get(data, "localisation.localisationReady")
    if "localisation.localisationReady" not in missing and not isinstance(ready, bool):
        found.append("localisation.localisationReady: must be true or false")
    languages = _get(data, "localisation.availableLanguages")
    if "localisation.availableLanguages" not in missing and not isinstance(languages, list):
        found.append("localisation.availableLanguages: must be a list of language codes")
    return found


def validate(text: str | bytes) -> dict[str, Any]:
    """The parsed document; BadInput naming every problem's key (also listed in ``problems``)."""
    data = parse(text)
    found = problems(data)
    if found:
        raise BadInput(f"publiccode.yml: {'; '.join(found)}", problems=found)
    return data


def licence_of(data: dict[str, Any]) -> str:
    return licences.check(str(_get(data, "legal.license")), what="legal.license")
