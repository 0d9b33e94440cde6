import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine

from alliance.core.banks import BankPurpose
from alliance.core.errors import Conflict, HashingError, InvalidRequest, InvalidSignal, NotFound
from alliance.core.signals import parse_signal
from alliance.formats.records import MediaRecord
from alliance.services.banks import BankService
from alliance.services.hashing import collect_files, hash_files
from tests.store.test_repository import count_rows


def test_create_bank_uses_node_org_and_default_threshold(banks: BankService):
    bank = banks.create_bank("hotline-known")
    assert bank.owner.name == "Local node" and bank.threshold("pdq") == 31 and bank.purpose == BankPurpose.KNOWN
    assert banks.create_bank("strict", thresholds={"pdq": 10}).threshold("pdq") == 10


@pytest.mark.parametrize("name", ["", "has space", "-leading-dash", "x" * 65, "semi;colon"])
def test_bank_names_are_checked(banks: BankService, name: str):
    with pytest.raises(InvalidRequest, match="invalid bank name"):
        banks.create_bank(name)


@pytest.mark.parametrize(("thresholds", "words"), [({"pdq": 65}, "between 0 and 64"), ({"md5": 3}, "exact hash")])
def test_thresholds_are_checked(banks: BankService, thresholds, words):
    with pytest.raises(InvalidRequest, match=words):
        banks.create_bank("b", thresholds=thresholds)


def test_add_files_stores_hashes_and_reports(banks: BankService, photos: list[Path]):
    banks.create_bank("photos")
    report = banks.add_files("photos", list(hash_files(photos)))
    assert len(report.added) == len(photos)
    entry = report.added[0]
    assert {s.type for s in entry.signals} == {"pdq", "md5", "sha1", "sha256"}
    assert entry.source == f"file:{photos[0].name}"
    assert entry.metadata["format"] == "JPEG"


def test_a_file_that_fails_to_hash_adds_nothing(banks: BankService, engine: Engine, photos: list[Path], tmp_path: Path):
    banks.create_bank("photos")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")  # nothing to hash: even its exact hashes are every empty file's
    results = list(hash_files([photos[0], broken]))
    with pytest.raises(HashingError, match=r"1 of 2 files could not be hashed.*broken\.jpg.*Nothing was added"):
        banks.add_files("photos", results)
    assert count_rows(engine) == (0, 0)
    report = banks.add_files("photos", results, skip_failed=True)
    assert len(report.added) == 1 and [r.path for r in report.failed] == [broken]


def test_a_file_that_is_not_an_image_is_added_by_its_exact_hashes(
    banks: BankService, photos: list[Path], tmp_path: Path
):
    banks.create_bank("photos")
    document = tmp_path / "notes.jpg"
    document.write_text("not an image")
    report = banks.add_files("photos", list(hash_files([photos[0], document])))
    assert len(report.added) == 2 and report.failed == []
    (exact,) = report.exact_only
    assert [s.type for s in exact.signals] == ["md5", "sha1", "sha256"]
    assert exact.signals[0].value == hashlib.md5(b"not an image").hexdigest()
    assert exact.metadata["exact_only"] == "not_an_image"


def test_adding_the_same_photo_twice_is_a_conflict(banks: BankService, photos: list[Path]):
    banks.create_bank("photos")
    banks.add_files("photos", list(hash_files(photos[:1])))
    with pytest.raises(Conflict, match="already in bank"):
        banks.add_files("photos", list(hash_files(photos[:1])))


def test_unknown_bank_is_not_found(banks: BankService, photos: list[Path]):
    with pytest.raises(NotFound):
        banks.add_files("nope", list(hash_files(photos[:1])))
    with pytest.raises(NotFound):
        banks.import_records("nope", [])


def test_import_then_export_round_trips(banks: BankService):
    banks.create_bank("list")
    records = [
        MediaRecord((parse_signal("pdq", format(n, "064x"), 80),), {"tags": ["t"]}, f"note {n}", f"line {n}")
        for n in range(1, 4)
    ]
    report = banks.import_records("list", records)
    assert len(report.added) == 3
    exported = banks.export_records("list")
    assert [(r.signals, r.metadata, r.note) for r in exported] == [(r.signals, r.metadata, r.note) for r in records]


def test_import_of_a_record_without_hashes_adds_nothing(banks: BankService, engine: Engine):
    banks.create_bank("list")
    good = MediaRecord((parse_signal("md5", "a" * 32),), where="line 1")
    with pytest.raises(InvalidRequest, match="line 2 has no hash"):
        banks.import_records("list", [good, MediaRecord((), where="line 2")])
    assert count_rows(engine) == (0, 0)


def test_retire_needs_a_reason(banks: BankService):
    with pytest.raises(InvalidRequest, match="say why"):
        banks.retire_entry(1, "  ")


def test_collect_files_walks_directories_for_images(tmp_path: Path, photos: list[Path]):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.JPG").write_bytes(photos[0].read_bytes())
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "b.png").write_bytes(b"")
    assert collect_files([tmp_path]) == [tmp_path / "b.png", tmp_path / "sub" / "a.JPG"]


def test_parallel_hashing_gives_the_same_results(photos: list[Path], tmp_path: Path):
    missing = tmp_path / "missing.jpg"
    serial = list(hash_files([*photos, missing], jobs=1))
    parallel = list(hash_files([*photos, missing], jobs=2))
    assert [r.hashes for r in serial] == [r.hashes for r in parallel]
    assert serial[-1].error is not None and serial[-1].error.reason == "not_found"


def test_invalid_signal_in_records_never_reaches_the_store():
    with pytest.raises(InvalidSignal):
        parse_signal("pdq", "zz")
