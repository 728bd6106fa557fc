"""Search across exchanges, outcomes, tasks, people and organisations.

The index is the database's own full-text search, written by triggers (migration
0010_search): on PostgreSQL the table search_entries (tsvector, German and simple
configurations, so "Städte" finds "Stadt"), on SQLite the FTS5 table search_fts
(diacritics removed, prefix search). Every reader sees every live record here, as on the
task and exchange lists; deleted records are not in the index at all.

What someone types is never handed to a query language: it is cut into plain words
(letters and digits), and the query is built from those, so quotes, `*`, `NEAR`, `-` or
unbalanced parentheses are only text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import bindparam, text

from tracker.core.validation import search_text
from tracker.extensions import db

KINDS = ("exchange", "outcome", "task", "person", "organisation")
#: The most words one search takes (more would only slow the query down).
MAX_TERMS = 8
#: Markers the database puts around a matching word; text cannot hold control characters.
START, STOP = "\x02", "\x03"
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    snippet: str

    @property
    def title_html(self) -> Markup:
        return highlighted(self.title)

    @property
    def snippet_html(self) -> Markup:
        return highlighted(self.snippet)

    @property
    def plain_title(self) -> str:
        return plain(self.title)

    @property
    def plain_snippet(self) -> str:
        return plain(self.snippet)


def terms(query: object) -> list[str]:
    """The plain words of a search, lower-case, at most MAX_TERMS, each once."""
    words: list[str] = []
    for word in _WORD.findall(search_text(query).lower()):
        if word not in words:
            words.append(word)
    return words[:MAX_TERMS]


def _singular(word: str) -> str | None:
    """Workshops → Workshop: loanwords' plural -s, which German stemming leaves alone."""
    return word[:-1] if len(word) >= 5 and word.endswith("s") else None


def highlighted(marked: str) -> Markup:
    """The text escaped, then the matches the database marked wrapped in <mark>."""
    parts = []
    for n, piece in enumerate(marked.split(START)):
        if n == 0:
            parts.append(escape(piece.replace(STOP, "")))
            continue
        match, _, rest = piece.partition(STOP)
        parts.append(Markup("<mark>%s</mark>") % match.replace(STOP, ""))
        parts.append(escape(rest.replace(STOP, "")))
    return Markup("").join(parts)


def plain(marked: str) -> str:
    return marked.replace(START, "").replace(STOP, "")


def search(query: object, offset: int = 0, limit: int = 20) -> tuple[list[Hit], bool]:
    """One page of hits, best first, and whether there are more after it."""
    words = terms(query)
    if not words:
        return [], False
    if db.engine.dialect.name == "postgresql":
        rows = _postgresql(words, offset, limit + 1)
    else:
        rows = _sqlite(words, offset, limit + 1)
    hits = [Hit(kind, record_id, title, snippet) for kind, record_id, title, snippet in rows]
    return hits[:limit], len(hits) > limit


def _postgresql(words: list[str], offset: int, limit: int) -> list:
    params: dict[str, object] = {"offset": offset, "limit": limit}
    groups = []
    for n, word in enumerate(words):
        params[f"w{n}"] = word
        # The word is letters and digits only, so `:*` (prefix) is the only syntax here.
        alternatives = [
            f"to_tsquery('german', :w{n} || ':*')",
            f"to_tsquery('simple', :w{n} || ':*')",
        ]
        singular = _singular(word)
        if singular:
            params[f"s{n}"] = singular
            alternatives.append(f"plainto_tsquery('simple', :s{n})")
        groups.append("(" + " || ".join(alternatives) + ")")
    options = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
    fragments = (
        f"StartSel={START}, StopSel={STOP}, MaxWords=20, MinWords=8,"
        " MaxFragments=2, FragmentDelimiter=\" … \""
    )
    stmt = text(
        f"WITH q AS (SELECT {' && '.join(groups)} AS query),"
        " best AS (SELECT e.kind, e.record_id, e.title, e.body,"
        " ts_rank_cd(e.document, q.query) AS rank FROM search_entries e, q"
        " WHERE e.document @@ q.query"
        " ORDER BY rank DESC, e.kind, e.record_id DESC LIMIT :limit OFFSET :offset)"
        " SELECT best.kind, best.record_id,"
        " ts_headline('german', best.title, q.query, :options),"
        " CASE WHEN best.body = '' THEN '' ELSE"
        " ts_headline('german', best.body, q.query, :fragments) END"
        " FROM best, q ORDER BY best.rank DESC, best.kind, best.record_id DESC"
    ).bindparams(bindparam("options", options), bindparam("fragments", fragments))
    return list(db.session.execute(stmt, params))


def _fts5_query(words: list[str]) -> str:
    """Each word quoted (so nothing in it is syntax) and taken as a prefix; all must match."""
    groups = []
    for word in words:
        alternatives = [f'"{word}"*']
        singular = _singular(word)
        if singular:
            alternatives.append(f'"{singular}"')
        groups.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(groups)


def _sqlite(words: list[str], offset: int, limit: int) -> list:
    stmt = text(
        "WITH best AS (SELECT rowid, bm25(search_fts, 0, 0, 10.0, 1.0) AS rank"
        " FROM search_fts WHERE search_fts MATCH :query"
        " ORDER BY rank, kind, record_id DESC LIMIT :limit OFFSET :offset)"
        " SELECT search_fts.kind, search_fts.record_id,"
        " highlight(search_fts, 2, :start, :stop),"
        " snippet(search_fts, 3, :start, :stop, ' … ', 20)"
        " FROM search_fts JOIN best ON best.rowid = search_fts.rowid"
        " WHERE search_fts MATCH :query"
        " ORDER BY best.rank, search_fts.kind, search_fts.record_id DESC"
    )
    params = {
        "query": _fts5_query(words), "offset": offset, "limit": limit,
        "start": START, "stop": STOP,
    }
    return list(db.session.execute(stmt, params))
