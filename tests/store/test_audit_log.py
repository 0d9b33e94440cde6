"""The audit log in the store: a chain that survives concurrent writers and shows tampering."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text

from alliance.core.audit import AuditRecord, verify_chain
from alliance.store.audit_log import AuditStore


def record(n: int) -> AuditRecord:
    return AuditRecord(f"user:{n}", "match", "banks:all", "ok", 1, 2, None, {"n": n, "nested": {"b": 1, "a": [1, 2]}})


def test_appends_form_a_verifiable_chain(engine: Engine):
    store = AuditStore(engine)
    store.append([record(1), record(2)])
    store.append([record(3)])
    events = store.events()
    assert [e.seq for e in events] == [1, 2, 3]
    assert verify_chain(events) == []
    assert events[0].record == record(1)


def test_concurrent_writers_keep_one_chain(engine: Engine):
    store = AuditStore(engine)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.append([record(n)]), range(40)))
    events = list(store.iter_all(batch=7))
    assert len(events) == 40 and verify_chain(events) == []


def test_tampering_in_the_database_is_found(engine: Engine):
    store = AuditStore(engine)
    store.append([record(n) for n in range(5)])
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET outcome = 'refused' WHERE seq = 3"))
    assert verify_chain(store.events()) == ["event 3: its contents were changed after it was written"]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert any("deleted" in p for p in verify_chain(store.events()))


def test_filter_by_organisation(engine: Engine):
    store = AuditStore(engine)
    store.append(
        [
            AuditRecord("a", "x", "t", "ok", org_id=1),
            AuditRecord("b", "x", "t", "ok", org_id=2, subject_org_id=1),
            AuditRecord("c", "x", "t", "ok", org_id=3),
        ]
    )
    assert [e.record.actor for e in store.events(org_id=1)] == ["a", "b"]
