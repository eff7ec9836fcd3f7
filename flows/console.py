"""What a run started from a terminal or from cron prints, and where the rest goes.

From cron every byte on the console becomes a mail, so the console gets the run's summary (one
line per coverage gap) and warnings; Prefect's per-task failure reports, with their tracebacks,
go to the run's log file beside the warehouse (`<db>.logs/<run id>.log`). Each of those failures
is already a coverage gap in the summary. `--verbose` puts everything back on the console.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

# Loggers whose records on the console would repeat a coverage gap the summary already states.
REPEATS_A_GAP = ("prefect.task_runs",)
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_dir(db_path: str | Path) -> Path:
    """Run logs go beside the warehouse, as the reports do: warehouse.duckdb.logs/."""
    path = Path(db_path)
    return path.with_name(path.name + ".logs")


class QuietConsole(logging.Filter):
    """On a console handler: warnings and errors only, no task-run failure reports, and no
    traceback (its first line stays; the whole of it is in the log file)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.name.startswith(REPEATS_A_GAP):
            return False
        if record.exc_info or record.exc_text:
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            record.msg = f"{record.getMessage()} (traceback in the run's log file)"
            record.args = None
        return True


_QUIET = QuietConsole()


@contextmanager
def run_logging(db_path: str | Path, verbose: bool = False) -> Iterator[Path]:
    """For the duration of a run: everything from INFO up, tracebacks included, to a log file
    (yielded; rename it once the run id is known); from then on a quiet console unless
    `verbose`."""
    directory = log_dir(db_path)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.log"
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
    root = logging.getLogger()
    # First among the root's handlers: it writes a record before the console filter trims it.
    root.handlers.insert(0, file_handler)
    # Left on when the run ends: Prefect logs again at exit (its temporary server stopping),
    # and a command's process ends soon after its run. The same filter is never added twice.
    for handler in root.handlers[1:]:
        if verbose:
            handler.removeFilter(_QUIET)
        else:
            handler.addFilter(_QUIET)
    levels = {name: logging.getLogger(name).level for name in ("prefect", "flows", "connectors")}
    for name in levels:  # INFO reaches the file; the console filter keeps it off the screen
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield path
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        root.removeHandler(file_handler)
        file_handler.close()
