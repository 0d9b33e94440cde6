"""Which altered copies of known photos still match, per query strategy, and at what cost.

Why: every altered copy of known material that fails to match is a child re-victimised; every
false match accuses an innocent user. This applies each alteration in
`alliance.demo.alterations.BENCH_ALTERATIONS` to every photo of a benign photo set, and reports, at
PDQ threshold 31, the recall of each strategy (a copy is found when any of its query hashes is
within the threshold of any hash stored for its own photo; as in the product, hashes of PDQ quality
under 50 are neither stored nor sent), the false matches between different
photos of the set, and matches against a bank of random hashes.

Strategies (bank side / query side), all on the default hashing path; the last two are what the
product does (`hash_image` for an entry, `query_signals` for an image query; each photo is checked
against them):

* plain: one hash per entry / one hash per query (PDQ as the reference uses it);
* dihedral: one / the hashes of the 8 rotations and flips of the query's pixels
  (`pdq_views.dihedral_region_hashes`);
* trim+dihedral: uniform borders trimmed on both sides (`pdq_views.uniform_border`) / 8; when a
  border was trimmed the whole image's hash goes along on both sides (the "untrimmed" view);
* default (every bank): as trim+dihedral, plus the normalised view on both sides
  (`pdq_views.normalised_hash`: the picture at 64x64, highlights flattened) and the pictures found
  inside (`pdq_views.found_pictures`: on a flat canvas, framed by straight edges, turned back);
* crop matching (a bank option): the entry also stores `CROP_SETS["bank-crops"]` (29 crops, and
  when it was trimmed the whole image's corners, `["bank-untrimmed-corners"]`), its turns
  (`turn±2..15`; on a flat backdrop also `refill±2..15`), 16 windows (`["windows"]`) and 9 masked
  views (`MASKS`), for overlays anywhere
  / the query also sends `["query-crops"]` (15), `["query-sides"]` (4, overlays cut away), two
  half-degree nudges and the same 16 windows and 9 masked views.

Photo sets are built by bench/datasets/build_photo_set.py into var/bench/photos-<tier> on first
use. Writes bench/results/robustness.{json,md,png}.

    .venv/bin/python bench/robustness.py            # core set (~360 photos), 1M random hashes (~15 min)
    .venv/bin/python bench/robustness.py --quick    # fixture set (~41 photos), 100k random (~1 min)
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import hashlib
import json
import platform
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from alliance.core.index.engine import LinearPDQIndex
from alliance.core.media.hashing import decode_for_pdq, hash_image, query_signals
from alliance.core.media.pdq_views import (
    CROP_SETS,
    RegionHash,
    dihedral_region_hashes,
    found_pictures,
    hash_crops,
    hash_region,
    masked_hashes,
    normalised_hash,
    nudged_hashes,
    picture_box,
    refilled_hashes,
    turned_hashes,
)
from alliance.core.signals import PDQ_MIN_QUALITY, is_matchable
from alliance.demo.alterations import BENCH_ALTERATIONS, WIDE_ALTERATIONS
from datasets.photos import ROOT, photo_set

THRESHOLD = 31
RESULTS = Path(__file__).parent / "results"
STRATEGIES = ["plain", "dihedral", "trim+dihedral", "default", "crop matching"]
KNOWN_DUPLICATES = {
    # the same photo in two gcompris activities, at two sizes (looked at side by side)
    frozenset({"gcompris-categorization/brandenburgGate.webp", "gcompris-explore_monuments/brandenburgGate.webp"}),
    frozenset({"gcompris-categorization/colosseum.webp", "gcompris-explore_monuments/colosseum.webp"}),
    frozenset({"gcompris-categorization/greatPyramid.webp", "gcompris-explore_monuments/greatPyramidOfGiza.webp"}),
}
CLASS_TARGETS = {
    # the classes (WIDE_ALTERATIONS), judged on the bank option that matches crops
    "caption bars with text": 0.95,
    "picture inside a larger canvas": 0.95,
    "overlays up to 15%": 0.95,
    "rotation 2-10°": 0.90,
}
TARGETS = {
    # alteration name prefix: (strategy it is judged on, target recall), from the issue
    "JPEG q90": ("plain", 0.99),
    "JPEG q50": ("plain", 0.99),
    "JPEG q30": ("plain", 0.99),
    # plain PDQ (ours and the reference alike) misses half-size copies of some small photos and
    # brightened copies whose highlights burn out: judged on what every bank does by default
    "resize 50%": ("default", 0.99),
    "resize 25%": ("default", 0.99),
    "greyscale": ("plain", 0.99),
    "brightness": ("default", 0.99),
    "contrast": ("plain", 0.99),
    "gamma": ("plain", 0.99),
    "blur": ("plain", 0.99),
    "noise": ("plain", 0.99),
    "flip": ("dihedral", 0.99),
    "rotate 90": ("dihedral", 0.99),
    "rotate 180": ("dihedral", 0.99),
    "rotate 270": ("dihedral", 0.99),
    "letterbox": ("trim+dihedral", 0.95),
    "pad to square": ("trim+dihedral", 0.95),
    "border": ("trim+dihedral", 0.95),
    "crop centre 5%": ("crop matching", 0.90),
    "crop centre 8%": ("crop matching", 0.90),
    "crop centre 10%": ("crop matching", 0.90),
    "crop corner 5%": ("crop matching", 0.90),
    "crop corner 10%": ("crop matching", 0.90),
    "sticker": ("crop matching", 0.90),
    "caption": ("crop matching", 0.90),
}


@dataclass
class Views:
    """Every hash any strategy needs of one image, from one decode."""

    full: list[bytes]
    dihedral: list[bytes]
    trim_dihedral: list[bytes]
    untrimmed: list[bytes]  # the whole image, when a border was trimmed
    normalised: list[bytes]
    crops: list[bytes]  # what a crop-matching bank stores
    query_crops: list[bytes]  # what a query to a crop-matching bank sends
    found: list[bytes]  # the picture found inside (framed, or turned back), both sides, every bank
    turns: list[bytes]  # the picture turned 2-15 degrees, what a crop-matching bank stores
    windows: list[bytes]  # 16 windows of the picture (overlays), both sides of a crop-matching bank
    masks: list[bytes]  # the picture with each of 9 half-size windows filled, both sides likewise
    trimmed: bool
    weak: set[bytes] = field(default_factory=set)  # quality under PDQ_MIN_QUALITY: never indexed nor sent
    seconds: dict[str, float] = field(default_factory=dict)

    def bank(self, strategy: str) -> list[bytes]:
        """What an entry of a bank with `strategy` indexes: as the product, only hashes strong enough to match on."""
        own = self.trim_dihedral[:1] + self.untrimmed
        hashes = {
            "plain": self.full,
            "dihedral": self.full,
            "trim+dihedral": own,
            "default": own + self.normalised + self.found,
            "crop matching": own + self.normalised + self.found + self.crops + self.turns + self.windows + self.masks,
        }[strategy]
        return [h for h in hashes if h not in self.weak]

    def query(self, strategy: str) -> list[bytes]:
        turned = self.trim_dihedral + self.untrimmed
        hashes = {
            "plain": self.full,
            "dihedral": self.dihedral,
            "trim+dihedral": turned,
            "default": turned + self.normalised + self.found,
            "crop matching": turned + self.normalised + self.found + self.query_crops + self.windows + self.masks,
        }[strategy]
        return [h for h in hashes if h not in self.weak]


def views_of(data: bytes) -> Views:
    weak: set[bytes] = set()

    def hashes(regions: list[RegionHash]) -> list[bytes]:
        out = [r.hash() for r in regions]
        weak.update(h for h, r in zip(out, regions, strict=True) if r.view_quality < PDQ_MIN_QUALITY)
        return out

    marks = [time.perf_counter()]
    reduced, _ = decode_for_pdq(data, colour=True)
    marks.append(time.perf_counter())
    whole = picture_box(reduced, trim=False)
    whole_region = hash_region(reduced, whole)
    full = whole_region.hash()
    if whole_region.quality < PDQ_MIN_QUALITY:
        weak.add(full)
    marks.append(time.perf_counter())
    dihedral = dihedral_region_hashes(reduced, whole)
    if whole_region.quality < PDQ_MIN_QUALITY:
        weak.update(dihedral)
    marks.append(time.perf_counter())
    box = picture_box(reduced, trim=True)
    trim_dihedral = dihedral_region_hashes(reduced, box)
    if hash_region(reduced, box).quality < PDQ_MIN_QUALITY:
        weak.update(trim_dihedral)
    marks.append(time.perf_counter())
    normalised = hashes([normalised_hash(reduced, box)])[0]
    marks.append(time.perf_counter())
    found = hashes(list(found_pictures(reduced).values()))
    marks.append(time.perf_counter())
    crops = hash_crops(reduced, box, CROP_SETS["bank-crops"])
    if box != whole:
        crops.update(hash_crops(reduced, whole, CROP_SETS["bank-untrimmed-corners"]))
    marks.append(time.perf_counter())
    turns = hashes(list(turned_hashes(reduced, box).values()) + list(refilled_hashes(reduced).values()))
    marks.append(time.perf_counter())
    windows = hashes(list(hash_crops(reduced, box, CROP_SETS["windows"]).values()))
    marks.append(time.perf_counter())
    masks = hashes(list(masked_hashes(reduced, box).values()))
    marks.append(time.perf_counter())
    query_crops = hash_crops(reduced, box, {**CROP_SETS["query-crops"], **CROP_SETS["query-sides"]})
    query_crops.update(nudged_hashes(reduced, box))
    marks.append(time.perf_counter())
    steps = [
        "decode",
        "hash",
        "dihedral",
        "trim+dihedral",
        "normalised",
        "found",
        "bank crops",
        "turns",
        "windows",
        "masked",
        "query crops",
    ]
    trimmed = box != whole
    return Views(
        full=[full],
        dihedral=dihedral,
        trim_dihedral=trim_dihedral,
        untrimmed=[full] if trimmed else [],
        normalised=[normalised],
        crops=hashes(list(crops.values())),
        query_crops=hashes(list(query_crops.values())),
        found=found,
        turns=turns,
        windows=windows,
        masks=masks,
        trimmed=trimmed,
        weak=weak,
        seconds={step: marks[i + 1] - marks[i] for i, step in enumerate(steps)},
    )


def check_against_the_product(data: bytes, views: Views) -> None:
    """The two product strategies hold exactly the hashes the product stores and queries by."""
    for crops, strategy in ((False, "default"), (True, "crop matching")):
        entry = hash_image(data, crops=crops)
        signals = [s for s in entry.signals if s.type == "pdq"] + [v.signal for v in entry.views]
        stored = {s.value for s in signals if is_matchable(s)}
        queried = {s.value for s in query_signals(data, crops=crops)[1] if s.type == "pdq" and is_matchable(s)}
        assert stored == {h.hex() for h in views.bank(strategy)}, f"{strategy}: the bench stores other hashes"
        assert queried == {h.hex() for h in views.query(strategy)}, f"{strategy}: the bench queries other hashes"


_warm = False


def is_held_out(path: str) -> bool:
    """Half of the photos, by a hash of their name: the wide classes are tuned on the other half."""
    return hashlib.sha256(Path(path).name.encode()).digest()[0] % 2 == 1


def seed_of(path: str, alteration: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{Path(path).name}|{alteration}".encode()).digest()[:8], "big")


def alterations_of(only: str | None) -> dict[str, Any]:
    """Every alteration by name: the fixed ones, and the wide classes (seeded per photo)."""
    named: dict[str, Any] = {**BENCH_ALTERATIONS, **{n: f for n, (_, f) in WIDE_ALTERATIONS.items()}}
    return {n: f for n, f in named.items() if only is None or re.search(only, n)}


def photo_job(item: tuple[str, bytes, str | None]) -> tuple[str, Views, dict[str, Views]]:
    """Views of a photo and of each of its alterations (run in a worker process)."""
    global _warm
    path, data, only = item
    if not _warm:  # load numba's cached kernels before anything is timed
        views_of(BENCH_ALTERATIONS["resize 50%"](data))
        views_of(BENCH_ALTERATIONS["JPEG q90"](data))
        _warm = True
    altered = {}
    held_out = is_held_out(path)
    for name, alter in alterations_of(only).items():
        if name in WIDE_ALTERATIONS:
            altered[name] = views_of(alter(data, seed_of(path, name), held_out))
        else:
            altered[name] = views_of(alter(data))
    original = views_of(data)
    check_against_the_product(data, original)
    return path, original, altered


def short_name(path: Path) -> str:
    """source/file within a photo set, or the path within the repository."""
    if path.parent.parent.name == "photos":
        return f"{path.parent.name}/{path.name}"
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def as_array(hashes: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(len(hashes), 32)


def distances(queries: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """All-pairs Hamming distances, (len(queries), len(stored))."""
    q = queries.view(np.uint64)
    s = stored.view(np.uint64)
    return np.bitwise_count(q[:, None, :] ^ s[None, :, :]).sum(axis=2)


def nearest(queries: list[bytes], stored: np.ndarray) -> np.ndarray:
    """For each stored hash, its distance to the nearest query (257 when nothing is sent: a
    picture too flat for any hash strong enough to match on)."""
    if not queries:
        return np.full(len(stored), 257)
    return distances(as_array(queries), stored).min(axis=0)


def random_bank_matches(queries: np.ndarray, n: int) -> tuple[int, str, float]:
    """Matches of `queries` against n uniform random hashes, with the fastest exact index we have."""
    rng = np.random.default_rng(2026)
    hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    ids = np.arange(n, dtype=np.int64)
    try:
        from alliance.core.index.mih import MIHPDQIndex

        index: Any = MIHPDQIndex.build(ids, hashes)
        engine = "MIHPDQIndex"
    except Exception:  # the multi-index engine is not there: the exact linear scan
        index = LinearPDQIndex.build(ids, hashes)
        engine = "LinearPDQIndex"
    index.query(queries[:1], THRESHOLD)  # compile the engine's kernels before timing
    start = time.perf_counter()
    hits = index.query(queries, THRESHOLD)
    per_query = (time.perf_counter() - start) / max(1, len(queries))
    return len(hits), engine, per_query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fixture photos (~41), 100k random hashes")
    parser.add_argument("--tier", choices=["demo", "fixture", "core"], help="photo set (default core; quick: fixture)")
    parser.add_argument("--random", type=int, help="random bank size (default 1,000,000; quick 100,000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--only", help="alterations whose name matches this regular expression")
    parser.add_argument("--photos", type=int, help="every n-th photo only, for quick runs (e.g. 4)")
    parser.add_argument("--half", choices=["tune", "held-out"], help="only the photos of one half")
    args = parser.parse_args()
    tier = args.tier or ("fixture" if args.quick else "core")
    random_n = args.random or (100_000 if args.quick else 1_000_000)

    photos = photo_set(tier)
    if args.half:
        photos = [p for p in photos if is_held_out(str(p)) == (args.half == "held-out")]
    if args.photos:
        photos = photos[:: args.photos]
    alterations = alterations_of(args.only)
    print(f"{len(photos)} photos ({tier}), {len(alterations)} alterations, {args.jobs} processes", flush=True)
    started = time.perf_counter()
    items = [(str(p), p.read_bytes(), args.only) for p in photos]  # read once: the cache may be cleaned while we run
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        jobs = list(pool.map(photo_job, items, chunksize=2))
    print(f"hashed in {time.perf_counter() - started:.0f} s", flush=True)
    names = [short_name(Path(p)) for p, _, _ in jobs]
    originals = [v for _, v, _ in jobs]

    # recall per alteration per strategy
    banks = {}
    for strategy in STRATEGIES:
        hashes, owners = [], []
        for i, views in enumerate(originals):
            for h in views.bank(strategy):
                hashes.append(h)
                owners.append(i)
        banks[strategy] = (as_array(hashes), np.array(owners))
    twins = {
        i: {j for j, b in enumerate(names) if frozenset({names[i], b}) in KNOWN_DUPLICATES} for i in range(len(names))
    }
    recall: dict[str, dict[str, float]] = {}
    wrong: dict[str, dict[str, int]] = {}
    held_out = np.array([is_held_out(p) for p, _, _ in jobs])
    halves: dict[str, dict[str, list[float]]] = {}  # the wide classes: recall on each half of the photos
    for alteration in alterations:
        recall[alteration], wrong[alteration] = {}, {}
        for strategy in STRATEGIES:
            stored, owners = banks[strategy]
            wrong_photo = 0
            hits = np.zeros(len(jobs), bool)
            for i, (_, _, altered) in enumerate(jobs):
                d = nearest(altered[alteration].query(strategy), stored)
                matched = set(owners[d <= THRESHOLD].tolist())
                hits[i] = i in matched or bool(matched & twins[i])
                wrong_photo += bool(matched - {i} - twins[i])
            recall[alteration][strategy] = float(hits.mean())
            wrong[alteration][strategy] = wrong_photo
            if alteration in WIDE_ALTERATIONS:
                halves.setdefault(alteration, {})[strategy] = [
                    float(hits[~held_out].mean()) if (~held_out).any() else float("nan"),
                    float(hits[held_out].mean()) if held_out.any() else float("nan"),
                ]

    # false matches between different photos of the set (unaltered)
    false_pairs: dict[str, list[dict[str, Any]]] = {}
    for strategy in STRATEGIES:
        stored, owners = banks[strategy]
        pairs = []
        for j, views in enumerate(originals):
            d = nearest(views.query(strategy), stored)
            for i in sorted(set(owners[(d <= THRESHOLD) & (owners != j)].tolist())):
                a, b = names[min(i, j)], names[max(i, j)]
                duplicate = frozenset({a, b}) in KNOWN_DUPLICATES
                pairs.append({"a": a, "b": b, "distance": int(d[owners == i].min()), "duplicate": duplicate})
        false_pairs[strategy] = dedupe(pairs)

    # matches against a bank of random hashes: every hash any strategy stores or queries
    everything = set()
    for views in originals:
        everything.update(views.bank("crop matching") + views.query("crop matching") + views.dihedral + views.full)
    random_hits, engine, per_query = random_bank_matches(as_array(sorted(everything)), random_n)
    print(f"{len(everything)} distinct hashes against {random_n:,} random: {random_hits} matches ({engine})")

    cost = strategy_costs(originals, per_query)
    report = {
        "tier": tier,
        "photos": len(photos),
        "threshold": THRESHOLD,
        "trimmed_originals": [names[i] for i, v in enumerate(originals) if v.trimmed],
        "recall": recall,
        "classes": {n: c for n, (c, _) in WIDE_ALTERATIONS.items() if n in alterations},
        "halves": halves,
        "held_out_photos": int(held_out.sum()),
        "wrong_photo_matches": wrong,
        "false_pairs": false_pairs,
        "random": {"n": random_n, "queries": len(everything), "matches": random_hits, "engine": engine},
        "cost": cost,
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "robustness.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "robustness.md").write_text(markdown(report))
    chart(report, args.out / "robustness.png")
    print((args.out / "robustness.md").read_text())


def dedupe(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for pair in pairs:
        key = (pair["a"], pair["b"])
        if key not in best or pair["distance"] < best[key]["distance"]:
            best[key] = pair
    return sorted(best.values(), key=lambda p: (p["distance"], p["a"], p["b"]))


def strategy_costs(originals: list[Views], lookup_per_hash: float) -> dict[str, dict[str, float]]:
    """Bytes stored per entry, hashes per query, and the time to make a query's hashes and look them up."""
    mean = {k: float(np.mean([v.seconds[k] for v in originals])) for k in originals[0].seconds}
    trim = mean["decode"] + mean["hash"] + mean["trim+dihedral"]  # the whole image's hash goes along
    default_extra = mean["normalised"] + mean["found"]
    hashing = {
        "plain": mean["decode"] + mean["hash"],
        "dihedral": mean["decode"] + mean["hash"] + mean["dihedral"],
        "trim+dihedral": trim,
        "default": trim + default_extra,
        "crop matching": trim + default_extra + mean["query crops"] + mean["windows"] + mean["masked"],
    }
    extra_per_entry = {
        "default": default_extra,
        "crop matching": default_extra + mean["bank crops"] + mean["turns"] + mean["windows"] + mean["masked"],
    }
    out = {}
    for strategy in STRATEGIES:
        bank_hashes = float(np.mean([len(v.bank(strategy)) for v in originals]))
        query_hashes = float(np.mean([len(v.query(strategy)) for v in originals]))
        out[strategy] = {
            "hashes_per_entry": bank_hashes,
            "bytes_per_entry": 32 * bank_hashes,
            "hashes_per_query": query_hashes,
            "ms_hashing_per_query": 1000 * hashing[strategy],
            "ms_lookup_per_query": 1000 * lookup_per_hash * query_hashes,
            "extra_ms_per_entry": 1000 * extra_per_entry.get(strategy, 0.0),
        }
    return out


def markdown(report: dict[str, Any]) -> str:
    recall, wrong = report["recall"], report["wrong_photo_matches"]
    lines = [
        "# Robustness: which altered copies still match",
        "",
        f"`bench/robustness.py` on the {report['tier']} photo set ({report['photos']} benign photos), PDQ threshold "
        f"{report['threshold']}, default hashing path. Recall = share of altered copies matching their own photo. "
        "Strategies: see the script's docstring and docs/decisions/0002-hashing-path.md.",
        "",
        "| alteration | " + " | ".join(STRATEGIES) + " | target |",
        "|---|" + "--:|" * len(STRATEGIES) + "---|",
    ]
    for alteration, row in recall.items():
        target = next((t for prefix, t in TARGETS.items() if alteration.startswith(prefix)), None)
        judged = ""
        if target:
            strategy, goal = target
            value = row[strategy]
            judged = f"{goal:.2f} ({strategy}) {'met' if value >= goal else 'MISSED'}"
        lines.append(f"| {alteration} | " + " | ".join(f"{row[s]:.2f}" for s in STRATEGIES) + f" | {judged} |")
    lines += wide_tables(report)
    lines += [
        "",
        "Altered copies that also matched a different photo, not counting a named true duplicate (count of "
        "copies over all alterations):",
        "",
        "| strategy | " + " | ".join(STRATEGIES) + " |",
        "|---|" + "--:|" * len(STRATEGIES),
        "| total | " + " | ".join(str(sum(w[s] for w in wrong.values())) for s in STRATEGIES) + " |",
        "",
        "## False matches between different photos of the set",
        "",
    ]
    for strategy, pairs in report["false_pairs"].items():
        false = [p for p in pairs if not p["duplicate"]]
        lines.append(f"- **{strategy}**: {len(false)} false matches; {len(pairs) - len(false)} true duplicates")
        for pair in pairs:
            kind = "true duplicate (the same photo at two sizes)" if pair["duplicate"] else "FALSE MATCH"
            lines.append(f"  - `{pair['a']}` ~ `{pair['b']}` at distance {pair['distance']}: {kind}")
    r = report["random"]
    lines += [
        "",
        f"Against {r['n']:,} uniform random hashes ({r['engine']}): {r['matches']} matches for all "
        f"{r['queries']:,} distinct hashes any strategy stores or queries.",
        "",
        f"Originals whose uniform border was trimmed: {len(report['trimmed_originals'])} of {report['photos']}.",
        "",
        "## Cost of each strategy",
        "",
        "| strategy | hashes per entry | bytes per entry | hashes per query | ms to hash a query | ms to look up a "
        f"query in {r['n']:,} ({r['engine']}) | extra ms per bank entry |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for strategy, c in report["cost"].items():
        lines.append(
            f"| {strategy} | {c['hashes_per_entry']:.2f} | {c['bytes_per_entry']:.0f} | {c['hashes_per_query']:.2f} | "
            f"{c['ms_hashing_per_query']:.2f} | {c['ms_lookup_per_query']:.2f} | "
            f"{c['extra_ms_per_entry']:.2f} |"
        )
    lines.append("")
    return "\n".join(lines)


def wide_tables(report: dict[str, Any]) -> list[str]:
    """Recall per class of the wide alterations, and per half of the photos (tuned on / held out)."""
    classes, halves, recall = report.get("classes", {}), report.get("halves", {}), report["recall"]
    if not classes:
        return []
    product = STRATEGIES[-1]
    lines = [
        "",
        "## The wide classes (issue 16): each photo its own seeded parameters",
        "",
        f"Photos are split in two halves by a hash of their name; the region finder, turned views and "
        f"their thresholds were tuned on the first half (and its fonts, colours and words); the second "
        f"({report.get('held_out_photos', 0)} photos, other fonts, colours and words) was held out. "
        f"Recall per half is for {product}.",
        "",
        "| class | " + " | ".join(STRATEGIES) + f" | tuned half | held-out half | target ({product}) |",
        "|---|" + "--:|" * (len(STRATEGIES) + 2) + "---|",
    ]
    for name in sorted(set(classes.values()), key=list(classes.values()).index):
        rows = [a for a, c in classes.items() if c == name]
        mean = {s: float(np.mean([recall[a][s] for a in rows])) for s in STRATEGIES}
        tuned = float(np.nanmean([halves[a][product][0] for a in rows]))
        held = float(np.nanmean([halves[a][product][1] for a in rows]))
        goal = CLASS_TARGETS.get(name)
        judged = f"{goal:.2f} {'met' if min(mean[product], held) >= goal else 'MISSED'}" if goal else ""
        cells = " | ".join(f"{mean[s]:.2f}" for s in STRATEGIES)
        lines.append(f"| **{name}** | {cells} | {tuned:.2f} | {held:.2f} | {judged} |")
        for a in rows:
            cells = " | ".join(f"{recall[a][s]:.2f}" for s in STRATEGIES)
            lines.append(f"| {a} | {cells} | {halves[a][product][0]:.2f} | {halves[a][product][1]:.2f} | |")
    return lines


def chart(report: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed (pip install -e '.[bench]'): no chart", file=sys.stderr)
        return
    alterations = list(report["recall"])
    grid = np.array([[report["recall"][a][s] for s in STRATEGIES] for a in alterations])
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(alterations) + 1.8))
    ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(STRATEGIES)), [s.replace("+", "+\n") for s in STRATEGIES], fontsize=8)
    ax.set_yticks(range(len(alterations)), alterations, fontsize=8)
    for y in range(len(alterations)):
        for x in range(len(STRATEGIES)):
            ax.text(x, y, f"{grid[y, x]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_title(f"PDQ recall at threshold {report['threshold']}, {report['photos']} photos ({report['tier']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
