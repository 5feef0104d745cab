import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from briefing.errors import StateError
from briefing.state import SCHEMA_VERSION, open_store

from .support import make_article

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_a_new_file_gets_the_schema_and_its_version(tmp_path):
    path = tmp_path / "deep" / "state.sqlite"
    with open_store(path) as store:
        assert store.article_count() == 0
    version = sqlite3.connect(path).execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION


def test_new_edited_and_unchanged_articles_are_told_apart(tmp_path):
    a, b = make_article(id="a", title="A"), make_article(id="b", title="B")
    with open_store(tmp_path / "s.sqlite") as store:
        first = store.store_articles([a, b], "src", T0)
        assert sorted(first.new) == [a.id, b.id]
        edited = replace(a, text=a.text + " Correction appended.")
        second = store.store_articles([edited, b], "src", T0 + timedelta(hours=1))
        assert second.new == () and second.updated == (a.id,) and second.unchanged == (b.id,)
        (stored_a,) = [x for x in store.undelivered("default") if x.id == a.id]
        assert stored_a.text.endswith("Correction appended.")


def test_undated_articles_take_their_first_seen_time(tmp_path):
    undated = replace(make_article(id="u"), published=None)
    with open_store(tmp_path / "s.sqlite") as store:
        store.store_articles([undated], "src", T0)
        store.store_articles([undated], "src", T0 + timedelta(days=2))
        (article,) = store.undelivered("default")
    assert article.published == T0


def test_delivery_is_per_audience_and_only_once(tmp_path):
    a, b = make_article(id="a"), make_article(id="b")
    with open_store(tmp_path / "s.sqlite") as store:
        store.store_articles([a, b], "src", T0)
        store.record_briefing("default", "2026-03-01", [a.id], [tmp_path / "x.pdf"], T0)
        assert [x.id for x in store.undelivered("default")] == [b.id]
        assert {x.id for x in store.undelivered("executive")} == {a.id, b.id}
        # A second briefing that includes `a` again does not move its delivery.
        store.record_briefing("default", "2026-03-02", [a.id, b.id], [], T0)
        assert [x.id for x in store.delivered_on("default", "2026-03-01")] == [a.id]
        assert [r.date for r in store.briefings("default")] == ["2026-03-01", "2026-03-02"]


def test_since_and_source_filters(tmp_path):
    old = replace(make_article(id="old"), published=T0 - timedelta(days=10))
    new = replace(make_article(id="new"), published=T0)
    with open_store(tmp_path / "s.sqlite") as store:
        store.store_articles([old], "one", T0)
        store.store_articles([new], "two", T0)
        assert [a.id for a in store.since(T0 - timedelta(days=1))] == [new.id]
        assert [a.id for a in store.undelivered("default", ["one"])] == [old.id]
        assert store.undelivered("default", []) == []


def test_source_health_counts_failures_and_remembers_since_when(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        store.record_success("u", "Wire", T0, status="200", item_count=5, etag='"v1"', last_modified="Mon")
        store.record_failure("u", "Wire", T0 + timedelta(hours=1), status="500", error="HTTP 500")
        health = store.record_failure("u", "Wire", T0 + timedelta(hours=2), status="timeout", error="timed out")
        assert (health.consecutive_failures, health.failing_since, health.last_error) == (
            2, T0 + timedelta(hours=1), "timed out")
        assert health.etag == '"v1"' and health.last_success == T0
        store.record_success("u", "Wire", T0 + timedelta(hours=3), status="304 not modified", item_count=None)
        health = store.source_health("u")
        assert health.healthy and health.failing_since is None and health.last_item_count == 5


def test_a_corrupt_file_is_a_clear_error_and_is_left_alone(tmp_path):
    path = tmp_path / "s.sqlite"
    garbage = b"this is not a database at all" * 100
    path.write_bytes(garbage)
    with pytest.raises(StateError, match="restore it from a backup"):
        open_store(path)
    assert path.read_bytes() == garbage


def test_another_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StateError, match="not a briefing state database"):
        open_store(path)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    open_store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StateError, match="newer briefing"):
        open_store(path)


def test_articles_left_out_are_not_offered_again_nor_counted_delivered(tmp_path):
    a, b = make_article(id="a"), make_article(id="b")
    with open_store(tmp_path / "s.sqlite") as store:
        store.store_articles([a, b], "src", T0)
        store.record_briefing("exec", "2026-03-01", [a.id], [], T0, left_out=[b.id])
        assert store.undelivered("exec") == []
        assert store.delivered_ids("exec") == {a.id}
        assert [x.id for x in store.delivered_on("exec", "2026-03-01")] == [a.id]
        # A later briefing that does deliver it (e.g. with --since) records the delivery.
        store.record_briefing("exec", "2026-03-02", [b.id], [], T0)
        assert store.delivered_ids("exec") == {a.id, b.id}


def test_summaries_are_kept_by_article_and_key(tmp_path):
    from briefing.model import Summary, SummarySentence

    summary = Summary("a", (SummarySentence("First.", 0), SummarySentence("Third.", 2, "a")), "briefing")
    with open_store(tmp_path / "s.sqlite") as store:
        cache = store.summary_cache()
        assert cache.get("a", "k1") is None
        cache.put_many([("a", "k1", summary), ("a", "k2", Summary("a", (), "lead"))])
    with open_store(tmp_path / "s.sqlite") as store:
        assert store.summary_cache().get("a", "k1") == summary
        assert store.summary_cache().get("a", "k2").method == "lead"


def test_recent_articles_for_history_leave_out_todays(tmp_path):
    old = [make_article(id=f"o{n}") for n in range(3)]
    with open_store(tmp_path / "s.sqlite") as store:
        for n, article in enumerate(old):
            store.store_articles([article], "src", T0 + timedelta(hours=n))
        store.store_articles([make_article(id="today")], "src", T0 + timedelta(days=1))
        assert [a.id for a in store.recent(2, exclude=["today"])] == ["o2", "o1"]
        assert [a.id for a in store.recent(5, before=T0 + timedelta(hours=2))] == ["o1", "o0"]
