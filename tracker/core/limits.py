"""The numbers pages, API, forms and services share: each defined once, here or on its column.

A text's longest length is its column's: `max_length(Task.title)` reads `String(500)`, and
for a `Text` column the `max_length` in its `info` (a length the database does not
enforce, but every door does).
"""

from __future__ import annotations

from typing import Any

#: The largest id an INTEGER column holds on every database we run on (PostgreSQL int4).
MAX_ID = 2**31 - 1
#: The longest search text a list or the API takes.
SEARCH_MAX_LENGTH = 200
#: Rows per page on the pages' lists.
PER_PAGE = 50
#: The most rows one page or one bulk action takes.
MAX_PER_PAGE = 500
#: The most ids one field may list (an exchange's organisations or participants).
MAX_IDS_IN_LIST = 1000


def max_length(attribute: Any) -> int:
    """The longest text a mapped column takes: its String length, or `info["max_length"]`."""
    column = attribute.property.columns[0]
    length = column.info.get("max_length") or column.type.length
    if not length:
        raise ValueError(f"{attribute} has no length; give its column info={{'max_length': …}}")
    return int(length)


def is_id(value: int) -> bool:
    """Whether `value` can be a row's id at all: 1 … MAX_ID (a larger one fails in SQL)."""
    return 0 < value <= MAX_ID
