"""One way to turn an exception into the text the warehouse stores about it.

Error messages reach `fetch_runs.error`, `item_errors.error` and from there the digest, so they
pass through here: configured tokens masked, control characters (terminal escapes) dropped, and
length capped.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

from hallmonitor.config import DistrictConfig
from hallmonitor.redaction import configured_secrets

MAX_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def error_text(exc: BaseException, config: DistrictConfig | None = None) -> str:
    """`Type: message (at file:line in function)`, with every configured token's value masked,
    safe to store and print. The place is the innermost frame: which check or detector raised."""
    text = f"{type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if frames:
        last = frames[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    if config is not None:
        for secret in configured_secrets(config):
            if len(secret) >= 6:
                text = text.replace(secret, "***")
    return _CONTROL.sub("", text)[:MAX_CHARS]
