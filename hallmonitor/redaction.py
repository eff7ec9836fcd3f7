"""Keep tokens out of logs: a logging filter that masks every configured token's value.

The HTTP layer already redacts URLs and messages; this is the second line of defence for anything
else that might format a secret into a log line (an exception from a library, say)."""

from __future__ import annotations

import logging
import os

from hallmonitor.config import DistrictConfig


class SecretFilter(logging.Filter):
    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = {s for s in secrets if len(s) >= 6}

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            masked = message
            for secret in self.secrets:
                masked = masked.replace(secret, "***")
            if masked != message:
                record.msg, record.args = masked, None
        return True


def configured_secrets(config: DistrictConfig) -> set[str]:
    return {
        os.environ[a.token_env]
        for a in config.accounts
        if a.token_env and os.environ.get(a.token_env)
    }


def redact_secrets_in_logs(config: DistrictConfig) -> SecretFilter:
    """Install (or refresh) the filter on the root and Prefect loggers' handlers."""
    secret_filter = SecretFilter(configured_secrets(config))
    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        for handler in logger.handlers:
            for existing in [f for f in handler.filters if isinstance(f, SecretFilter)]:
                handler.removeFilter(existing)
            handler.addFilter(secret_filter)
    return secret_filter
