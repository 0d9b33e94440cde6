"""Crop matching, a bank option: entries added from media keep crops of their picture, image queries
send crops of theirs, and cropped or overlaid copies match. Images here are generated: benign shapes."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from alliance.core.access import ALL_SCOPES, BankAction, Principal, Role, ShareRule, SharingPolicy
from alliance.core.media.hashing import hash_image, query_signals
from alliance.core.media.pdq_views import CROP_VIEWS, FRAMED, FRAMED_ALONG, INSIDE, NORMALISED, UNTRIMMED, UPRIGHT
from alliance.core.signals import signal_type
from alliance.demo import alterations
from alliance.formats.records import MediaRecord
from alliance.formats.registry import FORMATS, get_format
from alliance.services.audit import AuditLog
from alliance.services.banks import BankService
from alliance.services.hashing import FileResult
from alliance.services.matching import Matcher, MatchService

distance = signal_type("pdq").distance
FOUND = {INSIDE, FRAMED, FRAMED_ALONG, UPRIGHT}  # the picture found inside: every bank, not a crop


def generated_picture(seed: int = 4) -> bytes:
    """A 640x480 picture of overlapping coloured ellipses on a shaded ground: detail at every scale, as a photo has."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:480, 0:640]
    ground = 120 + 60 * np.sin(x / 53.0 + rng.uniform(0, 6)) * np.cos(y / 41.0 + rng.uniform(0, 6))
    image = Image.fromarray(np.dstack([ground, ground * 0.8, ground * 0.6]).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x0, y0 = rng.integers(0, 600), rng.integers(0, 440)
        w, h = rng.integers(15, 160), rng.integers(15, 160)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        # ellipses only: the picture finders take a rectangle's long straight sides for a picture's
        # edges, found alike in the copies, and every bank would match those (test_inside.py)
        draw.ellipse((x0, y0, x0 + w, y0 + h), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


ORIGINAL = generated_picture(12)  # its sticker and caption copies are 52 and 58 bits from every default view
COPIES = {
    "centre crop 10%": alterations.crop_centre(0.10)(ORIGINAL),
    "corner crop 5%": alterations.crop_corner(0.05)(ORIGINAL),
    "corner crop 10%": alterations.crop_corner(0.10, "bottom-right")(ORIGINAL),
    # overlays that the default views miss (52 and 58 bits away) but a side crop sees past
    "sticker over a side": alterations.sticker(0.25)(ORIGINAL),
    "caption bar": alterations.caption_bar(0.2)(ORIGINAL),
}


def add_picture(banks: BankService, bank: str, data: bytes = ORIGINAL) -> int:
    """What `alliance bank add` and the upload route do: hash with the bank's crop setting, then add."""
    crops = banks.get_bank(bank).crop_matching
    report = banks.add_files(bank, [FileResult(Path("picture.png"), hash_image(data, crops=crops))])
    return report.added[0].id


def matched_entries(service: MatchService, data: bytes) -> dict[int, str]:
    """What an image query finds, the way the CLI and the upload route ask: entry id -> variant."""
    _, signals, variants = query_signals(data, crops=service.crop_matching())
    return {m.entry_id: m.variant for m in service.match(signals, variants=variants) if m.signal_type == "pdq"}


@pytest.fixture
def service(banks: BankService, store, audit: AuditLog) -> MatchService:
    return MatchService(Matcher(store), audit, banks.actor)


@pytest.mark.parametrize("copy", COPIES)
def test_a_crop_matching_bank_finds_cropped_and_overlaid_copies(banks: BankService, service, copy):
    banks.create_bank("crops", crop_matching=True)
    entry = add_picture(banks, "crops")
    found = matched_entries(service, COPIES[copy])
    assert entry in found
    query_view, _, entry_view = found[entry].partition("@")
    assert query_view in CROP_VIEWS or entry_view in CROP_VIEWS  # a crop made the match, and says which


@pytest.mark.parametrize("copy", COPIES)
def test_without_crop_matching_the_same_copies_are_missed(banks: BankService, service, copy):
    banks.create_bank("plain")
    entry = add_picture(banks, "plain")
    assert service.crop_matching() is False
    assert entry not in matched_entries(service, COPIES[copy])
    assert entry in matched_entries(service, ORIGINAL)


def test_turning_crop_matching_off_stops_crops_matching_at_once(banks: BankService, service):
    banks.create_bank("crops", crop_matching=True)
    entry = add_picture(banks, "crops")
    _, signals, variants = query_signals(COPIES["centre crop 10%"], crops=True)
    assert entry in {m.entry_id for m in service.match(signals, variants=variants)}
    banks.update_bank("crops", crop_matching=False)
    assert service.crop_matching() is False
    assert entry not in {m.entry_id for m in service.match(signals, variants=variants)}  # even if crops are sent


def test_a_bank_without_crop_matching_keeps_no_crops(banks: BankService, store):
    """Hashes made with crops (a caller's mistake) still add no crops to a bank that does not match them."""
    banks.create_bank("plain")
    banks.add_files("plain", [FileResult(Path("picture.png"), hash_image(ORIGINAL, crops=True))])
    views = {s.view for s in store.iter_live_signals("pdq")}
    assert views - FOUND == {None, NORMALISED}  # the picture found inside it (its shapes) is no crop
    assert not views & CROP_VIEWS


def test_an_entry_stores_its_crops_as_views_of_its_own_picture(banks: BankService, store):
    banks.create_bank("crops", crop_matching=True)
    entry = add_picture(banks, "crops")
    views = {s.view for s in store.iter_live_signals("pdq", [entry])}
    assert {None, NORMALISED, "centre-4", "top-left-20", "no-bottom-25"} <= views
    assert len(views) >= 25 and views - {None, NORMALISED} - FOUND <= CROP_VIEWS
    assert [s.type for s in store.get_entry(entry).signals] == ["pdq", "md5", "sha1", "sha256"]


def test_entries_added_by_signal_have_no_views(banks: BankService, store):
    banks.create_bank("crops", crop_matching=True)
    media = hash_image(ORIGINAL, crops=True)
    banks.import_records("crops", [MediaRecord(signals=media.signals)])
    assert {s.view for s in store.iter_live_signals("pdq")} == {None}


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_hold_the_files_own_hashes_only(banks: BankService, fmt: str):
    banks.create_bank("crops", crop_matching=True)
    add_picture(banks, "crops")
    media = hash_image(ORIGINAL, crops=True)
    records = banks.export_records("crops")
    assert [r.signals for r in records] == [media.signals]
    text = get_format(fmt).write(records)
    own = media.get("pdq")
    assert own is not None and own.value in text.lower()
    assert not [v.view for v in media.views if v.signal.value in text.lower()]


def test_queries_are_cropped_only_for_banks_the_caller_may_match(banks: BankService, store, audit: AuditLog):
    uk = store.ensure_organisation("UK Hotline", "GB")
    de = store.ensure_organisation("DE Platform", "DE")
    owner = Principal(uk.id, uk.name, "GB", frozenset({Role.ANALYST}), ALL_SCOPES, user_id=1, name="a")
    platform = Principal(de.id, de.name, "DE", frozenset({Role.PLATFORM}), ALL_SCOPES, user_id=2, name="p")
    curator = BankService(store, banks.settings, audit, owner)
    curator.create_bank("uk-crops", crop_matching=True)
    curator.create_bank("uk-plain")
    matcher = Matcher(store)
    assert MatchService(matcher, audit, owner).crop_matching()
    assert not MatchService(matcher, audit, owner).crop_matching(["uk-plain"])
    assert not MatchService(matcher, audit, platform).crop_matching()  # not shared with the platform
    curator.update_bank("uk-crops", policy=SharingPolicy({BankAction.MATCH: ShareRule(countries=frozenset({"DE"}))}))
    assert MatchService(matcher, audit, platform).crop_matching()
    curator.update_bank("uk-crops", enabled=False)
    assert not MatchService(matcher, audit, platform).crop_matching()


def test_crop_matching_changes_are_audited(banks: BankService, audit: AuditLog):
    banks.create_bank("crops", crop_matching=True)
    banks.update_bank("crops", crop_matching=False)
    events = [(e.record.action, e.record.details.get("crop_matching")) for e in audit.store.events()]
    assert events == [("bank.create", True), ("bank.update", False)]


def test_a_corner_crop_of_a_bordered_picture_meets_the_whole_images_corner(banks: BankService, service):
    """A corner crop keeps the border on two sides only, so the copy is not trimmed like its original."""
    framed = alterations.border(0.08)(ORIGINAL)
    banks.create_bank("crops", crop_matching=True)
    entry = add_picture(banks, "crops", framed)
    copy = alterations.crop_corner(0.05)(framed)
    assert entry in matched_entries(service, copy)  # first met by the picture found on its white canvas
    corners = [
        v.signal.value for v in hash_image(framed, crops=True).views if v.view.startswith(f"{UNTRIMMED}-top-left-")
    ]
    sent = [q.value for q in query_signals(copy, crops=True)[1] if q.type == "pdq"]
    assert min(distance(q, c) for q in sent for c in corners) <= 31  # and by the whole image's corner
