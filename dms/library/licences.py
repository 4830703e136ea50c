"""Licences as SPDX expressions (``license-expression``), EUPL-1.2 unless the publisher says otherwise."""

from __future__ import annotations

from functools import lru_cache

from license_expression import ExpressionError, Licensing, get_spdx_licensing

from dms.errors import BadInput

DEFAULT = "EUPL-1.2"
MAX_EXPRESSION = 500


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()  # loads the SPDX licence list once per process


def check(expression: str | None, *, what: str = "licence") -> str:
    """The expression normalised (``mit or apache-2.0`` -> ``MIT OR Apache-2.0``); unknown identifiers and
    broken syntax are refused naming the problem."""
    text = " ".join((expression or "").split()) or DEFAULT
    if len(text) > MAX_EXPRESSION:
        raise BadInput(f"{what}: longer than {MAX_EXPRESSION} characters")
    try:
        info = _licensing().validate(text)
    except (ExpressionError, AttributeError, ValueError) as exc:
        raise BadInput(f"{what}: {text!r} is not a valid SPDX licence expression") from exc
    if info.errors or not info.normalized_expression:
        detail = "; ".join(info.errors) or "invalid expression"
        raise BadInput(f"{what}: {text!r} is not a valid SPDX licence expression ({detail})")
    return info.normalized_expression
