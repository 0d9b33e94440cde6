"""The views of an image an entry stores and a query sends: their names, and what each one buys."""

import io

from PIL import Image

from alliance.core import alterations
from alliance.core.hashing import hash_image, query_signals
from alliance.core.pdq import DIHEDRAL_NAMES
from alliance.core.pdq_views import CROP_SETS, CROP_VIEWS, TRIMMED, UNTRIMMED


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_image_has_crops_on_request(photos):
    data = photos[1].read_bytes()
    assert hash_image(data).views == ()
    with_crops = hash_image(data, crops=True)
    assert [v.view for v in with_crops.views] == list(CROP_SETS["bank-crops"])
    assert with_crops.signals == hash_image(data).signals  # views never change the file's own signals


def test_a_bordered_image_also_keeps_the_whole_image(photos):
    bordered = alterations.letterbox(0.2)(png(Image.open(photos[1]).convert("RGB")))
    views = [v.view for v in hash_image(bordered, crops=True).views]
    assert views == [UNTRIMMED, *CROP_SETS["bank-crops"]]
    reference = hash_image(bordered, exact_reference=True)
    assert [v.view for v in reference.views] == [TRIMMED]  # its own PDQ is the whole image
    assert reference.view(TRIMMED) == hash_image(bordered).get("pdq")


def test_a_query_names_each_view_and_sends_crops_only_when_asked(photos):
    data = photos[1].read_bytes()
    media, signals, names = query_signals(data)
    assert names == ["original"] * 4 + list(DIHEDRAL_NAMES[1:])
    assert signals[:4] == list(media.signals)
    _, cropped, crop_names = query_signals(data, crops=True)
    assert crop_names == [*names, *CROP_SETS["query-crops"], *CROP_SETS["query-sides"]]
    assert cropped[: len(signals)] == signals
    assert not set(names) & CROP_VIEWS


def test_view_names_fit_a_match_variant():
    """A match names the query's view and the entry's, joined by '@', in 64 characters."""
    query = max(len(n) for n in [*DIHEDRAL_NAMES, UNTRIMMED, *CROP_VIEWS])
    entry = max(len(n) for n in [UNTRIMMED, TRIMMED, *CROP_VIEWS])
    assert query + 1 + entry <= 64 and entry <= 32
