"""An ICSE-style CSV export of series items: the columns INTERPOL's ICSE export carries, in its order.

One row per item: MD5, SHA1, PhotoDNA (always empty: Alliance never computes PhotoDNA), image id,
is distributed, victim identified, offender identified, series name, number of submissions, media
type, Baseline. Flags are written `Yes`/`No`, so a spreadsheet shows them as they read; the file
starts with a byte-order mark so that spreadsheets open it as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from alliance.core.investigations import Item

COLUMNS = (
    "MD5",
    "SHA1",
    "PhotoDNA",
    "Image ID",
    "Is Distributed",
    "Victim Identified",
    "Offender Identified",
    "Series Name",
    "Number of Submissions",
    "Media Type",
    "Baseline",
)


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def write(rows: Iterable[tuple[Item, str]]) -> str:
    """`rows`: each item with the name of the series it is exported under."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item, series in rows:
        hashes = {s.type: s.value.upper() for s in item.signals}
        f = item.flags
        writer.writerow(
            [
                hashes.get("md5", ""),
                hashes.get("sha1", ""),
                "",
                item.image_id or str(item.id),
                _yes(f.distributed),
                _yes(f.victim_identified),
                _yes(f.offender_identified),
                series,
                f.submissions,
                f.media_type,
                _yes(f.baseline),
            ]
        )
    return out.getvalue()
