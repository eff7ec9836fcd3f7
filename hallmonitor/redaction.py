"""Keep secrets and terminal control sequences out of everything Hallmonitor stores or prints.

`redact` is the one redaction function: the HTTP client applies it to every URL it logs and every
error it raises, the fetch step to every error and note before it becomes data (coverage,
`fetch_runs`, the audit log, reports and e-mails are all made from that data), and `SecretFilter`
to every log record on every handler, Prefect's API handler (its own log table) included. It masks
each configured token (also percent-encoded, as it appears inside URLs), the values of secret URL
parameters, `Bearer` credentials and passwords in URLs, whether the token is configured or not
(a server may echo any of them back in an error body).

`terminal_safe` removes escape sequences and control characters from remote text before it is
printed (a server's error text must not retitle or rewrite the operator's terminal).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from hallmonitor.config import DistrictConfig

MASK = "***"
SECRET_PARAMS = ("access_token", "key", "api_key", "token", "client_secret", "appsecret_proof")
_PARAM = re.compile(r"(?i)(?<![A-Za-z0-9_])(" + "|".join(SECRET_PARAMS) + r")=([^&\s#\"'<>]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_URL_PASSWORD = re.compile(r"(://[^/\s:@]+):[^/\s@]+@")
# ESC-introduced sequences (CSI ... final byte; OSC/DCS/PM/APC ... BEL or ST; two-byte escapes),
# then any remaining C0/C1 control character except tab and newline.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]P^_X].*?(?:\x07|\x1b\\|$)"  # OSC, DCS, PM, APC, SOS
    r"|\x1b[@-Z\\-_]?"  # two-byte escapes, a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]",  # 8-bit CSI
    re.MULTILINE,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MIN_SECRET = 6  # the log filter ignores shorter "secrets": they would mask ordinary words


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret masked (see the module docstring for what counts)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in {secret, quote(secret, safe=""), quote_plus(secret, safe="")}:
            text = text.replace(form, MASK)
    text = _PARAM.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)


def terminal_safe(text: str) -> str:
    """Printable text: escape sequences removed, other control characters (CR included, which
    can overwrite a line) dropped; tabs and newlines kept."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


class SecretFilter(logging.Filter):
    """Masks secrets in a record's message and traceback, and strips terminal escapes."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = {s for s in secrets if len(s) >= MIN_SECRET}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = terminal_safe(redact(message, self.secrets))
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def configured_secrets(config: DistrictConfig) -> set[str]:
    return {
        os.environ[a.token_env]
        for a in config.accounts
        if a.token_env and os.environ.get(a.token_env)
    }


def _handlers() -> list[logging.Handler]:
    """Every handler on the root logger and on any `prefect` logger, including the API handler
    that writes flow and task run logs to Prefect's database."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith("prefect") and isinstance(logger, logging.Logger):
            loggers.append(logger)
    seen: dict[int, logging.Handler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            seen[id(handler)] = handler
    return list(seen.values())


def redact_secrets_in_logs(config: DistrictConfig) -> SecretFilter:
    """Install (or refresh) the filter on every handler `_handlers` finds."""
    secret_filter = SecretFilter(configured_secrets(config))
    for handler in _handlers():
        for existing in [f for f in handler.filters if isinstance(f, SecretFilter)]:
            handler.removeFilter(existing)
        handler.addFilter(secret_filter)
    return secret_filter
