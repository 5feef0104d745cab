"""The state database: what has been seen, what has been delivered, and how each source fares.

One SQLite file with a schema version. It is what makes a briefing hold everything new
exactly once: `collect` stores every article the moment it is seen (so an item that later
scrolls out of a short feed is kept), and an article counts as delivered to an audience only
when the briefing holding it has been written (`record_briefing`, one transaction).

The file is never reset behind the user's back: a file that is not a briefing database, is
corrupt, or comes from a newer version is a StateError naming the file and what to do.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import StateError
from .model import Article, Summary, SummarySentence

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    source_key TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT,
    published TEXT,
    language TEXT NOT NULL,
    origin TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    updated TEXT
);
CREATE INDEX articles_first_seen ON articles (first_seen);
CREATE TABLE sources (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_status TEXT,
    last_error TEXT,
    failing_since TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    retry_after TEXT,
    last_item_count INTEGER
);
CREATE TABLE briefings (
    id INTEGER PRIMARY KEY,
    audience TEXT NOT NULL,
    date TEXT NOT NULL,
    written_at TEXT NOT NULL,
    files TEXT NOT NULL
);
CREATE INDEX briefings_audience_date ON briefings (audience, date);
CREATE TABLE deliveries (
    audience TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id),
    briefing_id INTEGER NOT NULL REFERENCES briefings (id),
    status TEXT NOT NULL CHECK (status IN ('delivered', 'left out')),
    PRIMARY KEY (audience, article_id)
);
CREATE INDEX deliveries_briefing ON deliveries (briefing_id);
CREATE TABLE summaries (
    article_id TEXT NOT NULL,
    content_key TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (article_id, content_key)
);
CREATE TABLE sends (
    key TEXT PRIMARY KEY,
    audience TEXT NOT NULL,
    date TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recipients TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    error TEXT
);
"""


@dataclass(frozen=True)
class SourceHealth:
    key: str
    name: str
    last_attempt: datetime | None
    last_success: datetime | None
    last_status: str | None
    last_error: str | None
    failing_since: datetime | None
    consecutive_failures: int
    retry_after: datetime | None
    last_item_count: int | None
    etag: str | None
    last_modified: str | None

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


@dataclass(frozen=True)
class StoreOutcome:
    """What storing one batch of articles did."""

    new: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


@dataclass(frozen=True)
class SendRecord:
    """One email send of one audience's briefing for one date, keyed so that a restart does not repeat it."""

    key: str
    audience: str
    date: str
    message_id: str
    recipients: tuple[str, ...]
    status: str  # sending (begun, outcome unknown), sent (accepted by the server), failed
    attempts: int
    updated: datetime
    error: str | None


@dataclass(frozen=True)
class BriefingRecord:
    id: int
    audience: str
    date: str
    written_at: datetime
    files: tuple[str, ...]


def content_hash(article: Article) -> str:
    return hashlib.sha256(f"{article.title}\x1f{article.text}".encode()).hexdigest()[:16]


class Store:
    """An open state database. Use `open_store(path)`; close it, or use it as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # Articles

    def store_articles(self, articles: Iterable[Article], source_key: str, seen_at: datetime,
                       fingerprints: Mapping[str, str] | None = None) -> StoreOutcome:
        """Insert new articles, refresh edited ones (same id, new content), and note when each was seen.

        An article already stored keeps its first-seen time; an edit is not a new article.
        `fingerprints` gives each article's hash as its source told it, when the stored text
        differs from that (a feed's teaser replaced by the page's full text).
        """
        new, updated, unchanged = [], [], []
        seen = _iso(seen_at)
        with self._write():
            for article in articles:
                digest = fingerprints[article.id] if fingerprints else content_hash(article)
                row = self._db.execute("SELECT content_hash FROM articles WHERE id = ?", (article.id,)).fetchone()
                if row is None:
                    self._db.execute(
                        "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
                        (article.id, source_key, article.source, article.title, article.text, article.url,
                         _iso(article.published), article.language, article.origin, digest, seen, seen),
                    )
                    new.append(article.id)
                elif row[0] != digest:
                    self._db.execute(
                        "UPDATE articles SET title=?, text=?, url=?, published=COALESCE(?, published), "
                        "language=?, source=?, content_hash=?, last_seen=?, updated=? WHERE id=?",
                        (article.title, article.text, article.url, _iso(article.published), article.language,
                         article.source, digest, seen, seen, article.id),
                    )
                    updated.append(article.id)
                else:
                    self._db.execute("UPDATE articles SET last_seen=? WHERE id=?", (seen, article.id))
                    unchanged.append(article.id)
        return StoreOutcome(tuple(new), tuple(updated), tuple(unchanged))

    def fingerprints(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored content hash of each of these ids that is stored at all."""
        ids = list(ids)
        found: dict[str, str] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT id, content_hash FROM articles WHERE id IN ({marks})", chunk))
        return found

    def undelivered(self, audience: str, source_keys: Sequence[str] | None = None) -> list[Article]:
        """Every stored article not yet delivered to `audience` (nor left out of one of its briefings), oldest first."""
        return self._select_articles(
            "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.audience = ? AND d.article_id = a.id)",
            [audience], source_keys,
        )

    def delivered_on(self, audience: str, day: str) -> list[Article]:
        """The articles that earlier briefings for `audience` dated `day` delivered (a re-run keeps them)."""
        return self._select_articles(
            "a.id IN (SELECT d.article_id FROM deliveries d JOIN briefings b ON b.id = d.briefing_id "
            "WHERE d.audience = ? AND b.date = ? AND d.status = 'delivered')",
            [audience, day], None,
        )

    def last_delivered(self, audience: str) -> list[Article]:
        """The articles the audience's most recent briefing delivered."""
        return self._select_articles(
            "a.id IN (SELECT d.article_id FROM deliveries d WHERE d.audience = ? AND d.status = 'delivered' "
            "AND d.briefing_id = (SELECT MAX(briefing_id) FROM deliveries WHERE audience = ? AND status = 'delivered'))",
            [audience, audience], None,
        )

    def since(self, moment: datetime, source_keys: Sequence[str] | None = None) -> list[Article]:
        """Every stored article published (or, when undated, first seen) at or after `moment`."""
        return self._select_articles("COALESCE(a.published, a.first_seen) >= ?", [_iso(moment)], source_keys)

    def recent(self, limit: int, before: datetime | None = None, exclude: Iterable[str] = ()) -> list[Article]:
        """Up to `limit` stored articles most recently first seen (before `before`), leaving out `exclude`:
        earlier days' news, which helps grouping learn what today's sections look like."""
        skip = set(exclude)
        where, params = ("WHERE first_seen < ?", [_iso(before)]) if before else ("", [])
        rows = self._db.execute(
            "SELECT id, title, text, source, url, published, language, origin, first_seen "
            f"FROM articles {where} ORDER BY first_seen DESC, id LIMIT ?", [*params, limit + len(skip)],
        )
        return [a for a in (_article_from_row(row) for row in rows) if a.id not in skip][:limit]

    def article_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def _select_articles(self, where: str, params: list, source_keys: Sequence[str] | None) -> list[Article]:
        if source_keys is not None:
            if not source_keys:
                return []
            where += f" AND a.source_key IN ({','.join('?' * len(source_keys))})"
            params = [*params, *source_keys]
        rows = self._db.execute(
            "SELECT id, title, text, source, url, published, language, origin, first_seen "
            f"FROM articles a WHERE {where} ORDER BY COALESCE(a.published, a.first_seen), a.id",
            params,
        )
        return [_article_from_row(row) for row in rows]

    # Briefings and deliveries

    def record_briefing(self, audience: str, day: str, article_ids: Iterable[str], files: Sequence[Path],
                        written_at: datetime, left_out: Iterable[str] = ()) -> int:
        """Mark the articles delivered to `audience`; call only once the briefing's files are written.

        `left_out` are articles the audience was offered but does not get (its keywords,
        sections or limits cut them): recorded so that they are not offered again, but never
        as delivered.
        """
        with self._write():
            cursor = self._db.execute(
                "INSERT INTO briefings (audience, date, written_at, files) VALUES (?,?,?,?)",
                (audience, day, _iso(written_at), json.dumps([str(f) for f in files])),
            )
            briefing_id = cursor.lastrowid
            delivered = list(dict.fromkeys(article_ids))
            self._db.executemany(
                "INSERT INTO deliveries (audience, article_id, briefing_id, status) VALUES (?,?,?,'delivered') "
                "ON CONFLICT (audience, article_id) DO UPDATE SET briefing_id = excluded.briefing_id, "
                "status = 'delivered' WHERE deliveries.status = 'left out'",
                [(audience, article_id, briefing_id) for article_id in delivered],
            )
            self._db.executemany(
                "INSERT INTO deliveries (audience, article_id, briefing_id, status) VALUES (?,?,?,'left out') "
                "ON CONFLICT (audience, article_id) DO NOTHING",
                [(audience, article_id, briefing_id) for article_id in left_out if article_id not in delivered],
            )
        return briefing_id  # type: ignore[return-value]

    def briefings(self, audience: str | None = None) -> list[BriefingRecord]:
        where, params = ("WHERE audience = ?", [audience]) if audience else ("", [])
        rows = self._db.execute(
            f"SELECT id, audience, date, written_at, files FROM briefings {where} ORDER BY id", params
        )
        return [BriefingRecord(r[0], r[1], r[2], _parse(r[3]), tuple(json.loads(r[4]))) for r in rows]

    def delivered_ids(self, audience: str) -> set[str]:
        rows = self._db.execute(
            "SELECT article_id FROM deliveries WHERE audience = ? AND status = 'delivered'", (audience,))
        return {r[0] for r in rows}

    # Summaries of unchanged articles, kept between runs

    def summary_cache(self) -> StoredSummaries:
        return StoredSummaries(self)

    # Email sends

    def send_record(self, key: str) -> SendRecord | None:
        row = self._db.execute(
            "SELECT key, audience, date, message_id, recipients, status, attempts, updated, error "
            "FROM sends WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return SendRecord(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6],
                          _parse(row[7]), row[8])  # type: ignore[arg-type]

    def begin_send(self, key: str, audience: str, day: str, message_id: str, recipients: Sequence[str],
                   at: datetime) -> None:
        """Note that a send is starting, before the first byte goes out: a crash leaves it 'sending'."""
        with self._write():
            self._db.execute(
                "INSERT INTO sends (key, audience, date, message_id, recipients, status, attempts, updated) "
                "VALUES (?,?,?,?,?,'sending',0,?) ON CONFLICT (key) DO UPDATE SET status='sending', "
                "recipients=excluded.recipients, updated=excluded.updated, error=NULL",
                (key, audience, day, message_id, json.dumps(list(recipients)), _iso(at)),
            )

    def finish_send(self, key: str, *, sent: bool, attempts: int, at: datetime, error: str | None = None) -> None:
        with self._write():
            self._db.execute(
                "UPDATE sends SET status=?, attempts=attempts+?, updated=?, error=? WHERE key=?",
                ("sent" if sent else "failed", attempts, _iso(at), error, key),
            )

    # Sources

    def source_health(self, key: str) -> SourceHealth | None:
        row = self._db.execute(f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE key = ?", (key,)).fetchone()
        return _health_from_row(row) if row else None

    def all_source_health(self) -> list[SourceHealth]:
        rows = self._db.execute(f"SELECT {_SOURCE_COLUMNS} FROM sources ORDER BY name")
        return [_health_from_row(row) for row in rows]

    def record_success(self, key: str, name: str, at: datetime, *, status: str, item_count: int | None,
                       etag: str | None = None, last_modified: str | None = None) -> None:
        with self._write():
            self._ensure_source(key, name)
            self._db.execute(
                "UPDATE sources SET name=?, last_attempt=?, last_success=?, last_status=?, last_error=NULL, "
                "failing_since=NULL, consecutive_failures=0, retry_after=NULL, "
                "last_item_count=COALESCE(?, last_item_count), etag=COALESCE(?, etag), "
                "last_modified=COALESCE(?, last_modified) WHERE key=?",
                (name, _iso(at), _iso(at), status, item_count, etag, last_modified, key),
            )

    def record_failure(self, key: str, name: str, at: datetime, *, status: str, error: str,
                       retry_after: datetime | None = None) -> SourceHealth:
        with self._write():
            self._ensure_source(key, name)
            self._db.execute(
                "UPDATE sources SET name=?, last_attempt=?, last_status=?, last_error=?, "
                "failing_since=COALESCE(failing_since, ?), consecutive_failures=consecutive_failures+1, "
                "retry_after=? WHERE key=?",
                (name, _iso(at), status, error, _iso(at), _iso(retry_after), key),
            )
        return self.source_health(key)  # type: ignore[return-value]

    def _ensure_source(self, key: str, name: str) -> None:
        self._db.execute("INSERT INTO sources (key, name) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, name))

    @contextmanager
    def _write(self) -> Iterator[None]:
        try:
            with self._db:
                yield
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: could not write to the state database ({exc}).") from exc


class StoredSummaries:
    """The state store as a summary cache (`summarise.SummaryCache`): a summary is kept under the
    article and a key of everything it depends on, so an unchanged article is not summarised again."""

    def __init__(self, store: Store) -> None:
        self._db = store._db
        self._store = store

    def get(self, article_id: str, content_key: str) -> Summary | None:
        row = self._db.execute("SELECT summary FROM summaries WHERE article_id = ? AND content_key = ?",
                               (article_id, content_key)).fetchone()
        return _summary_from_json(row[0]) if row else None

    def put_many(self, entries: Sequence[tuple[str, str, Summary]]) -> None:
        with self._store._write():
            rows = [(article_id, key, _summary_to_json(summary)) for article_id, key, summary in entries]
            self._db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?)", rows)


def _summary_to_json(summary: Summary) -> str:
    return json.dumps({"article_id": summary.article_id, "method": summary.method,
                       "sentences": [[s.text, s.position, s.article_id] for s in summary.sentences]})


def _summary_from_json(text: str) -> Summary:
    data = json.loads(text)
    sentences = tuple(SummarySentence(t, p, a) for t, p, a in data["sentences"])
    return Summary(data["article_id"], sentences, data["method"])


_SOURCE_COLUMNS = ("key, name, last_attempt, last_success, last_status, last_error, failing_since, "
                   "consecutive_failures, retry_after, last_item_count, etag, last_modified")


def open_store(path: Path) -> Store:
    """Open the state database at `path`, creating it (and its folder) when it does not exist."""
    path = Path(path)
    creating = not path.exists() or path.stat().st_size == 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise StateError(f"{path}: cannot open the state database ({exc}); check the state: path.") from exc
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = WAL")
        if creating:
            _create(connection)
        else:
            _check(connection, path)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise StateError(
            f"{path}: not a usable briefing state database ({exc}). It is left as it is: restore it from a "
            "backup, or move it aside to start afresh (every article will then count as new)."
        ) from exc
    except StateError:
        connection.close()
        raise
    return Store(connection, path)


def _create(connection: sqlite3.Connection) -> None:
    with connection:
        connection.executescript(_SCHEMA)
        connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def _check(connection: sqlite3.Connection, path: Path) -> None:
    if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        raise sqlite3.DatabaseError("integrity check failed")
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None:
        raise StateError(f"{path}: this SQLite file is not a briefing state database; point state: elsewhere.")
    version = int(row[0])
    if version > SCHEMA_VERSION:
        raise StateError(
            f"{path}: written by a newer briefing (schema {version}, this one reads {SCHEMA_VERSION}); upgrade briefing."
        )


def _article_from_row(row: tuple) -> Article:
    article_id, title, text, source, url, published, language, origin, first_seen = row
    return Article(
        id=article_id, title=title, text=text, source=source, url=url,
        published=_parse(published) or _parse(first_seen),
        language=language, origin=origin,
    )


def _health_from_row(row: tuple) -> SourceHealth:
    (key, name, attempt, success, status, error, failing_since, failures, retry_after, count, etag, modified) = row
    return SourceHealth(key, name, _parse(attempt), _parse(success), status, error, _parse(failing_since),
                        failures, _parse(retry_after), count, etag, modified)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
