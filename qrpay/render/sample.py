"""Sample codes: a code on the placeholder base URL leads nowhere, so it prints as a 样张 (sample).

Every template and web image of such a code carries a large, translucent 样张 SAMPLE mark; a
real code (on the platform's own base URL) never does.
"""

from __future__ import annotations

from ..config import DEFAULT_BASE_URL

SAMPLE_MARK = "样张"
SAMPLE_MARK_EN = "SAMPLE"


def is_sample(payload: str) -> bool:
    """True for a payload on the placeholder base URL (:data:`qrpay.config.DEFAULT_BASE_URL`)."""
    return payload.startswith(DEFAULT_BASE_URL)


SAMPLE_WARNING = (
    f"Warning: base URL is the placeholder {DEFAULT_BASE_URL}: this code is a sample (样张), leads nowhere "
    "and prints with a SAMPLE mark; set base_url in config.toml (or QRPAY_BASE_URL) to the platform's own"
)
