"""What several test files share: the platform address, an in-process CLI runner, the check
that a command failed cleanly, days relative to today (no test hard-codes a year), and the text
of a PDF's pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pypdfium2
from typer.testing import CliRunner, Result

from qrpay import clock
from qrpay.cli import app
from qrpay.config import DEFAULT_TIMEZONE

BASE_URL_24 = "https://pay.hz.gov.cn/q/"  # a realistic 24-character platform address


class Cli:
    """Runs qrpay commands in-process, with stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: object, input: str | None = None) -> Result:
        return self.runner.invoke(app, [str(arg) for arg in args], input=input, catch_exceptions=False)


def assert_one_error_line(result: Result, *fragments: str, stdout_empty: bool = False) -> str:
    """Exit 2, one ``Error: …`` line on stderr holding every fragment, no traceback; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    if stdout_empty:
        assert result.stdout == ""
    return lines[0]


def today() -> date:
    """Today where the codes hang (the default time zone the tests run in)."""
    from zoneinfo import ZoneInfo

    return clock.today(ZoneInfo(DEFAULT_TIMEZONE))


def in_months(months: int, day: date | None = None) -> date:
    """The day *months* from *day* (default: today)."""
    return clock.add_months(day or today(), months)


def page_texts(path: Path) -> list[str]:
    """The text of each page of the PDF at *path*, as pdfium extracts it."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()
