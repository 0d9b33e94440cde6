"""The migrations and the models describe the same schema, and re-applying them changes nothing."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from alliance.store.db import schema_revision, upgrade
from alliance.store.models import Base


def test_models_match_migrations(engine: Engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine):
    upgrade(engine)
    current, head = schema_revision(engine)
    assert current == head is not None


def test_banks_made_before_grading_keep_confirming_on_entry(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from alliance.store.db import alembic_config, create_store_engine
    from alliance.store.repository import Store

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0003")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (id, name, country, created_at) VALUES (1, 'Old', 'GB', '2026-01-01')")
        )
        connection.execute(
            text(
                "INSERT INTO banks (id, name, owner_id, purpose, description, enabled, thresholds, policy, created_at, "
                "updated_at) VALUES (1, 'old-bank', 1, 'known', '', 1, '{}', '{}', '2026-01-01', '2026-01-01')"
            )
        )
    upgrade(engine)
    assert Store(engine).get_bank("old-bank").trust == {"required_grades": 0}


def test_banks_and_signals_from_before_views_keep_matching(engine: Engine):
    """0005 on a store with data: existing signals are the entries' own, and no bank crop-matches."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text

    from alliance.core.signals import Signal
    from alliance.store.db import alembic_config
    from alliance.store.repository import Store

    command.downgrade(alembic_config(engine), "0004")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    statements = [
        "INSERT INTO organisations (id, name, country, created_at) VALUES (1, 'Old', 'GB', :now)",
        "INSERT INTO banks (id, name, owner_id, purpose, description, enabled, thresholds, policy, created_at, "
        "updated_at) VALUES (1, 'old-bank', 1, 'known', '', :yes, '{}', '{}', :now, :now)",
        "INSERT INTO entries (id, bank_id, status, note, metadata, source, needs_review, created_at, updated_at) "
        "VALUES (1, 1, 'confirmed', NULL, '{}', '', :no, :now, :now)",
        f"INSERT INTO signals (id, entry_id, type, value, quality) VALUES (1, 1, 'pdq', '{'ab' * 32}', 90)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"now": now, "yes": True, "no": False})
    upgrade(engine)
    store = Store(engine)
    assert store.get_bank("old-bank").crop_matching is False
    assert store.get_entry(1).signals == (Signal("pdq", "ab" * 32, 90),)
    assert [(s.id, s.view) for s in store.iter_live_signals("pdq")] == [(1, None)]


def test_organisations_from_before_kinds_keep_the_roles_their_people_and_keys_hold(engine: Engine):
    """0006 on a store with data: nothing stops working; the node admin classifies them later."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text

    from alliance.core.access import OrgKind, Role
    from alliance.store.accounts import AccountStore
    from alliance.store.db import alembic_config

    command.downgrade(alembic_config(engine), "0005")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    statements = [
        "INSERT INTO organisations (id, name, country, created_at) VALUES (1, 'Old', 'GB', :now)",
        "INSERT INTO organisations (id, name, country, created_at) VALUES (2, 'Empty', 'DE', :now)",
        "INSERT INTO users (id, org_id, username, password_hash, roles, disabled, created_at) "
        "VALUES (1, 1, 'ana', 'x', '[\"analyst\"]', :no, :now)",
        "INSERT INTO api_keys (id, org_id, created_by, name, prefix, secret_hash, roles, scopes, created_at) "
        "VALUES (1, 1, 'cli', 'k', 'abcd', 'x', '[\"platform\", \"org_admin\"]', '[\"match\"]', :now)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"now": now, "no": False})
    upgrade(engine)
    accounts = AccountStore(engine)
    old, empty = accounts.organisations()
    assert old.kind is OrgKind.UNCLASSIFIED and old.allowed_roles == {Role.ANALYST, Role.PLATFORM, Role.ORG_ADMIN}
    assert empty.allowed_roles == frozenset()
    key = accounts.key_by_prefix("abcd")
    assert key is not None and key.user is None  # keys from before act for nobody: they cannot grade


def test_users_from_before_0011_that_differ_only_in_case_both_keep_their_logins(engine: Engine):
    """0011 gives each user a unique case-folded key; of two names that already differed only in
    case, each still logs in by its exact name, and a new name in either case is refused."""
    from alembic import command
    from sqlalchemy import text

    from alliance.core.access import Role
    from alliance.core.errors import Conflict
    from alliance.store.accounts import AccountStore
    from alliance.store.db import alembic_config

    command.downgrade(alembic_config(engine), "0010")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (id, name, country, created_at) VALUES (1, 'O', 'GB', '2026-01-01')")
        )
        for user_id, name in ((1, "Ana"), (2, "ana"), (3, "bo")):
            connection.execute(
                text(
                    "INSERT INTO users (id, org_id, username, password_hash, roles, disabled, must_change_password,"
                    " created_at) VALUES (:id, 1, :name, 'x', '[]', false, false, '2026-01-01')"
                ),
                {"id": user_id, "name": name},
            )
    upgrade(engine)
    accounts = AccountStore(engine)
    assert [accounts.user_by_name(n).id for n in ("Ana", "ana", "ANA", "BO")] == [1, 2, 1, 3]
    for name in ("ANA", "Bo"):
        with pytest.raises(Conflict):
            accounts.create_user(1, name, "x", frozenset({Role.ANALYST}))


def test_commitments_from_before_0010_were_made_when_recorded_and_keep_their_status(engine: Engine):
    """0010 on a store with commitments: each was made on the day it was recorded and has held its
    status since, which is what the report showed for it before."""
    from datetime import UTC, date, datetime

    from alembic import command
    from sqlalchemy import text

    from alliance.alliance_data import load_facts
    from alliance.core.record.workflow import CommitmentStatus
    from alliance.store.alliance_store import AllianceStore
    from alliance.store.db import alembic_config

    AllianceStore(engine).seed(load_facts())
    command.downgrade(alembic_config(engine), "0009")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alliance_commitments (id, country, target, goal, title, pledge, baseline, status, "
                "org_id, created_by, created_at, updated_at) VALUES (1, 'GB', 4, NULL, 'Old', 'p', '', "
                "'achieved', NULL, 'UK Hotline', :at, :at)"
            ),
            {"at": datetime(2014, 7, 3, 9, 30, tzinfo=UTC)},
        )
    upgrade(engine)
    [old] = AllianceStore(engine).commitments()
    assert old.made_on == date(2014, 7, 3)
    assert [(h.status, h.since) for h in old.history] == [(CommitmentStatus.ACHIEVED, date(2014, 7, 3))]


def test_a_store_written_at_0005_is_upgraded_and_matches_as_one_written_at_head(engine: Engine, tmp_path):
    """Data written as the 0005 schema had it (raw SQL: entries, views, an audit chain), upgraded to
    head, serves the matches a store written by today's code serves, and its audit chain verifies."""
    import random
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import text

    from alliance.core.audit import GENESIS, AuditRecord, chain_hash
    from alliance.core.banks import BankPurpose, NewEntry
    from alliance.core.signals import Signal, ViewSignal
    from alliance.services.audit import AuditLog
    from alliance.services.matching import Matcher
    from alliance.store.audit_log import AuditStore
    from alliance.store.db import alembic_config, create_store_engine
    from alliance.store.repository import Store

    rng = random.Random(5)
    entries = [
        NewEntry(
            (Signal("pdq", f"{rng.getrandbits(256):064x}", 90), Signal("md5", f"{rng.getrandbits(128):032x}")),
            views=(ViewSignal("normalised", Signal("pdq", f"{rng.getrandbits(256):064x}", 90)),),
        )
        for _ in range(30)
    ]
    command.downgrade(alembic_config(engine), "0005")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (id, name, country, created_at) VALUES (1, 'Old', 'GB', :now)"),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO banks (id, name, owner_id, purpose, description, enabled, thresholds, policy, trust, "
                "crop_matching, created_at, updated_at) VALUES (1, 'old-bank', 1, 'known', '', :yes, '{}', '{}', "
                "'{\"required_grades\": 0}', :no, :now, :now)"
            ),
            {"now": now, "yes": True, "no": False},
        )
        signal_id = 0
        for entry_id, entry in enumerate(entries, start=1):
            connection.execute(
                text(
                    "INSERT INTO entries (id, bank_id, status, note, metadata, source, needs_review, created_at, "
                    "updated_at) VALUES (:id, 1, 'confirmed', NULL, '{}', '', :no, :now, :now)"
                ),
                {"id": entry_id, "now": now, "no": False},
            )
            rows = [(s, None) for s in entry.signals] + [(v.signal, v.view) for v in entry.views]
            for signal, view in rows:
                signal_id += 1
                connection.execute(
                    text(
                        "INSERT INTO signals (id, entry_id, type, value, quality, view) "
                        "VALUES (:id, :entry, :type, :value, :quality, :view)"
                    ),
                    {
                        "id": signal_id,
                        "entry": entry_id,
                        "type": signal.type,
                        "value": signal.value,
                        "quality": signal.quality,
                        "view": view,
                    },
                )
        prev = GENESIS
        for seq in (1, 2):  # events as the chain had them: no request id
            record = AuditRecord("cli", "entry.add", "bank:old-bank", "ok", 1, details={"n": seq})
            digest = chain_hash(prev, seq, now, record)
            connection.execute(
                text(
                    "INSERT INTO audit_events (seq, at, actor, org_id, subject_org_id, key_id, action, target, "
                    "outcome, details, prev_hash, hash) VALUES (:seq, :at, 'cli', 1, NULL, NULL, 'entry.add', "
                    "'bank:old-bank', 'ok', :details, :prev, :hash)"
                ),
                {"seq": seq, "at": now.isoformat(), "details": f'{{"n": {seq}}}', "prev": prev, "hash": digest},
            )
            prev = digest
    upgrade(engine)

    reference = create_store_engine(f"sqlite:///{tmp_path / 'head.db'}")
    upgrade(reference)
    reference_store = Store(reference)
    owner = reference_store.ensure_organisation("Old", "GB")
    bank = reference_store.create_bank("old-bank", owner.id, BankPurpose.KNOWN, "", {}, trust={"required_grades": 0})
    reference_store.add_entries(bank.id, entries)

    def flipped(value: str, bits: int) -> str:
        number = int(value, 16)
        for bit in rng.sample(range(256), bits):
            number ^= 1 << bit
        return f"{number:064x}"

    queries = [Signal("pdq", flipped(e.signals[0].value, 9), 90) for e in entries[::3]]
    queries += [Signal("pdq", flipped(e.views[0].signal.value, 5), 90) for e in entries[1::3]]
    queries += [e.signals[1] for e in entries[2::3]]
    queries += [Signal("pdq", f"{rng.getrandbits(256):064x}", 90) for _ in range(10)]

    def matches(store: Store) -> list[tuple[object, ...]]:
        found = Matcher(store).match(queries)
        return sorted((m.query.value, m.entry_id, m.signal_type, m.distance, m.variant) for m in found)

    upgraded = matches(Store(engine))
    assert len(upgraded) >= 30
    assert upgraded == matches(reference_store)
    count, _, problems = AuditLog(AuditStore(engine)).verify()
    assert (count, problems) == (2, [])
    reference.dispose()
