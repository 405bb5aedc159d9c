"""The set-based path for well-formed CSV: PostgreSQL parses and checks, Python the rest.

Why: the row path (csv_reader -> rows.check_row -> spool -> COPY) spends Python work on
every row and tops out near 13% of a plain COPY. Most delivered files are well formed, so
for them:
  1. the file's bytes stream once: hashed, scanned, transcoded to UTF-8 when it is GB18030
     (Python's codec: the one the row path uses) and sent with COPY into a temporary table
     of text columns, PostgreSQL parsing the CSV;
  2. every distinct date value is normalised in Python by the same `rows.normalised_when`
     the row path uses (one date formula; exports repeat dates, so this is small);
  3. one INSERT ... SELECT moves the rows that pass every check of `rows.check_row` into
     `raw`, with the values that check would have produced;
  4. the rest (a few rows with a missing key, a bad change flag, a date that is not one)
     come back as items, and the loader runs them through `check_row` like any reader's:
     so every rejection reason and message is still written in one place.

The path applies only when PostgreSQL and Python's csv module must agree on every field:
no quote character in the file, the same number of fields on every line, one record per
line, bytes that decode. Otherwise `bulk_load` returns None with nothing changed (its
savepoint rolled back) and the row path reads the file. Equivalence with the row path is
a tested property (tests/integration/test_csv_copy.py).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from countyhealth.config import Facility
from countyhealth.ingest.csv_reader import HeaderPlan, has_utf8_bom, header_plan, text_codec
from countyhealth.ingest.readers import Item
from countyhealth.ingest.rows import EMPTY, latest_moment, normalised_when
from countyhealth.ingest.tables import LINEAGE_COLUMNS, TABLES, CanonicalTable

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
# Below this size the row path is as fast: the set-based path costs a few round trips and
# temporary tables per file (measured: ~7 ms, the row path's time for ~500 rows).
MIN_BYTES = 128 << 10
# What str.strip() removes (str.isspace), so SQL trims exactly as the row path does.
WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
# In UTF-8 bytes: whitespace other than ' ', CR and LF, wherever it is ...
_RARE_SPACE = tuple(c.encode() for c in WHITESPACE if len(c.encode()) == 1 and c not in " \r\n")
_WIDE_SPACE = re.compile(b"|".join(re.escape(c.encode()) for c in WHITESPACE
                                   if len(c.encode()) > 1))
_WIDE_LEADS = tuple({bytes([c.encode()[0]]) for c in WHITESPACE if len(c.encode()) > 1})
# ... and a space at the edge of a field.
_EDGE_SPACE = (b" ,", b", ", b" \r", b" \n", b"\n ")


class _NotBulk(Exception):
    """This file needs the row path (the reason is logged)."""


class _WrongGuess(_NotBulk):
    """The file is not in the encoding tried: try the next one."""


@dataclass
class BulkLoad:
    """What the set-based path did with one file: rows already in `raw`, and the items the
    loader must still check one by one."""

    rows_loaded: int
    sha256: str
    encoding: str
    remainder: Iterator[Item]


def needs_trim(chunk: bytes) -> bool:
    """True when some field may carry whitespace str.strip() would remove (UTF-8 bytes).
    Cheap byte searches; a false alarm only makes the SQL trim every value."""
    if any(b in chunk for b in _RARE_SPACE):
        return True
    if any(b in chunk for b in _WIDE_LEADS) and _WIDE_SPACE.search(chunk):
        return True
    return b" " in chunk and any(e in chunk for e in _EDGE_SPACE)


_TOKENS = tuple(t.encode() for t in sorted(EMPTY) if t)
_TOKEN_FIELDS = tuple(a + t + b for t in _TOKENS for a in (b",", b"\n")
                      for b in (b",", b"\r", b"\n"))


def has_placeholder(chunk: bytes) -> bool:
    """True when some field may be a whole "no value" token ("-", "null", ...), so the SQL
    must map tokens to NULL (UTF-8 bytes of unpadded fields). A cheap search for each token
    first; the exact field patterns only where one occurs."""
    return any(t in chunk for t in _TOKENS) and any(f in chunk for f in _TOKEN_FIELDS)


def _check_defaults(plan: HeaderPlan) -> None:
    if any("\x00" in str(v) for _, v in plan.defaults):
        raise _NotBulk("a configured default holds a NUL byte")


def _field(i: int) -> sql.Identifier:
    return sql.Identifier(f"c{i}")


def _source(plan: HeaderPlan, column: str) -> sql.Composable | str | None:
    """A canonical column's text as the file gives it (SQL over the temp table's fields),
    or the config's default for it (a str), or None when neither has it."""
    match plan.source(column):
        case ("composite", idx):
            return sql.SQL(" || '|' || ").join(
                sql.SQL("coalesce({}, '')").format(_field(i)) for i in idx)
        case ("field", i):
            return _field(i)
        case ("default", value):
            return value if isinstance(value, str) else str(value)
    return None


def _cleaned(source: sql.Composable | str | None, trim: bool, tokens: bool) -> sql.Composable:
    """SQL for check_row's cleaning of a value: strip, then "no value" tokens to NULL.
    Each step only when the file's bytes showed it may matter (see _Scan). (Tokens are at
    most 4 bytes: the length test spares longer values the comparisons.)"""
    if source is None:
        return sql.SQL("null::text")
    if isinstance(source, str):  # a configured constant: cleaned here, once
        text = source.strip()
        return sql.SQL("{}::text").format(sql.Literal(None if text in EMPTY else text))
    if trim:
        source = sql.SQL("btrim({}, {})").format(source, sql.Literal(WHITESPACE))
    elif not tokens:
        return source
    width = max(len(t.encode()) for t in EMPTY)
    return sql.SQL("case when octet_length({v}) > {w} then {v} when {v} in ({tokens}) "
                   "then null else {v} end").format(
        v=source, w=sql.Literal(width),
        tokens=sql.SQL(", ").join(map(sql.Literal, sorted(EMPTY))))


@dataclass
class _Scan:
    """What streaming a file learnt: what the SQL must do, and what was sent."""

    rows: int = 0
    sha256: str = ""
    trim: bool = False  # some field may carry whitespace str.strip() removes
    tokens: bool = False  # some field may be a "no value" token

    def look(self, text: bytes) -> None:
        self.trim = self.trim or needs_trim(text)
        self.tokens = self.tokens or has_placeholder(text)


def _stream(conn: psycopg.Connection, path: Path, encoding: str, width: int, temp: str,
            check_utf8: bool) -> _Scan:
    """COPY the file into `temp`, as UTF-8, learning what its bytes need on the way.
    `check_utf8`: UTF-8 is a guess, so check it here (_WrongGuess when it fails)."""
    scan, sha = _Scan(), hashlib.sha256()
    utf8 = encoding in ("utf-8", "utf-8-sig")
    decoder = (codecs.getincrementaldecoder(encoding)("strict")
               if not utf8 or check_utf8 else None)
    newlines, last, partial = 0, b"", 0
    columns = sql.SQL(", ").join(_field(i) for i in range(width))
    with conn.cursor() as cur, path.open("rb") as fh:
        copy = sql.SQL("copy {} ({}) from stdin with (format csv, header true, "
                       "encoding 'UTF8', freeze true)").format(sql.Identifier(temp), columns)
        with cur.copy(copy) as cp:
            while chunk := fh.read(_CHUNK):
                sha.update(chunk)
                if b'"' in chunk:
                    raise _NotBulk("the file quotes fields")
                if decoder is not None:
                    try:
                        text = decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        raise _WrongGuess(f"not valid {encoding}: {exc.reason}") from exc
                    if not utf8:
                        chunk = text.encode("utf-8")
                newlines += chunk.count(b"\n")
                partial = _longest_line(chunk, partial)
                scan.look(last[-5:] + chunk)  # a pattern may straddle the cut
                last = chunk
                cp.write(chunk)
            if decoder is not None:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError as exc:
                    raise _WrongGuess(f"not valid {encoding}: {exc.reason}") from exc
        scan.rows = cur.rowcount
    scan.look(last[-5:] + b"\n")  # the last line may have no line end
    lines = newlines + (1 if last and not last.endswith(b"\n") else 0)
    if scan.rows != lines - 1:
        raise _NotBulk(f"{scan.rows} CSV rows on {lines - 1} data lines")
    scan.sha256 = sha.hexdigest()
    return scan


def _longest_line(chunk: bytes, partial: int) -> int:
    """The length of the line still open at the end of `chunk` (`partial`: the one open
    before it); _NotBulk once a line could hold a field longer than Python's csv module
    reads (csv.field_size_limit): the row path then reports it as that module does."""
    limit = csv.field_size_limit()
    cut = chunk.find(b"\n")
    if cut < 0:
        partial += len(chunk)
    else:
        longest = max(partial + cut, *map(len, chunk[cut + 1:].split(b"\n")))
        partial = len(chunk) - chunk.rfind(b"\n") - 1
        if longest > limit:
            raise _NotBulk("a line longer than the csv module's field limit")
    if partial > limit:
        raise _NotBulk("a line longer than the csv module's field limit")
    return partial


def _read_header(path: Path, codec: str) -> list[str]:
    with path.open("rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise _NotBulk("no header line")
    try:
        text = first.decode(codec)
    except UnicodeDecodeError as exc:
        raise _WrongGuess(f"header not valid {codec}") from exc
    try:
        return next(csv.reader([text], strict=True))
    except (csv.Error, StopIteration) as exc:
        raise _NotBulk(f"header not plain CSV: {exc}") from exc


def _when_lookup(conn: psycopg.Connection, temp: str, sources: list[sql.Composable]) -> str:
    """Every distinct text of the file's date columns, cleaned and normalised in Python by
    check_row's own rules (strip, "no value" tokens, rows.normalised_when)."""
    lookup = f"{temp}_when"
    conn.execute(sql.SQL("create temp table {} (raw text not null, empty boolean not null, "
                         "moment timestamp, iso_date text, iso_ts text) on commit drop")
                 .format(sql.Identifier(lookup)))
    # distinct per column first: cheaper than one distinct over all of them
    union = sql.SQL(" union all ").join(
        sql.SQL("select distinct {} from {}").format(v, sql.Identifier(temp)) for v in sources)
    with conn.cursor() as cur:
        distinct = [r[0] for r in cur.execute(
            sql.SQL("select v from ({}) d(v) where v is not null group by v").format(union))]
        with cur.copy(sql.SQL("copy {} from stdin").format(sql.Identifier(lookup))) as cp:
            for raw in distinct:
                text = raw.strip()
                if text in EMPTY:
                    cp.write_row((raw, True, None, None, None))
                else:
                    cp.write_row((raw, False, *(normalised_when(text) or (None,) * 3)))
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(lookup)))
    return lookup


@dataclass(frozen=True)
class _CleanRows:
    """The SQL that picks the rows check_row would accept and gives their values."""

    values: list[sql.Composable]
    joins: sql.Composable
    accepted: sql.Composable


def _clean_rows(conn: psycopg.Connection, table: CanonicalTable, plan: HeaderPlan,
                temp: str, scan: _Scan, export_date: dt.date) -> _CleanRows:
    dated = [c for c in table.columns if c in table.dates or c in table.timestamps]
    sources = {c: _source(plan, c) for c in table.columns}
    with_text = [c for c in dated if sources[c] is not None]
    texts = {c: sql.Literal(v) if isinstance(v, str) else v for c, v in sources.items()
             if v is not None}
    lookup = _when_lookup(conn, temp, [texts[c] for c in with_text]) if with_text else None
    latest = sql.Literal(latest_moment(export_date))
    values: dict[str, sql.Composable] = {}
    joins: list[sql.Composable] = []
    checks: list[sql.Composable] = []
    for c in table.columns:
        if c not in with_text:
            values[c] = _cleaned(sources[c], scan.trim, scan.tokens)
            continue
        w = sql.Identifier(f"w_{c}")
        joins.append(sql.SQL("left join {} {} on {}.raw = {}").format(
            sql.Identifier(lookup), w, w, texts[c]))
        values[c] = sql.SQL("{}.{}").format(w, sql.Identifier(
            "iso_date" if c in table.dates else "iso_ts"))
        readable = (sql.SQL("{}.moment is not null").format(w) if c in table.future_allowed
                    else sql.SQL("{}.moment <= {}").format(w, latest))
        checks.append(sql.SQL("({} is null or {}.empty or {})").format(texts[c], w, readable))
    checks = [*(sql.SQL("{} is not null").format(values[c]) for c in table.required),
              sql.SQL("{} in ('1', '2', '3')").format(values["change_flag"]), *checks]
    return _CleanRows([values[c] for c in table.columns], sql.SQL(" ").join(joins),
                      sql.SQL(" and ").join(checks))


def _insert_clean(conn: psycopg.Connection, table: CanonicalTable, clean: _CleanRows,
                  temp: str, lineage: tuple) -> int:
    """One INSERT ... SELECT of every row check_row would accept, as it would store it."""
    query = sql.SQL(
        "insert into raw.{table} ({columns}) select {values}, {lineage}, t._pos "
        "from {temp} t {joins} where {accepted}"
    ).format(table=sql.Identifier(table.name),
             columns=sql.SQL(", ").join(map(sql.Identifier, (*table.columns,
                                                             *LINEAGE_COLUMNS))),
             values=sql.SQL(", ").join(clean.values),
             lineage=sql.SQL(", ").join(map(sql.Literal, lineage)),
             temp=sql.Identifier(temp), joins=clean.joins, accepted=clean.accepted)
    return conn.execute(query).rowcount


def _remainder(conn: psycopg.Connection, plan: HeaderPlan, clean: _CleanRows, temp: str,
               rows: int, loaded: int) -> Iterator[Item]:
    """The rows the INSERT left behind, in file order, as the row path's reader gives them.
    (Found again by the same test, negated: cheaper than recording every loaded row.)"""
    try:
        if loaded < rows:
            fields = sql.SQL(", ").join(sql.SQL("t.{}").format(_field(i))
                                        for i in range(plan.width))
            with conn.cursor(name=f"{temp}_rest") as cur:
                cur.itersize = 5000
                cur.execute(sql.SQL(
                    "select t._pos, {} from {} t {} where ({}) is not true order by t._pos")
                    .format(fields, sql.Identifier(temp), clean.joins, clean.accepted))
                for pos, *values in cur:
                    item = plan.item(pos, [v if v is not None else "" for v in values])
                    if item is not None:
                        yield item
    finally:
        if not conn.closed and \
                conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            for name in (temp, f"{temp}_when"):
                conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(name)))


def _roomy_temp_buffers(conn: psycopg.Connection) -> None:
    """Keep the session's temporary tables in memory (default: 8 MB, so a big file's rows
    would go to disk and back). Possible only before the session's first temporary table."""
    if conn.execute("show temp_buffers").fetchone()[0] == "256MB":
        return
    try:
        with conn.transaction():
            conn.execute("set temp_buffers = '256MB'")
    except psycopg.errors.CantChangeRuntimeParam:
        log.debug("temp_buffers stays as it is: this session already used temporary tables")


def _guesses(path: Path, facility: Facility) -> list[str]:
    """The encodings to try, in detect_encoding's order. With "auto", strict UTF-8 is
    checked while the file streams (beside the COPY) rather than in a pass of its own."""
    if facility.encoding != "auto":
        return [facility.encoding]
    return ["utf-8-sig"] if has_utf8_bom(path) else ["utf-8", "gb18030"]


def bulk_load(conn: psycopg.Connection, path: Path, *, kind: str, facility: Facility,
              export_date: dt.date, lineage: tuple, file_id: int) -> BulkLoad | None:
    """Load the well-formed part of a CSV file set-based; None when the row path must read
    it (nothing changed then). `lineage` is (batch, file, facility, export date)."""
    table = TABLES.get(kind)
    if table is None or path.stat().st_size < MIN_BYTES:
        return None
    temp = f"_chw_load_{file_id}"
    _roomy_temp_buffers(conn)
    for encoding in _guesses(path, facility):
        try:
            plan = header_plan(_read_header(path, text_codec(encoding)), kind, facility)
            _check_defaults(plan)
            with conn.transaction():
                # No statistics on the temporary table: the planner may guess it holds a
                # row or two and loop over it and the lookup (minutes, not a second, on a
                # big file). Hash joins suit every size here; "local": until the delivery's
                # transaction ends.
                conn.execute("set local enable_nestloop = off")
                conn.execute("set local enable_mergejoin = off")
                fields = sql.SQL(", ").join(sql.SQL("{} text").format(_field(i))
                                            for i in range(plan.width))
                conn.execute(sql.SQL("create temp table {} ({}, _pos bigint generated always "
                                     "as identity (start with 2)) on commit drop")
                             .format(sql.Identifier(temp), fields))
                scan = _stream(conn, path, text_codec(encoding), plan.width, temp,
                               check_utf8=facility.encoding == "auto")
                clean = _clean_rows(conn, table, plan, temp, scan, export_date)
                loaded = _insert_clean(conn, table, clean, temp, lineage)
        except _WrongGuess as why:
            log.debug("%s: not %s (%s)", path.name, encoding, why)
            continue
        except _NotBulk as why:
            log.debug("%s: row path (%s)", path.name, why)
            return None
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError) or conn.closed:
                raise
            log.debug("%s: row path (COPY refused it: %s)", path.name, exc)
            return None
        return BulkLoad(loaded, scan.sha256, encoding,
                        _remainder(conn, plan, clean, temp, scan.rows, loaded))
    return None  # not UTF-8, and GB18030 did not decode it either: the row path says where
