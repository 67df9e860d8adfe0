"""The emergency ledger's domain, in one import: values (money, times, cells), the CSV reader,
statements and the reconciliation rules, each in its own module.
"""

from ..csvfile import MAX_CELL, Problems, Row, Table, decode, read_cells, read_table
from .rules import CLASSES, Entry, Outcome, Txn, classify, summarize
from .statement import STATEMENT_COLUMNS, Payment, Statement, read_statement
from .values import (
    MAX_PAYER,
    MAX_REFERENCE,
    MAX_TXN_ID,
    clean_cell,
    format_amount,
    iso,
    parse_amount,
    parse_time,
    reference_key,
)

LOG_COLUMNS = ("code", "amount", "reference")
LOG_OPTIONAL = ("payer", "at")

__all__ = [
    "CLASSES",
    "LOG_COLUMNS",
    "LOG_OPTIONAL",
    "MAX_CELL",
    "MAX_PAYER",
    "MAX_REFERENCE",
    "MAX_TXN_ID",
    "STATEMENT_COLUMNS",
    "Entry",
    "Outcome",
    "Payment",
    "Problems",
    "Row",
    "Statement",
    "Table",
    "Txn",
    "classify",
    "clean_cell",
    "decode",
    "format_amount",
    "iso",
    "parse_amount",
    "parse_time",
    "read_cells",
    "read_statement",
    "read_table",
    "reference_key",
    "summarize",
]
