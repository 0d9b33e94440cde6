"""python-threatexchange's own code reads what Alliance writes, and Alliance reads what it writes.

Its CLI runs in a subprocess with a home of its own; its hashing (`pdq_hasher`, the code HMA runs
too) and signal types run in process. The photos are benign: the demo photos and a generated
landscape, with EXIF-rotated, letterboxed, 16-bit, CMYK and palette copies.

Known differences, python-threatexchange's own (decision 0002): it hashes a CMYK file's C, M and Y
planes as if they were R, G and B (an inverted picture), a palette image's indices as grey levels,
and a 16-bit greyscale file clipped to white by Pillow; Alliance hashes what the picture shows.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

pytest.importorskip("threatexchange", reason="python-threatexchange is a test extra")
pytest.importorskip("pdqhash", reason="python-threatexchange hashes with Meta's pdqhash")

from threatexchange.cli.main import _DEFAULT_SIGNAL_TYPES
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from alliance.core.banks import EntryStatus
from alliance.core.media.hashing import hash_image
from alliance.formats.registry import get_format
from alliance.services.banks import BankService
from alliance.services.hashing import hash_file
from tests.services.test_import_export import landscape

PYTX_TYPES = {kind.get_name(): kind for kind in _DEFAULT_SIGNAL_TYPES}
ORIENTATIONS = (3, 6, 8)


def save(image: Image.Image, path: Path, fmt: str, **options: object) -> Path:
    image.save(path, fmt, **options)
    return path


def copies(source: Image.Image, stem: str, folder: Path) -> dict[str, Path]:
    """The picture as a JPEG, and the copies hotlines meet: EXIF-rotated, letterboxed, 16-bit,
    CMYK and palette."""
    made = {f"{stem}": save(source, folder / f"{stem}.jpg", "JPEG", quality=92)}
    for orientation in ORIENTATIONS:
        exif = Image.Exif()
        exif[0x0112] = orientation
        made[f"{stem}-exif{orientation}"] = save(
            source, folder / f"{stem}-exif{orientation}.jpg", "JPEG", quality=92, exif=exif
        )
    boxed = Image.new("RGB", (source.width, source.height + source.height // 2))
    boxed.paste(source, (0, source.height // 4))
    made[f"{stem}-letterboxed"] = save(boxed, folder / f"{stem}-letterboxed.png", "PNG")
    grey = np.asarray(source.convert("L")).astype(np.uint16) * 257
    made[f"{stem}-16bit"] = save(Image.fromarray(grey), folder / f"{stem}-16bit.png", "PNG")
    made[f"{stem}-cmyk"] = save(source.convert("CMYK"), folder / f"{stem}-cmyk.jpg", "JPEG", quality=92)
    palette = source.convert("P", palette=Image.Palette.ADAPTIVE)
    made[f"{stem}-palette"] = save(palette, folder / f"{stem}-palette.gif", "GIF")
    return made


KNOWN_DIFFERENCES = ("-16bit", "-cmyk", "-palette")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, photos_module: list[Path]) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    made = copies(landscape(), "landscape", folder)
    made.update(copies(Image.open(photos_module[1]).convert("RGB"), photos_module[1].stem + "-copy", folder))
    for photo in photos_module:
        made[photo.stem] = Path(shutil.copy(photo, folder / photo.name))
    return made


@pytest.fixture(scope="module")
def photos_module() -> list[Path]:
    from importlib import resources

    return sorted(Path(str(resources.files("alliance.demo") / "photos")).glob("*.jpg"))


def same(files: dict[str, Path]) -> dict[str, Path]:
    """The files python-threatexchange hashes as Alliance does."""
    return {name: path for name, path in files.items() if not name.endswith(KNOWN_DIFFERENCES)}


def pytx_pdq(path: Path) -> str:
    value, _quality = pdq_from_bytes(path.read_bytes())
    return str(value)


def exported(banks: BankService, bank: str, fmt: str) -> str:
    out = io.StringIO()
    get_format(fmt).write_to(banks.export_stream(bank, status=EntryStatus.CONFIRMED), out)
    return out.getvalue()


@pytest.fixture
def bank(banks: BankService, files: dict[str, Path]) -> str:
    banks.create_bank("shared")
    banks.add_files("shared", [hash_file(path) for path in same(files).values()])
    return "shared"


@pytest.fixture
def pytx(tmp_path: Path) -> Iterator[callable]:  # type: ignore[valid-type]
    """The python-threatexchange CLI, with a home of its own."""
    home = tmp_path / "pytx-home"
    home.mkdir()
    command = [sys.executable, "-c", "from threatexchange.cli.main import main; main()"]

    def run(*args: str) -> str:
        env = {**os.environ, "HOME": str(home)}
        done = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    yield run


@pytest.mark.parametrize("exact_reference", [False, True], ids=["fast", "exact-reference"])
def test_our_exported_hash_is_what_pytx_computes_for_the_same_file(files: dict[str, Path], exact_reference: bool):
    for name, path in same(files).items():
        hashes = hash_image(path.read_bytes(), exact_reference=exact_reference)
        assert hashes.pdq_reference is not None
        assert hashes.pdq_reference.value == pytx_pdq(path), name


def test_rotated_and_letterboxed_copies_differ_from_our_own_hash_but_not_from_pytx(files: dict[str, Path]):
    for name, path in same(files).items():
        if "-exif" in name or name.endswith("-letterboxed"):
            hashes = hash_image(path.read_bytes())
            own = hashes.get("pdq")
            assert own is not None and own.value != pytx_pdq(path), name


def test_known_differences_are_pytx_hashing_other_pixels(files: dict[str, Path]):
    """pytx hashes CMYK planes as RGB (the negative), palette indices as grey, 16-bit clipped to white."""
    for name, path in files.items():
        if not name.endswith(KNOWN_DIFFERENCES):
            continue
        ours = hash_image(path.read_bytes()).pdq_reference
        assert ours is not None and ours.value != pytx_pdq(path), name
        image = Image.open(path)
        if name.endswith("-cmyk"):
            shown = ImageOps.invert(Image.fromarray(np.asarray(image)[..., :3]))
            assert pytx_pdq(path) == pdq_of(Image.fromarray(255 - np.asarray(shown))), name
            assert (int(ours.value, 16) ^ int(pytx_pdq(path), 16)).bit_count() > 200  # inverted, nearly every bit
        elif name.endswith("-palette"):
            indices = Image.fromarray(np.asarray(image)).convert("RGB")
            assert pytx_pdq(path) == pdq_of(indices), name
        else:
            assert pytx_pdq(path) == pdq_of(image.convert("RGB")), name  # Pillow clips to 255


def pdq_of(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return pytx_pdq_bytes(buffer.getvalue())


def pytx_pdq_bytes(data: bytes) -> str:
    value, _quality = pdq_from_bytes(data)
    return str(value)


def test_pytx_reads_our_pdq_exports_and_matches_our_photos(banks: BankService, bank: str, files, pytx, tmp_path):
    signals = tmp_path / "alliance.txt"
    signals.write_text(exported(banks, bank, "pdq-pytx"))
    hexes = tmp_path / "alliance-hex.txt"
    hexes.write_text(exported(banks, bank, "pdq-hex"))
    pytx("config", "collab", "edit", "local_file", "--create", "--filename", str(signals), "alliance")
    pytx("fetch")

    distinct = {pytx_pdq(path) for path in same(files).values()}  # rotated copies store the same pixels
    assert pytx("dataset", "-P", "-s", "pdq").count("\n") == len(distinct)
    for name, path in same(files).items():  # it shows one match a photo: a near copy may come first
        assert re.match(r"pdq \d+ \(alliance\)", pytx("match", "photo", str(path))), name
    # It checks every line of the file as a PDQ hash (exit 2 on the first it refuses), then matches them.
    assert "pdq 0 (alliance)" in pytx("match", "-H", "photo", str(hexes))


def test_our_te_csv_holds_only_rows_pytx_and_hma_accept(banks: BankService, bank: str, files):
    rows = list(csv.DictReader(io.StringIO(exported(banks, bank, "te-csv"))))

    for row in rows:
        kind = PYTX_TYPES[row["signal_type"]]  # a KeyError is a row pytx and HMA refuse
        assert kind.validate_signal_str(row["signal_str"]) == row["signal_str"]
    assert {row["signal_str"] for row in rows if row["signal_type"] == "pdq"} == {
        pytx_pdq(path) for path in same(files).values()
    }
    assert {row["signal_type"] for row in rows} == {"pdq", "video_md5", "video_sha256"}


def test_our_import_reads_pytx_dataset_csv(banks: BankService, files, pytx, tmp_path):
    listed = tmp_path / "theirs.txt"
    photo = next(iter(same(files).values()))
    md5 = "0cc175b9c0f1b6a831c399e269772661"
    listed.write_text(f"pdq {pytx_pdq(photo)}\nvideo_md5 {md5}\nurl https://example.org/x\nraw_text hello\n")
    pytx("config", "collab", "edit", "local_file", "--create", "--filename", str(listed), "theirs")
    pytx("fetch")
    dataset = pytx("dataset", "-P", "--csv")
    banks.create_bank("imported")

    summary = banks.import_stream("imported", get_format("te-csv").stream(io.BytesIO(dataset.encode())))

    assert (summary.read, summary.added) == (4, 2)
    assert sorted(summary.skipped) == ["not a hash type Alliance uses: raw_text", "not a hash type Alliance uses: url"]
    values = sorted(s.value for entry in banks.entries("imported") for s in entry.signals)
    assert values == sorted([md5, pytx_pdq(photo)])
    assert {entry.metadata.get("collab") for entry in banks.entries("imported")} == {"theirs"}
