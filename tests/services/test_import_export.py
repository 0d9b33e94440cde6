"""Streaming import and export of hash lists through the bank service."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, event

from alliance.core.banks import BankPurpose, EntryStatus, NewEntry
from alliance.core.errors import FormatError
from alliance.core.media.hashing import hash_image
from alliance.formats.records import MediaRecord, Skipped
from alliance.formats.registry import get_format
from alliance.services.banks import NEGATIVE_IN_KNOWN, BankService
from alliance.services.hashing import FileResult
from alliance.store.banks import EXPORT_PAGE, IMPORT_BATCH
from alliance.store.repository import Store

H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
H2 = "d8f8f0cce0f4e84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "0cc175b9c0f1b6a831c399e269772661"
VICS_FIXTURES = Path(__file__).parents[1] / "formats" / "fixtures" / "vics"


def stream(fmt: str, text: str) -> list[MediaRecord | Skipped]:
    return list(get_format(fmt).stream(io.BytesIO(text.encode())))


def export(banks: BankService, bank: str, fmt: str, status: EntryStatus | None = None) -> str:
    out = io.StringIO()
    get_format(fmt).write_to(banks.export_stream(bank, status=status), out)
    return out.getvalue()


def test_an_import_adds_merges_and_skips_saying_what_it_did(banks: BankService):
    banks.create_bank("list")
    text = f"hash,quality,filename\n{H1},100,a.jpg\n{H1},100,b.jpg\nurl https://example.org\n{H2},90\nnot-a-hash\n"

    summary = banks.import_stream("list", stream("pdq-txt", text))

    assert (summary.read, summary.added, summary.merged) == (6, 2, 1)
    assert dict(summary.skipped) == {"header line": 1, "not a hash type Alliance uses: url": 1, "bad pdq hash": 1}
    assert summary.examples["bad pdq hash"] == ["line 6"]
    first = banks.entries("list")[0]
    assert first.metadata["filenames"] == ["a.jpg", "b.jpg"]


def test_importing_the_same_list_again_merges_every_line_and_adds_nothing(banks: BankService):
    banks.create_bank("list")
    text = f"{H1},100,a.jpg\n{H2},90,c.jpg\n"
    banks.import_stream("list", stream("pdq-txt", text))

    again = banks.import_stream("list", stream("pdq-txt", f"{H1},100,b.jpg\n{H2},90,c.jpg\n"))

    assert (again.added, again.merged) == (0, 2)
    assert [e.metadata.get("filenames") for e in banks.entries("list")] == [["a.jpg", "b.jpg"], None]


def test_batches_see_the_entries_earlier_batches_wrote(banks: BankService, store: Store):
    banks.create_bank("list")
    lines = [f"{i:064x},100,{copy}{i}.jpg\n" for copy in "ab" for i in range(1, 6)]
    records = [item for item in stream("pdq-txt", "".join(lines)) if isinstance(item, MediaRecord)]
    new = (NewEntry(signals=r.signals, metadata=dict(r.metadata), source=r.where) for r in records)

    counts = store.import_entries(banks.get_bank("list").id, new, batch_size=3)

    assert (counts.added, counts.merged) == (5, 5)
    assert [e.metadata["filenames"] for e in banks.entries("list")] == [[f"a{i}.jpg", f"b{i}.jpg"] for i in range(1, 6)]


def test_a_file_that_breaks_midway_adds_nothing(banks: BankService):
    banks.create_bank("list")
    text = f'signal_type,signal_str\npdq,{H1}\npdq,"{H2}"x\n'

    with pytest.raises(FormatError, match="line 3: malformed CSV"):
        banks.import_stream("list", get_format("te-csv").stream(io.BytesIO(text.encode())))

    assert banks.entries("list") == []


LINES = 2 * IMPORT_BATCH + 500
"""A list longer than two of an import's batches, so that what one batch wrote the next must see."""


def long_list() -> list[str]:
    lines = [f"{n:064x},90,img_{n}.jpg\n" for n in range(1, LINES + 1)]
    lines[IMPORT_BATCH + 10] = "not-a-hash\n"  # in the second batch
    lines[2 * IMPORT_BATCH + 100] = f"{1:064x},90,copy_of_1.jpg\n"  # the third batch repeats the first line
    return lines


def test_a_long_list_is_read_in_batches_that_lose_nothing(banks: BankService):
    banks.create_bank("list")

    summary = banks.import_stream("list", stream("pdq-txt", "".join(long_list())))

    assert (summary.read, summary.added, summary.merged) == (LINES, LINES - 2, 1)
    assert dict(summary.skipped) == {"bad pdq hash": 1}
    assert summary.examples["bad pdq hash"] == [f"line {IMPORT_BATCH + 11}"]
    first = banks.entries("list", limit=1)[0]
    assert first.metadata["filenames"] == ["img_1.jpg", "copy_of_1.jpg"]
    exported = export(banks, "list", "pdq-txt").splitlines()
    assert exported[:2] == [f"{1:064x},90,img_1.jpg", f"{1:064x},90,copy_of_1.jpg"]
    assert len(exported) == LINES - 1 and len(set(exported)) == LINES - 1


def test_an_import_costs_a_few_statements_a_batch_not_one_a_line(banks: BankService, engine: Engine):
    banks.create_bank("list")
    text = "".join(long_list())
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    banks.import_stream("list", stream("pdq-txt", text))
    writes = len(statements)
    statements.clear()
    again = banks.import_stream("list", stream("pdq-txt", text))  # every line merges into its entry
    merges = len(statements)
    statements.clear()
    exported = export(banks, "list", "pdq-hex")

    batches = -(-LINES // IMPORT_BATCH)
    assert again.merged == LINES - 1
    assert writes <= 5 * batches + 10 and merges <= 5 * batches + 10  # the bank, the audit, the commit...
    assert len(statements) <= 2 * -(-len(exported.split()) // EXPORT_PAGE) + 1 + 5


def test_an_import_that_breaks_after_a_batch_was_written_adds_nothing(banks: BankService, store: Store):
    banks.create_bank("list")
    sequence = store.current_sequence()

    def records() -> Iterator[MediaRecord | Skipped]:
        yield from stream("pdq-txt", "".join(long_list()[: IMPORT_BATCH + 5]))
        raise KeyboardInterrupt  # Ctrl-C while a later batch was being read

    with pytest.raises(KeyboardInterrupt):
        banks.import_stream("list", records())

    assert banks.entries("list") == [] and store.current_sequence() == sequence
    assert banks.import_stream("list", stream("pdq-txt", "".join(long_list()))).added == LINES - 2


def test_known_false_positives_are_skipped_by_a_known_bank_and_taken_by_a_negative_one(banks: BankService):
    banks.create_bank("known")
    banks.create_bank("negatives", purpose=BankPurpose.NEGATIVE)
    text = f"signal_type,signal_str,category\npdq,{H1},NEGATIVE_CLASS\npdq,{H2},POSITIVE_CLASS\n"

    known = banks.import_stream("known", stream("te-csv", text))
    negative = banks.import_stream("negatives", stream("te-csv", text))

    assert (known.added, dict(known.skipped)) == (1, {NEGATIVE_IN_KNOWN: 1})
    assert negative.added == 2
    assert export(banks, "negatives", "te-csv").count("NEGATIVE_CLASS") == 2


def test_a_te_csv_round_trip_of_four_entries_gives_four(banks: BankService):
    banks.create_bank("first")
    banks.create_bank("second")
    records = [f"{i:032x}" for i in range(1, 5)]
    vics = {
        "@odata.context": "x#Media",
        "value": [
            {
                "MediaID": n,
                "MD5": md5,
                "SHA1": f"{n:040x}",
                "SHA256": f"{n:064x}",
                "AlternativeHashes": [{"HashName": "PDQ", "HashValue": f"{n:064x}", "Quality": 90}],
            }
            for n, md5 in enumerate(records, 1)
        ],
    }
    banks.import_stream("first", stream("vics-json", json.dumps(vics)))

    text = export(banks, "first", "te-csv")
    summary = banks.import_stream("second", stream("te-csv", text))

    assert len(text.splitlines()) == 1 + 4 * 3  # pdq, video_md5 and video_sha256 rows; sha1 in its column
    assert (summary.added, summary.merged, sum(summary.skipped.values())) == (4, 0, 0)
    assert [len(e.signals) for e in banks.entries("second")] == [4, 4, 4, 4]


@pytest.mark.parametrize("path", sorted(VICS_FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_vics_through_a_bank_and_te_csv_comes_back_whole(banks: BankService, path: Path):
    banks.create_bank("vics")
    banks.create_bank("again")
    original = json.loads(path.read_text())
    banks.import_stream("vics", stream("vics-json", path.read_text()))

    via_csv = export(banks, "vics", "te-csv")
    banks.import_stream("again", stream("te-csv", via_csv))
    document = json.loads(export(banks, "again", "vics-json"))

    assert strip_status(document) == original


def strip_status(document: dict) -> dict:
    """The document less the trust state Alliance adds to each Media record."""

    def media(item: dict) -> dict:
        if "Media" in item:
            return {**item, "Media": [media(m) for m in item["Media"]]}
        assert item.pop("AllianceStatus") == "confirmed"
        return item

    return {**document, "value": [media(item) for item in document["value"]]}


def test_export_gives_confirmed_entries_unless_told_otherwise(banks: BankService):
    banks.create_bank("graded", trust={"required_grades": 2})
    banks.create_bank("open")
    banks.import_stream("graded", stream("pdq-txt", f"{H1}\n"))
    banks.import_stream("open", stream("pdq-txt", f"{H2}\n"))

    assert export(banks, "graded", "pdq-hex", EntryStatus.CONFIRMED) == ""
    assert export(banks, "graded", "pdq-hex", None) == f"{H1}\n"
    assert "INVESTIGATION_SEED,,proposed" in export(banks, "graded", "te-csv", None)
    assert export(banks, "open", "pdq-pytx", EntryStatus.CONFIRMED) == f"pdq {H2}\n"


def landscape() -> Image.Image:
    """A generated landscape: sky, hills and a sun, benign and detailed enough for PDQ."""
    image = Image.new("RGB", (320, 200))
    pixels = image.load()
    assert pixels is not None
    for x in range(320):
        hill = 120 + int(30 * ((x / 40) % 2 - 1) ** 2)
        for y in range(200):
            sky = (90 + y // 3, 140 + y // 4, 230 - y // 5)
            ground = (40 + (x * 7 + y * 3) % 60, 120 + (x + y) % 50, 40)
            sun = (x - 250) ** 2 + (y - 50) ** 2 < 400
            pixels[x, y] = (250, 220, 90) if sun else ground if y > hill else sky
    return image


def test_exports_carry_the_hash_of_the_file_as_stored_not_our_views(banks: BankService, tmp_path: Path):
    banks.create_bank("photos")
    rotated, letterboxed = io.BytesIO(), io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    landscape().save(rotated, "JPEG", quality=92, exif=exif)
    boxed = Image.new("RGB", (320, 300))
    boxed.paste(landscape(), (0, 50))
    boxed.save(letterboxed, "PNG")
    results = [
        FileResult(tmp_path / n, hashes=hash_image(b.getvalue()))
        for n, b in (("r.jpg", rotated), ("l.png", letterboxed))
    ]
    banks.add_files("photos", results)

    exported = export(banks, "photos", "pdq-hex").split()

    own = [r.hashes.get("pdq").value for r in results if r.hashes]
    reference = [r.hashes.pdq_reference.value for r in results if r.hashes and r.hashes.pdq_reference]
    assert exported == reference and exported != own
