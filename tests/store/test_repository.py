"""The store on SQLite and PostgreSQL: the same behaviour, and nothing half-written."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from alliance.core.banks import BankPurpose, EntryStatus, NewEntry
from alliance.core.errors import Conflict, InvalidRequest, NotFound
from alliance.core.signals import Signal, ViewSignal
from alliance.store.db import create_store_engine, upgrade
from alliance.store.models import EntryRow, SignalRow
from alliance.store.repository import Store


def pdq(n: int) -> Signal:
    return Signal("pdq", format(n, "064x"), 90)


def md5(n: int) -> Signal:
    return Signal("md5", format(n, "032x"))


def entry(n: int) -> NewEntry:
    return NewEntry(signals=(pdq(n), md5(n)), note=f"entry {n}", metadata={"n": n}, source=f"test:{n}")


@pytest.fixture
def bank_id(store: Store) -> int:
    org = store.ensure_organisation("Hotline", "gb")
    return store.create_bank("known", org.id, BankPurpose.KNOWN, "test bank", {"pdq": 31}).id


def count_rows(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(EntryRow)) or 0, session.scalar(
            select(func.count()).select_from(SignalRow)
        ) or 0


def test_organisation_is_created_once(store: Store):
    first = store.ensure_organisation("Hotline", "gb")
    again = store.ensure_organisation("Hotline", "gb")
    assert first == again and first.country == "GB"


def test_bank_create_get_list(store: Store, bank_id: int):
    bank = store.get_bank("known")
    assert (bank.id, bank.purpose, bank.enabled, bank.thresholds, bank.owner.name) == (
        bank_id,
        BankPurpose.KNOWN,
        True,
        {"pdq": 31},
        "Hotline",
    )
    assert [b.name for b in store.list_banks()] == ["known"]


def test_duplicate_bank_name_is_a_conflict(store: Store, bank_id: int):
    org = store.ensure_organisation("Hotline", "gb")
    with pytest.raises(Conflict, match="already exists"):
        store.create_bank("known", org.id, BankPurpose.KNOWN, "", {})


def test_unknown_bank(store: Store):
    with pytest.raises(NotFound, match="no bank called 'nope'"):
        store.get_bank("nope")
    with pytest.raises(NotFound):
        store.add_entries(999, [entry(1)])


def test_entries_round_trip_with_signals_and_metadata(store: Store, bank_id: int):
    added, duplicates = store.add_entries(bank_id, [entry(1), entry(2)])
    assert duplicates == []
    stored = store.get_entry(added[0].id)
    assert stored.signals == (pdq(1), md5(1))
    assert (stored.note, stored.metadata, stored.source, stored.status) == (
        "entry 1",
        {"n": 1},
        "test:1",
        EntryStatus.CONFIRMED,
    )
    assert [e.id for e in store.list_entries(bank_id)] == [e.id for e in added]
    assert store.get_bank("known").entry_count == 2


def test_duplicates_fail_the_whole_batch(store: Store, engine: Engine, bank_id: int):
    store.add_entries(bank_id, [entry(1)])
    before = count_rows(engine)
    with pytest.raises(Conflict, match=r"1 of 3 entries are already in bank 'known'.*Nothing was added"):
        store.add_entries(bank_id, [entry(5), entry(1), entry(6)])
    assert count_rows(engine) == before


def test_duplicates_within_a_batch(store: Store, bank_id: int):
    with pytest.raises(Conflict, match="an earlier record"):
        store.add_entries(bank_id, [entry(5), entry(5)])


def test_skip_duplicates_adds_the_rest(store: Store, bank_id: int):
    store.add_entries(bank_id, [entry(1)])
    added, duplicates = store.add_entries(bank_id, [entry(1), entry(2)], skip_duplicates=True)
    assert [e.signals for e in added] == [entry(2).signals]
    assert [d.existing_entry_id for d in duplicates] == [1]


def test_same_pdq_with_new_file_hashes_is_not_a_duplicate(store: Store, bank_id: int):
    store.add_entries(bank_id, [entry(1)])
    reencoded = NewEntry(signals=(pdq(1), md5(99)))
    added, _ = store.add_entries(bank_id, [reencoded])
    assert len(added) == 1


def test_retire_keeps_the_entry_and_logs_a_change(store: Store, bank_id: int):
    (added,), _ = store.add_entries(bank_id, [entry(1)])
    before = store.current_sequence()
    retired = store.retire_entry(added.id, "false positive")
    assert retired.status == EntryStatus.RETIRED
    assert retired.metadata["retired_reason"] == "false positive"
    assert store.list_entries(bank_id) == []
    assert [e.id for e in store.list_entries(bank_id, include_retired=True)] == [added.id]
    assert [(c.kind, c.entry_id) for c in store.changes_since(before)] == [("entry_retired", added.id)]
    with pytest.raises(InvalidRequest, match="already retired"):
        store.retire_entry(added.id, "again")
    with pytest.raises(NotFound):
        store.retire_entry(12345, "nope")


def test_change_log_is_monotonic_and_complete(store: Store, bank_id: int):
    start = store.current_sequence()
    added, _ = store.add_entries(bank_id, [entry(1), entry(2)])
    store.set_bank_enabled("known", False)
    changes = store.changes_since(start)
    assert [c.kind for c in changes] == ["entry_added", "entry_added", "bank_disabled"]
    assert [c.seq for c in changes] == sorted(c.seq for c in changes)
    assert store.current_sequence() == changes[-1].seq
    assert {c.entry_id for c in changes[:2]} == {e.id for e in added}


def test_exact_lookup_ignores_retired_entries(store: Store, bank_id: int):
    added, _ = store.add_entries(bank_id, [entry(1), entry(2)])
    found = store.find_signals("md5", [md5(1).value, md5(2).value, md5(3).value])
    assert sorted(s.entry_id for s in found) == sorted(e.id for e in added)
    store.retire_entry(added[0].id, "test")
    assert [s.entry_id for s in store.find_signals("md5", [md5(1).value])] == []


def test_list_entries_pages(store: Store, bank_id: int):
    added, _ = store.add_entries(bank_id, [entry(n) for n in range(5)])
    first = store.list_entries(bank_id, limit=2)
    rest = store.list_entries(bank_id, after_id=first[-1].id)
    assert [e.id for e in first + rest] == [e.id for e in added]


@pytest.mark.parametrize("entry_id", [0, -1, 2**63, 10**30])
def test_ids_no_row_can_have_are_not_found(store: Store, entry_id: int):
    with pytest.raises(NotFound):
        store.get_entry(entry_id)
    with pytest.raises(NotFound):
        store.retire_entry(entry_id, "x")


def test_list_entries_filters(store: Store, bank_id: int):
    added, _ = store.add_entries(bank_id, [entry(n) for n in range(4)])
    store.retire_entry(added[0].id, "test")
    assert [e.id for e in store.list_entries(bank_id, status=EntryStatus.RETIRED)] == [added[0].id]
    assert len(store.list_entries(bank_id, status=EntryStatus.CONFIRMED)) == 3
    assert [e.source for e in store.list_entries(bank_id, source_prefix="test:2")] == ["test:2"]
    assert store.list_entries(bank_id, source_prefix="test:%") == []  # LIKE wildcards are literal


def with_views(n: int, *views: tuple[str, int]) -> NewEntry:
    return NewEntry(signals=(pdq(n), md5(n)), views=tuple(ViewSignal(name, pdq(v)) for name, v in views))


def test_views_are_indexed_but_are_not_the_entrys_signals(store: Store, bank_id: int):
    (added,), _ = store.add_entries(bank_id, [with_views(1, ("small", 101), ("centre-4", 102))])
    assert added.signals == (pdq(1), md5(1))
    assert store.get_entry(added.id).signals == (pdq(1), md5(1))
    assert store.list_entries(bank_id)[0].signals == (pdq(1), md5(1))
    indexed = {(s.signal, s.view) for s in store.iter_live_signals("pdq")}
    assert indexed == {(pdq(1), None), (pdq(101), "small"), (pdq(102), "centre-4")}
    assert len(store.signal_ids_of_entries("pdq", [added.id])) == 3


def test_a_view_hashing_like_the_entry_or_another_view_is_stored_once(store: Store, bank_id: int):
    store.add_entries(bank_id, [with_views(1, ("small", 1), ("centre-4", 102), ("centre-8", 102))])
    assert sorted((s.signal.value[-2:], s.view) for s in store.iter_live_signals("pdq")) == [
        ("01", None),
        ("66", "centre-4"),
    ]


def test_views_do_not_make_duplicates(store: Store, bank_id: int):
    """Identity is the file's own hashes: an entry whose PDQ equals another entry's crop is new."""
    store.add_entries(bank_id, [with_views(1, ("centre-4", 2))])
    added, duplicates = store.add_entries(bank_id, [NewEntry(signals=(pdq(2),))])
    assert len(added) == 1 and duplicates == []


def test_crop_matching_is_a_bank_setting_that_replicas_hear_of(store: Store, bank_id: int):
    assert store.get_bank("known").crop_matching is False
    before = store.current_sequence()
    assert store.update_bank("known", crop_matching=True).crop_matching is True
    assert [c.kind for c in store.changes_since(before)] == ["bank_updated"]
    assert store.get_bank("known").crop_matching is True
    org = store.ensure_organisation("Hotline", "gb")
    assert store.create_bank("crops", org.id, BankPurpose.KNOWN, "", {}, crop_matching=True).crop_matching


def test_what_an_index_is_built_from_is_read_in_bulk(store: Store, bank_id: int):
    """The PDQ index holds live, matchable hashes in id order; the exact filter gets every
    digest's first 16 hex digits (retired ones too: they only cost a store lookup)."""
    weak = NewEntry(signals=(Signal("pdq", format(7, "064x"), 10), md5(7)))
    unknown_quality = NewEntry(signals=(Signal("pdq", format(8, "064x")), md5(8)))
    added, _ = store.add_entries(bank_id, [entry(1), entry(2), weak, unknown_quality, entry(3)])
    store.retire_entry(added[1].id, "test")
    ids, hashes = store.pdq_index_arrays(min_quality=50)
    values = [bytes(h).hex() for h in hashes]
    assert values == [format(n, "064x") for n in (1, 8, 3)]
    assert list(ids) == sorted(ids) and len(ids) == 3
    assert sorted(store.iter_exact_prefixes()) == sorted(format(n, "032x")[:16] for n in (1, 2, 7, 8, 3))
    assert list(store.iter_exact_values([added[0].id])) == [format(1, "032x")]
    strict_ids, strict_hashes = store.pdq_index_arrays(min_quality=101)
    assert list(strict_ids) == [ids[1]]  # only the hash of unknown quality passes
    assert [bytes(h).hex() for h in strict_hashes] == [format(8, "064x")] and strict_hashes.shape == (1, 32)


def test_an_export_reads_a_bank_a_page_at_a_time_with_the_views_it_asks_for(store: Store, engine: Engine, bank_id: int):
    org = store.ensure_organisation("Hotline", "gb")
    other = store.create_bank("other", org.id, BankPurpose.KNOWN, "", {}).id
    mine: list[int] = []
    for n in range(1, 6):  # the two banks' entries interleave
        (added,), _ = store.add_entries(bank_id, [with_views(n, ("untrimmed", 100 + n), ("centre-8", 200 + n))])
        store.add_entries(other, [entry(50 + n)])
        mine.append(added.id)
    store.retire_entry(mine[1], "test")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    exported = list(store.stream_entries(bank_id, views=["untrimmed"], page=2))

    assert [e.id for e in exported] == [mine[0], *mine[2:]]
    assert [e.signals for e in exported] == [(pdq(n), md5(n)) for n in (1, 3, 4, 5)]
    assert [e.views for e in exported] == [{"untrimmed": pdq(100 + n)} for n in (1, 3, 4, 5)]
    assert len(statements) == 2 * 2 + 1  # two pages of two queries, then an empty page
    assert [e.id for e in store.stream_entries(bank_id, status=EntryStatus.RETIRED)] == [mine[1]]
    assert [e.views for e in store.stream_entries(bank_id, page=10)] == [{}] * 4


def test_a_page_of_a_banks_entries_reads_that_page_not_the_bank(tmp_path: Path):
    """Paging by `id > after ORDER BY id` walks the (bank_id, id) index: a page never sorts the
    whole bank (which made exporting a million entries read the bank 500 times)."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    store = Store(engine)
    org = store.ensure_organisation("Hotline", "gb")
    bank = store.create_bank("known", org.id, BankPurpose.KNOWN, "", {}).id
    store.add_entries(bank, [entry(n) for n in range(3)])
    pages: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT entries.id") and "ORDER BY entries.id" in statement:
            pages.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    list(store.stream_entries(bank, page=2))
    list(store.stream_entries(bank, status=EntryStatus.CONFIRMED, page=2))
    store.list_entries(bank, after_id=1, limit=2)
    event.remove(engine, "before_cursor_execute", remember)

    assert len(pages) == 3 + 3 + 1
    with engine.connect() as connection:
        for statement, parameters in pages:
            explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = " ".join(row[-1] for row in explained)
            assert "USING INDEX ix_entries_bank" in plan and "TEMP B-TREE" not in plan, plan
