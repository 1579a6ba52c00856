"""CSV cells a spreadsheet will not run: every CSV the service writes passes through here.

A prospect named ``=HYPERLINK(...)`` or ``@SUM(...)`` would run as a formula when a recruiter
opens the scored CSV in Excel, LibreOffice or Sheets (CSV/formula injection). The OWASP rule:
a text cell starting with ``=``, ``+``, ``-``, ``@``, TAB or CR gets a leading ``'`` so the
spreadsheet shows it as text. Numbers are written as they are (they cannot hold a formula).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell no spreadsheet evaluates: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_cells(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each through :func:`safe_cell` (for ``csv.writer``)."""
    return [safe_cell(value) for value in values]


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """``csv.DictWriter`` whose rows pass through :func:`safe_cell`, one or many at a time."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({column: safe_cell(value) for column, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
