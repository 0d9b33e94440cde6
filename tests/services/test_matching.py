from pathlib import Path

import numpy as np
import pytest

from alliance.core.errors import NotFound
from alliance.core.index.mih import MIHPDQIndex
from alliance.core.media.hashing import hash_image
from alliance.core.signals import Signal
from alliance.demo.alterations import DEMO_ALTERATIONS, reencode_jpeg
from alliance.services.banks import BankService
from alliance.services.hashing import hash_files
from alliance.services.matcher_index import verify_index_file
from alliance.services.matching import Matcher


@pytest.fixture
def loaded(banks: BankService, photos: list[Path]) -> dict[str, int]:
    """Bank 'photos' with every demo photo; returns photo name -> entry id."""
    banks.create_bank("photos")
    report = banks.add_files("photos", list(hash_files(photos)))
    return {e.source.removeprefix("file:"): e.id for e in report.added}


def flip_pdq(signal: Signal, bits: int) -> Signal:
    return Signal("pdq", format(int(signal.value, 16) ^ ((1 << bits) - 1), "064x"), signal.quality)


def test_reencoded_copy_matches_its_original(matcher: Matcher, loaded, photos):
    altered = hash_image(reencode_jpeg(40)(photos[2].read_bytes()))
    matches = matcher.match(list(altered.signals))
    assert [m.entry_id for m in matches] == [loaded[photos[2].name]]
    assert matches[0].signal_type == "pdq" and 0 < matches[0].distance <= 31


def test_identical_file_matches_exactly_on_every_hash(matcher: Matcher, loaded, photos):
    matches = matcher.match(list(hash_image(photos[0].read_bytes()).signals))
    assert {(m.signal_type, m.distance) for m in matches} == {("pdq", 0), ("md5", 0), ("sha1", 0), ("sha256", 0)}
    assert {m.entry_id for m in matches} == {loaded[photos[0].name]}


def test_threshold_is_inclusive_and_per_bank(banks: BankService, matcher: Matcher, loaded, photos):
    original = hash_image(photos[0].read_bytes()).get("pdq")
    assert original is not None
    assert [m.distance for m in matcher.match([flip_pdq(original, 31)])] == [31]
    assert matcher.match([flip_pdq(original, 32)]) == []
    banks.create_bank("strict", thresholds={"pdq": 5})
    banks.add_files("strict", list(hash_files(photos[:1])))
    assert {m.bank for m in matcher.match([flip_pdq(original, 5)])} == {"photos", "strict"}
    assert {m.bank for m in matcher.match([flip_pdq(original, 6)])} == {"photos"}


def test_retired_entry_stops_matching_at_once(banks: BankService, matcher: Matcher, loaded, photos):
    signals = list(hash_image(photos[0].read_bytes()).signals)
    assert matcher.match(signals)
    banks.retire_entry(loaded[photos[0].name], "test")
    assert matcher.match(signals) == []


def test_disabled_bank_stops_matching_and_filters_apply(banks: BankService, matcher: Matcher, loaded, photos):
    signals = list(hash_image(photos[0].read_bytes()).signals)
    banks.create_bank("other")
    banks.add_files("other", list(hash_files(photos[:1])))
    assert {m.bank for m in matcher.match(signals)} == {"photos", "other"}
    assert {m.bank for m in matcher.match(signals, banks=["other"])} == {"other"}
    banks.set_enabled("other", False)
    assert {m.bank for m in matcher.match(signals)} == {"photos"}
    with pytest.raises(NotFound):
        matcher.match(signals, banks=["missing"])


def test_entries_added_after_start_match(banks: BankService, store, photos):
    banks.create_bank("late")
    matcher = Matcher(store)
    signals = list(hash_image(photos[3].read_bytes()).signals)
    assert matcher.match(signals) == []
    banks.add_files("late", list(hash_files(photos[3:4])))
    assert {m.bank for m in matcher.match(signals)} == {"late"}


def test_low_quality_query_matches_only_exactly(matcher: Matcher, loaded, photos):
    pdq = hash_image(photos[0].read_bytes()).get("pdq")
    assert pdq is not None
    assert matcher.match([Signal("pdq", pdq.value, 10)]) == []


def test_demo_alterations_that_should_match_do(matcher: Matcher, loaded, photos):
    """Re-encoding and greyscale survive PDQ; flips and rotations need dihedral queries (a later issue)."""
    for path in photos:
        for name in ("JPEG quality 30", "greyscale"):
            altered = hash_image(DEMO_ALTERATIONS[name](path.read_bytes()))
            assert loaded[path.name] in {m.entry_id for m in matcher.match(list(altered.signals))}, (path.name, name)


def signals_of(path: Path) -> list[Signal]:
    return list(hash_image(path.read_bytes()).signals)


def pdq_hashes(paths: list[Path]) -> int:
    """What the index holds for these photos as entries: each one's PDQ and its views (the normalised
    one, and the picture found inside it when there is one: the brick wall's bricks)."""
    return sum(1 + len(hash_image(p.read_bytes()).views) for p in paths)


def test_index_is_saved_loaded_and_replayed(banks: BankService, store, photos, tmp_path):
    path = tmp_path / "index" / "pdq.idx"
    banks.create_bank("photos")
    banks.add_files("photos", list(hash_files(photos[:3])))
    first = Matcher(store, path)
    # each entry: its PDQ and its views (the demo photos have no border to trim)
    assert pdq_hashes(photos[:3]) >= 3 * 2
    assert first.index.loaded_from == "store" and path.exists() and first.index.status().size == pdq_hashes(photos[:3])

    banks.add_files("photos", list(hash_files(photos[3:5])))  # changes after the save
    second = Matcher(store, path)
    assert second.index.loaded_from == "file"
    assert second.index.status().size == pdq_hashes(photos[:5]) and second.index.sequence == store.current_sequence()
    assert {m.entry_id for m in second.match(signals_of(photos[4]))}


def test_corrupt_or_stale_index_file_is_rebuilt(banks: BankService, store, photos, tmp_path):
    path = tmp_path / "pdq.idx"
    banks.create_bank("photos")
    banks.add_files("photos", list(hash_files(photos[:2])))
    Matcher(store, path)
    path.write_bytes(path.read_bytes()[:-3])
    rebuilt = Matcher(store, path)
    assert rebuilt.index.loaded_from == "store" and rebuilt.index.status().size == pdq_hashes(photos[:2])
    assert verify_index_file(store, path) == []

    ahead = MIHPDQIndex.build(np.array([1]), np.zeros((1, 32), np.uint8))
    ahead.save(path, sequence=store.current_sequence() + 100)  # a file newer than the store
    assert "the store has only" in verify_index_file(store, path)[0]
    assert Matcher(store, path).index.loaded_from == "store"


def test_verify_finds_a_file_that_disagrees_with_the_store(banks: BankService, store, photos, tmp_path):
    path = tmp_path / "pdq.idx"
    banks.create_bank("photos")
    report = banks.add_files("photos", list(hash_files(photos[:2])))
    Matcher(store, path)
    assert verify_index_file(store, path) == []
    saved = MIHPDQIndex.build(np.array([999]), np.zeros((1, 32), np.uint8))
    saved.save(path, sequence=store.current_sequence())
    problems = verify_index_file(store, path)
    assert any("missing from the file" in p for p in problems) and any("not live" in p for p in problems)
    assert report.added


def test_retire_and_disable_act_before_the_next_refresh(banks: BankService, store, photos):
    banks.create_bank("photos")
    report = banks.add_files("photos", list(hash_files(photos[:2])))
    matcher = Matcher(store, refresh_interval=3600)
    assert matcher.match(signals_of(photos[0]))
    banks.retire_entry(report.added[0].id, "test")
    assert matcher.match(signals_of(photos[0])) == []
    banks.set_enabled("photos", False)
    assert matcher.match(signals_of(photos[1])) == []


def test_dihedral_variants_collapse_to_one_row_per_entry(matcher: Matcher, loaded, photos):
    pdq = hash_image(photos[0].read_bytes()).get("pdq")
    assert pdq is not None
    near = flip_pdq(pdq, 3)
    matches = matcher.match([near, pdq], variants=["rotate90", "original"])
    assert [(m.entry_id, m.distance, m.variant) for m in matches] == [(loaded[photos[0].name], 0, "original")]


def test_exact_queries_go_to_the_store_only_when_it_may_hold_them(matcher: Matcher, loaded, photos, monkeypatch):
    """An upload's digests that no bank holds cost no round trip; held ones, and 64-bit prefix twins
    of held ones, are decided by the store."""
    lookups: list[list[tuple[str, str]]] = []
    original = matcher.store.find_signals_of
    monkeypatch.setattr(matcher.store, "find_signals_of", lambda keys: lookups.append(list(keys)) or original(keys))
    md5 = next(s for s in signals_of(photos[0]) if s.type == "md5")
    assert matcher.match([Signal("md5", "f" * 32), Signal("sha1", "e" * 40)]) == []
    assert lookups == []
    assert [m.entry_id for m in matcher.match([md5])] == [loaded[photos[0].name]]
    twin = Signal("md5", md5.value[:16] + format(int(md5.value[16:], 16) ^ 1, "016x"))
    assert matcher.match([twin]) == []
    assert lookups == [[("md5", md5.value)], [("md5", twin.value)]]


def test_exact_signals_added_after_a_load_from_file_match(banks: BankService, store, photos, tmp_path):
    path = tmp_path / "pdq.idx"
    banks.create_bank("photos")
    banks.add_files("photos", list(hash_files(photos[:1])))
    Matcher(store, path)  # saved
    banks.add_files("photos", list(hash_files(photos[1:2])))
    loaded = Matcher(store, path)
    assert loaded.index.loaded_from == "file"
    banks.add_files("photos", list(hash_files(photos[2:3])))  # after the load: reaches it by the change log
    for photo in photos[:3]:
        sha256 = [s for s in signals_of(photo) if s.type == "sha256"]
        assert [m.signal_type for m in loaded.match(sha256)] == ["sha256"], photo.name
