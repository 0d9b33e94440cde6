"""Finding the picture inside memes, screenshots, photos of photos and turned copies, and matching
past stickers laid over it: on generated benign pictures placed where the test knows."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from alliance.core.media import inside
from alliance.core.media.hashing import hash_image, query_signals
from alliance.core.media.pdq_views import (
    CROP_VIEWS,
    FRAMED,
    FRAMED_ALONG,
    INSIDE,
    MASKS,
    NUDGE_VIEWS,
    REFILL_VIEWS,
    TURN_VIEWS,
    UPRIGHT,
    WINDOWS,
    refined_box,
    without_frame,
)
from alliance.core.signals import signal_type
from alliance.demo import alterations

distance = signal_type("pdq").distance


def landscape(width: int = 400, height: int = 300, seed: int = 3) -> Image.Image:
    """A generated landscape: hills, a textured ground and a sky with soft clouds; no straight edges."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    sky = 170 + 40 * np.sin(x / 37 + rng.uniform(0, 6)) * np.sin(y / 19 + rng.uniform(0, 6))
    ground = 80 + 45 * np.sin(x / 9 + rng.uniform(0, 6)) * np.cos(y / 7) + rng.normal(0, 12, (height, width))
    ridge = height * 0.45 + height * 0.12 * np.sin(x[0] / 50 + rng.uniform(0, 6)) + 10 * np.sin(x[0] / 13)
    luma = np.where(y < ridge[None, :], sky, ground)
    rgb = np.dstack([luma * 0.9, luma, luma * 1.05 - 10])
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def text(draw: ImageDraw.ImageDraw, at: tuple[int, int], words: str, colour: tuple[int, int, int], size: int) -> None:
    draw.text(at, words, font=alterations._font_of("", size), fill=colour)


def framed(luma: np.ndarray) -> tuple[int, int, int, int] | None:
    """The straight-edge finder's box as the views use it: its sides put back on the edges."""
    found = inside.inner_picture(luma)
    return None if found is None else refined_box(luma, found)


def close(found: tuple[int, int, int, int] | None, truth: tuple[int, int, int, int], pixels: int = 3) -> bool:
    return found is not None and max(abs(a - b) for a, b in zip(found, truth, strict=True)) <= pixels


@pytest.mark.parametrize(("bar", "ink"), [((0, 0, 0), (255, 255, 255)), ((255, 255, 255), (0, 0, 0))])
def test_a_picture_between_caption_bars_with_text_is_found_within_a_few_pixels(bar, ink):
    picture = landscape()
    canvas = Image.new("RGB", (400, 300 + 60 + 45), bar)
    canvas.paste(picture, (0, 60))
    draw = ImageDraw.Draw(canvas)
    text(draw, (40, 15), "when the weekend is over", ink, 26)
    text(draw, (90, 372), "nobody explains why", ink, 20)
    assert close(framed(grey(canvas)), (0, 60, 400, 360))
    assert close(inside.canvas_picture(grey(canvas)), (0, 60, 400, 360))


def test_a_picture_in_a_screenshot_with_margins_and_interface_text_is_found():
    canvas = Image.new("RGB", (560, 900), (240, 242, 245))
    draw = ImageDraw.Draw(canvas)
    text(draw, (20, 8), "12:41", (0, 0, 0), 14)
    for row, line in enumerate(["someone shared a photo", "2 hours ago"]):
        text(draw, (40, 60 + 22 * row), line, (0, 0, 0), 16)
    canvas.paste(landscape(480, 360, seed=5), (40, 130))
    for row in range(6):
        text(draw, (40, 510 + 30 * row), f"{12 * row + 3} likes  look at this view", (20, 20, 20), 18)
    assert close(framed(grey(canvas)), (40, 130, 520, 490))
    assert close(inside.canvas_picture(grey(canvas)), (40, 130, 520, 490))


def test_a_photo_inside_another_photo_is_found():
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    scene.paste(landscape(360, 270, seed=11), (190, 140))
    assert close(framed(grey(scene)), (190, 140, 550, 410))
    along = inside.inner_picture(grey(scene), inside.ALONG_SMOOTHING)  # lines averaged along themselves
    assert along is not None and close(refined_box(grey(scene), along), (190, 140, 550, 410))


def test_averaging_along_a_line_keeps_its_steps_and_smooths_its_grain():
    luma = np.zeros((6, 40), np.uint8)
    luma[:, 20:] = 200
    luma[3] = np.where(np.arange(40) % 2, 90, 110)  # grain: 90, 110, 90...
    averaged = inside._averaged_along_rows(luma, 9)
    assert averaged[0, :16].max() == 0 and averaged[0, 25:].min() == 200  # the step stays where it was
    assert set(averaged[3, 5:35].tolist()) <= {99, 100, 101}


def test_a_picture_with_no_surroundings_has_nothing_inside():
    assert inside.inner_picture(grey(landscape())) is None
    assert inside.canvas_picture(grey(landscape())) is None


def phone(picture: Image.Image, colour: tuple[int, int, int], ink: tuple[int, int, int], margin: int) -> Image.Image:
    """A generated phone screen: status bar, a header with a name, the picture, comments below."""
    canvas = Image.new("RGB", (420, 860), colour)
    draw = ImageDraw.Draw(canvas)
    text(draw, (18, 4), "9:41", ink, 14)
    draw.rectangle((360, 8, 392, 18), fill=ink)
    text(draw, (margin + 10, 40), "a friend shared this", ink, 18)
    text(draw, (margin + 10, 64), "yesterday at noon", ink, 13)
    canvas.paste(picture, (margin, 100))
    for row in range(8):
        text(draw, (margin + 10, 106 + picture.height + 28 * row), f"{7 * row + 2} likes  what a view", ink, 17)
    return canvas


@pytest.mark.parametrize(
    ("colour", "ink", "margin"),
    [((255, 255, 255), (0, 0, 0), 0), ((18, 18, 18), (230, 230, 230), 0), ((229, 236, 246), (20, 20, 20), 24)],
)
def test_a_picture_on_a_phone_like_canvas_is_found_and_meets_the_picture(colour, ink, margin):
    picture = landscape(420 - 2 * margin, 300 - margin, seed=31)
    screen = phone(picture, colour, ink, margin)
    assert close(inside.canvas_picture(grey(screen)), (margin, 100, 420 - margin, 100 + picture.height))
    names = dict(zip(*reversed(query_signals(png(screen))[1:]), strict=True))
    assert distance(names[INSIDE].value, hash_image(png(picture)).get("pdq").value) <= 31


def test_text_touching_the_picture_does_not_widen_what_is_found():
    canvas = Image.new("RGB", (600, 520), (250, 250, 250))
    canvas.paste(landscape(360, 270, seed=33), (40, 90))
    draw = ImageDraw.Draw(canvas)
    text(draw, (40, 362), "caption right under it, wider than the picture is", (0, 0, 0), 20)
    text(draw, (420, 100), "a side column", (0, 0, 0), 16)
    assert close(inside.canvas_picture(grey(canvas)), (40, 90, 400, 360))


def test_an_object_on_the_canvas_colour_is_found_alike_alone_and_on_the_canvas():
    """A white backdrop on a white page is flooded with the page: the object's box is found, the
    same in the picture alone as in the screenshot, so an entry and its copies still meet."""
    product = Image.new("RGB", (400, 300), (255, 255, 255))
    ImageDraw.Draw(product).ellipse((90, 60, 330, 250), fill=(200, 40, 40), outline=(60, 10, 10), width=6)
    page = Image.new("RGB", (640, 700), (255, 255, 255))
    page.paste(product, (120, 150))
    text(ImageDraw.Draw(page), (120, 470), "now 20% off", (0, 0, 0), 24)
    alone, shown = inside.canvas_picture(grey(product)), inside.canvas_picture(grey(page))
    assert alone is not None and shown is not None
    assert close((shown[0] - 120, shown[1] - 150, shown[2] - 120, shown[3] - 150), alone)


def test_a_print_border_inside_a_framed_picture_is_trimmed():
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    ImageDraw.Draw(scene).rectangle((175, 125, 565, 425), fill=(245, 245, 240))
    scene.paste(landscape(360, 270, seed=11), (190, 140))
    assert close(without_frame(grey(scene), (176, 126, 564, 424)), (190, 140, 550, 410))


def ycc(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Luma and the Cb, Cr planes (2, h, w) of an RGB image, as the finders take them."""
    planes = np.asarray(image.convert("YCbCr"))
    return np.asarray(image.convert("L")), np.ascontiguousarray(np.moveaxis(planes[..., 1:], -1, 0))


def test_a_picture_whose_edge_is_a_colour_step_only_is_found_with_the_chroma():
    """A blue-grey picture on a brown-grey scene of the same luma: no luma step, a chroma one."""
    rng = np.random.default_rng(4)
    scene = np.clip(np.array([150, 115, 80]) + rng.normal(0, 3, (300, 400, 3)), 0, 255).astype(np.uint8)
    sky = np.clip(np.array([95, 120, 170]) + rng.normal(0, 3, (150, 200, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(scene)
    image.paste(Image.fromarray(sky), (120, 80))
    luma, chroma = ycc(image)
    assert abs(int(luma[100:200, 150:300].mean()) - int(luma[:60].mean())) < 8  # alike in luma
    found = inside.inner_picture(luma, 1, chroma)
    assert found is not None and close(refined_box(luma, found), (120, 80, 320, 230))


def test_a_picture_a_few_pixels_from_the_image_edge_keeps_its_own_edge():
    """Within 2% of the edge: the scene's sliver is not taken for the picture."""
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    scene.paste(landscape(360, 270, seed=11), (6, 140))
    luma, chroma = ycc(scene)
    found = inside.inner_picture(luma, 1, chroma)
    assert found is not None and close(refined_box(luma, found), (6, 140, 366, 410))


def test_a_wide_picture_a_sixth_of_the_scene_high_is_found_with_the_chroma():
    scene = alterations.textured_background(640, 720, np.random.default_rng(14))
    scene.paste(landscape(300, 120, seed=13), (170, 300))
    luma, chroma = ycc(scene)
    assert inside.inner_picture(luma) is None  # under a quarter of the height: not by the luma alone
    found = inside.inner_picture(luma, 1, chroma)
    assert found is not None and close(refined_box(luma, found), (170, 300, 470, 420))


def test_a_line_of_the_pictures_own_does_not_stop_a_side_short_of_its_edge():
    """The picture's bottom band is the scene's colour along a stretch of its edge, and a shore line
    across it holds a side: the side goes on out to the edge."""
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    picture = landscape(360, 270, seed=11)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 240, 360, 270), fill=(40, 60, 90))  # water below a shore at 240
    scene.paste(picture, (190, 140))
    ImageDraw.Draw(scene).rectangle((300, 410, 380, 430), fill=(40, 60, 90))  # the scene alike below a stretch
    luma, chroma = ycc(scene)
    found = inside.inner_picture(luma, 1, chroma)
    assert found is not None and close(refined_box(luma, found), (190, 140, 550, 410))


def test_a_frame_seen_inside_on_one_side_and_just_outside_on_another_is_trimmed():
    """The box runs on the frame's outer edge on the left and on the picture's own edge elsewhere."""
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    ImageDraw.Draw(scene).rectangle((175, 125, 565, 425), fill=(30, 25, 20))
    scene.paste(landscape(360, 270, seed=11), (190, 140))
    assert close(without_frame(grey(scene), (176, 140, 550, 410)), (190, 140, 550, 410))


def test_a_hard_shadow_deeper_than_a_tenth_of_a_wide_pictures_height_is_trimmed():
    """A shadow is as deep on every side: 20 lines under a 120-line-high picture is still a band."""
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    ImageDraw.Draw(scene).rectangle((100, 150, 520, 290), fill=(20, 20, 20))
    scene.paste(landscape(400, 120, seed=11), (100, 150))
    assert close(without_frame(grey(scene), (100, 150, 521, 291)), (100, 150, 500, 270))


def test_a_deep_white_margin_ending_at_an_objects_outline_is_not_trimmed():
    """An object on white: the margin under it ends at its outline, not at a straight edge."""
    picture = landscape(400, 150, seed=11)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 110, 400, 150), fill=(250, 250, 250))
    draw.rectangle((370, 0, 400, 150), fill=(250, 250, 250))
    draw.ellipse((150, 95, 250, 125), fill=(40, 40, 40))
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    scene.paste(picture, (100, 150))
    assert without_frame(grey(scene), (100, 150, 500, 300)) == (100, 150, 500, 300)


def test_a_print_border_around_an_object_on_white_is_trimmed_at_its_faint_edge():
    """The print's white and the picture's own white lie within the flat tolerance: one band, cut
    where its median steps by a couple of levels all along."""
    picture = Image.new("RGB", (300, 200), (252, 252, 252))
    picture.paste(landscape(180, 120, seed=11).resize((180, 120)), (60, 40))
    ImageDraw.Draw(picture).ellipse((100, 60, 200, 140), fill=(40, 60, 90))
    scene = alterations.textured_background(700, 520, np.random.default_rng(9))
    ImageDraw.Draw(scene).rectangle((188, 148, 512, 372), fill=(245, 245, 240))
    scene.paste(picture, (200, 160))
    assert close(without_frame(grey(scene), (189, 149, 511, 371)), (200, 160, 500, 360))


@pytest.mark.parametrize("degrees", [-12.0, -3.0, 4.0, 9.0])
def test_a_turned_picture_on_a_filled_canvas_is_measured_and_turned_back(degrees):
    picture = landscape(400, 300, seed=7)
    turned = picture.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=(0, 0, 0))
    found = inside.turned_picture(grey(turned))
    assert found is not None
    measured, quad = found
    assert abs(measured - degrees) < 0.5
    upright = inside.deskew(grey(turned), quad)
    assert abs(upright.shape[1] - 400) <= 6 and abs(upright.shape[0] - 300) <= 6


@pytest.mark.parametrize("degrees", [-6.0, 3.0])
def test_a_turned_picture_whose_top_is_the_fill_colour_is_turned_back_all_the_same(degrees):
    """A white sky along the picture's top on a white fill: that side is mirrored from the bottom."""
    picture = landscape(400, 300, seed=8)
    ImageDraw.Draw(picture).rectangle((0, 0, 400, 60), fill=(255, 255, 255))
    turned = picture.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    found = inside.turned_picture(grey(turned))
    assert found is not None
    measured, quad = found
    assert abs(measured - degrees) < 0.5
    upright = inside.deskew(grey(turned), quad)
    assert abs(upright.shape[1] - 400) <= 6 and abs(upright.shape[0] - 300) <= 6


@pytest.mark.parametrize("degrees", [-7.0, 4.0])
def test_a_turned_picture_with_two_sides_in_the_fill_colour_is_turned_back_from_the_grown_canvas(degrees):
    """A white sky along the top and a white wall along the right on a white fill: only the left and
    bottom sides show, and the canvas grown to hold the turned picture fixes the other two."""
    picture = landscape(400, 300, seed=9)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, 400, 70), fill=(255, 255, 255))
    draw.rectangle((320, 0, 400, 300), fill=(255, 255, 255))
    turned = picture.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    found = inside.turned_picture(grey(turned))
    assert found is not None
    measured, quad = found
    assert abs(measured - degrees) < 0.5
    assert np.abs(quad - inside.grown_quad(turned.width, turned.height, degrees)).max() < 3


def object_on_white(seed: int = 31) -> Image.Image:
    """A textured object on a white backdrop, reaching the image's left and right edges."""
    image = Image.new("RGB", (400, 260), (255, 255, 255))
    mask = Image.new("L", (400, 260), 0)
    ImageDraw.Draw(mask).polygon([(0, 110), (150, 40), (400, 90), (400, 170), (180, 220), (0, 150)], fill=255)
    image.paste(landscape(400, 260, seed=seed), (0, 0), mask)
    return image


def test_an_object_on_white_turned_filled_white_or_cut_meets_the_entrys_turns():
    """Its picture's edge is the backdrop: no turn is seen, the copy is the object turned on white,
    which the entry's turns of the whole image, trimmed as the copy's own hash is, meet."""
    original = png(object_on_white())
    own = hash_image(original, crops=True)
    stored = [v.signal for v in own.views if v.view in TURN_VIEWS]
    assert {v.view for v in own.views} >= REFILL_VIEWS
    for degrees, cropped in ((-6.0, False), (4.0, True), (8.0, True)):
        turned = object_on_white().rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
        if cropped:
            scale = inside.inscribed_scale(400, 260, degrees)
            w, h, cx, cy = 400 * scale, 260 * scale, turned.width / 2, turned.height / 2
            turned = turned.crop((round(cx - w / 2), round(cy - h / 2), round(cx + w / 2), round(cy + h / 2)))
        query = query_signals(png(turned), crops=True)[1]
        assert min(distance(q.value, s.value) for q in query for s in stored) <= 31


def test_an_object_on_white_with_a_straight_edge_is_not_taken_for_a_turned_picture():
    image = Image.new("RGB", (400, 300), (250, 250, 250))
    ImageDraw.Draw(image).polygon([(60, 40), (340, 25), (345, 110), (65, 125)], fill=(60, 50, 40))
    assert inside.turned_picture(grey(image)) is None


def test_an_upright_picture_is_not_taken_for_a_turned_one():
    assert inside.turned_picture(grey(landscape())) is None
    bordered = Image.new("RGB", (440, 340), (0, 0, 0))
    bordered.paste(landscape(), (20, 20))
    assert inside.turned_picture(grey(bordered)) is None


def test_a_meme_of_a_picture_meets_the_picture_through_its_inside_view():
    original = png(landscape(480, 360, seed=21))
    meme = alterations.meme_caption("both")(original, 5, False)
    media, signals, names = query_signals(meme)
    own = hash_image(original).get("pdq")
    assert own is not None
    found = dict(zip(names, signals, strict=True))
    assert INSIDE in found
    assert distance(found[INSIDE].value, own.value) <= 31
    assert distance(media.get("pdq").value, own.value) > 31  # the whole meme does not


def test_a_turned_copy_meets_the_picture_upright_or_through_the_banks_turns():
    original = png(landscape(480, 360, seed=23))
    own = hash_image(original, crops=True)
    filled = alterations.small_rotation(6, 6, cropped=False)(original, 1, False)
    names = dict(zip(*reversed(query_signals(filled)[1:]), strict=True))
    assert distance(names[UPRIGHT].value, own.get("pdq").value) <= 31
    cropped = alterations.small_rotation(6, 6, cropped=True)(original, 1, False)
    query = query_signals(cropped, crops=True)[1]
    stored = [v.signal for v in own.views if v.view in TURN_VIEWS]
    assert len(stored) == len(TURN_VIEWS) - len(NUDGE_VIEWS) - len(REFILL_VIEWS)  # not on a flat backdrop
    assert min(distance(q.value, s.value) for q in query for s in stored) <= 31


def test_the_new_bank_views_count_only_in_crop_matching_banks_and_the_found_ones_everywhere():
    assert TURN_VIEWS <= CROP_VIEWS and set(WINDOWS) | set(MASKS) <= CROP_VIEWS
    assert not {INSIDE, FRAMED, FRAMED_ALONG, UPRIGHT} & CROP_VIEWS
    assert all(len(name) <= 32 for name in (INSIDE, FRAMED, FRAMED_ALONG, UPRIGHT))  # signals.view is 32 long
    assert all(len(name) <= 16 for name in TURN_VIEWS)


def overlaid(picture: Image.Image, pieces: list[tuple[str, tuple[int, int, int, int]]]) -> Image.Image:
    """`picture` with stickers laid over it: a flat label with text, an emoji-like face, or a patch
    of another (textured) picture, each in its box."""
    covered = picture.copy()
    draw = ImageDraw.Draw(covered)
    for kind, box in pieces:
        if kind == "label":
            draw.rectangle(box, fill=(255, 140, 0))
            draw.text((box[0] + 4, box[1] + 4), "shared again", fill=(0, 0, 0))
        elif kind == "face":
            draw.ellipse(box, fill=(250, 205, 40), outline=(60, 40, 0), width=3)
            draw.ellipse((box[0] + 15, box[1] + 15, box[0] + 25, box[1] + 30), fill=(40, 30, 10))
        else:  # not flat at all: a piece of another picture
            patch = landscape(box[2] - box[0], box[3] - box[1], seed=99).rotate(90, expand=False)
            covered.paste(patch, box[:2])
    return covered


@pytest.mark.parametrize(
    "pieces",
    [
        [("face", (20, 200, 160, 340))],  # one near a corner, ~11%
        [("label", (20, 20, 200, 70)), ("face", (300, 200, 400, 300)), ("photo", (330, 30, 440, 120))],  # ~13%
        [("photo", (200, 20, 330, 160)), ("label", (300, 250, 470, 300))],  # textured and flat, ~16%
    ],
)
def test_stickers_anywhere_leave_a_window_that_meets_the_entrys_same_window(pieces):
    """Overlays of any look, one to three pieces, covering about a tenth of the picture: the whole
    picture's hash moves beyond the threshold, but a window they leave clear meets the entry's."""
    picture = landscape(480, 360, seed=41)
    entry = hash_image(png(picture), crops=True)
    names = dict(zip(*reversed(query_signals(png(overlaid(picture, pieces)), crops=True)[1:]), strict=True))
    stored = {v.view: v.signal for v in entry.views if v.view in WINDOWS}
    assert sorted(stored) == sorted(WINDOWS) == sorted(name for name in names if name in WINDOWS)
    assert distance(names["original"].value, entry.get("pdq").value) > 31
    assert min(distance(names[name].value, stored[name].value) for name in WINDOWS) <= 31


@pytest.mark.parametrize("kind", ["face", "photo", "label"])
def test_a_sticker_in_the_middle_meets_through_the_middle_masked_view(kind):
    """A sticker in the middle touches every window; masked alike on both sides, the rest meets."""
    picture = landscape(480, 360, seed=41)
    entry = hash_image(png(picture), crops=True)
    covered = overlaid(picture, [(kind, (160, 110, 330, 270))])  # ~16%
    names = dict(zip(*reversed(query_signals(png(covered), crops=True)[1:]), strict=True))
    stored = {v.view: v.signal for v in entry.views if v.view in MASKS}
    assert sorted(stored) == sorted(MASKS) == sorted(name for name in names if name in MASKS)
    assert distance(names["masked-11"].value, stored["masked-11"].value) <= 31
    assert distance(names["original"].value, entry.get("pdq").value) > 31


def test_windows_of_different_pictures_do_not_meet():
    one = hash_image(png(landscape(480, 360, seed=41)), crops=True)
    other = hash_image(png(landscape(480, 360, seed=43)), crops=True)
    mine = [v.signal for v in one.views if v.view in WINDOWS]
    theirs = [v.signal for v in other.views if v.view in WINDOWS]
    assert min(distance(a.value, b.value) for a in mine for b in theirs) > 31
