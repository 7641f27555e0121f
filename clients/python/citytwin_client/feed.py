"""Loop-detector feed CSVs, the format `twinctl ingest` reads:

    segment_id,time_s,count,speed_kmh,occupancy
    1-2,0,14,52.5,0.08

- segment_id: "FROM-TO" node pair ("1-2") or the canonical segment id ("17").
- time_s: seconds since the Unix epoch when above 1e9, otherwise seconds from the start of the
  feed (>= 0). One file uses one of the two, not both.
- count: vehicles counted in the interval ending at time_s, a whole number >= 0.
- speed_kmh: their mean speed; occupancy: fraction of the interval the detector was occupied.
  (Their ranges, [0, 300] and [0, 1], are checked by the server, which rejects single readings.)

Blank lines and lines starting with '#' are skipped; the first line may be the header above.
Spaces around fields are ignored. Every problem raises FeedError naming file, line and column.
"""

import math
import re
from dataclasses import dataclass

COLUMNS = ("segment_id", "time_s", "count", "speed_kmh", "occupancy")
EPOCH_THRESHOLD_S = 1e9  # time_s above this is epoch seconds (as in twinctl)
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class FeedError(ValueError):
    """A problem with the feed file; str() is "FILE, line N, column 'NAME': what is wrong"."""


@dataclass(frozen=True)
class FeedRow:
    line: int  # 1-based line number in the file
    segment_id: str
    time_s: float
    count: int
    speed_kmh: float
    occupancy: float


def _number(path, line, column, text):
    if not _NUMBER.fullmatch(text):
        raise FeedError(f"{path}, line {line}, column '{COLUMNS[column]}': '{text}' is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise FeedError(f"{path}, line {line}, column '{COLUMNS[column]}': '{text}' is out of range")
    return value


def read_feed_csv(path):
    """The rows of a feed CSV, in file order (see the module docstring for the format)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise FeedError(f"{path}: cannot read the file: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise FeedError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    rows = []
    epoch_line = relative_line = None
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in text.split(",")]
        if number == 1 and fields[0] == "segment_id":
            continue  # the header
        if len(fields) != len(COLUMNS):
            raise FeedError(f"{path}, line {number}: expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), "
                            f"found {len(fields)}")
        if not fields[0]:
            raise FeedError(f"{path}, line {number}, column 'segment_id': empty")
        time_s = _number(path, number, 1, fields[1])
        count = _number(path, number, 2, fields[2])
        if count < 0 or count != int(count) or count > 0xFFFFFFFF:
            raise FeedError(f"{path}, line {number}, column 'count': '{fields[2]}' is not a whole number of vehicles")
        speed = _number(path, number, 3, fields[3])
        occupancy = _number(path, number, 4, fields[4])
        if time_s > EPOCH_THRESHOLD_S:
            epoch_line = epoch_line or number
        else:
            if time_s < 0:
                raise FeedError(f"{path}, line {number}, column 'time_s': '{fields[1]}' is negative "
                                "(seconds from the start of the feed are >= 0)")
            relative_line = relative_line or number
        if epoch_line and relative_line:
            raise FeedError(f"{path}, line {number}, column 'time_s': '{fields[1]}' mixes epoch seconds "
                            f"(line {epoch_line}) with seconds from the start of the feed (line {relative_line})")
        rows.append(FeedRow(number, fields[0], time_s, int(count), speed, occupancy))
    return rows


def is_epoch_feed(rows):
    """True when the rows' time_s are epoch seconds (read_feed_csv ensures all or none are)."""
    return bool(rows) and rows[0].time_s > EPOCH_THRESHOLD_S


def group_by_time(rows):
    """[(time_s, [rows...]), ...] in increasing time_s; rows of one time keep their file order."""
    groups = {}
    for row in rows:
        groups.setdefault(row.time_s, []).append(row)
    return sorted(groups.items())
