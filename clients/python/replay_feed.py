#!/usr/bin/python3
"""Replays a loop-detector CSV into a running CityTwin server, faster than real time.

    /usr/bin/python3 replay_feed.py --server 127.0.0.1:50051 --csv examples/siouxfalls_feed.csv --speedup 60

The CSV is the `twinctl ingest` format (segment_id,time_s,count,speed_kmh,occupancy; see
citytwin_client/feed.py). Readings are grouped by time_s; the group at feed time t (seconds after
the feed's start: time_s itself, or time_s minus the earliest time_s for epoch-second files) is sent
when the wall clock reaches  start + t / speedup,  where start is when the replay begins. So feed
time runs `speedup` times faster than the wall clock; a group is split into batches of at most
--batch-size readings, all on one Ingest stream, numbered --first-sequence, +1, +2, ...

Timestamps (observe_time_ms), --timestamps:
  wall (default)  the wall-clock time the group is due:  start_ms + round(t * 1000 / speedup).
                  The feed is compressed in time like its sending, so the readings always fall
                  within the server's acceptance window (up to 1 min ahead of and 15 min behind its
                  clock), whatever the speedup and however long the feed.
  feed            the feed's own time: start_ms + round(time_s * 1000) for seconds-from-start
                  files (feed time 0 = start of the replay), round(time_s * 1000) for epoch files.
                  Keeps the feed's spacing, but the server rejects readings stamped more than
                  1 min ahead of its clock, so this suits --speedup 1 (or short feeds and historic
                  epoch files less than 15 min old).
Each reading covers the --interval seconds (default 60) before its timestamp.

Prints progress and a summary (accepted, rejected with reasons, duplicate batches). Exit status:
0 when every reading was accepted (duplicates included), 1 when a reading was rejected, the
stream failed or the server cannot be reached, 2 for bad arguments or a bad CSV (the message names
file, line and column), 130 when interrupted.
"""

import argparse
import math
import os
import sys
import threading
import time
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from citytwin_client.feed import FeedError, group_by_time, is_epoch_feed, read_feed_csv  # noqa: E402


def positive_float(text):
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def batch_size(text):
    value = int(text)
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"{text} is not in [1, 10000]")
    return value


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        description="Stream a loop-detector CSV (segment_id,time_s,count,speed_kmh,occupancy) into a CityTwin "
                    "server, feed time running SPEEDUP times faster than the wall clock.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""schedule: the readings with feed time t (time_s, or time_s minus the first time_s for
  epoch-second files) are sent at  start + t / SPEEDUP  (start: when the replay begins).
timestamps (observe_time_ms):
  wall  start_ms + round(t * 1000 / SPEEDUP), the wall time they are due; always within
        the server's window (1 min ahead, 15 min behind its clock) whatever the speedup
  feed  start_ms + round(time_s * 1000), or round(time_s * 1000) for epoch-second files;
        keeps the feed's spacing, but readings more than 1 min ahead are rejected
exit status: 0 all readings accepted (duplicates included), 1 readings rejected, stream
  failed or server unreachable, 2 bad arguments or CSV, 130 interrupted.""")
    parser.add_argument("--server", required=True, help="server address HOST:PORT")
    parser.add_argument("--csv", required=True, help="the feed file")
    parser.add_argument("--speedup", type=positive_float, default=60.0,
                        help="feed seconds per wall-clock second (default: 60)")
    parser.add_argument("--batch-size", type=batch_size, default=100,
                        help="most readings per IngestBatch (default: 100)")
    parser.add_argument("--source", default="replay_feed",
                        help="IngestBatch.source, the feed's name for de-duplication and history (default: replay_feed)")
    parser.add_argument("--token", default=os.environ.get("CITYTWIN_TOKEN") or os.environ.get("TWINCTL_TOKEN"),
                        help="bearer token of a feed (or admin) role (default: $CITYTWIN_TOKEN, $TWINCTL_TOKEN)")
    parser.add_argument("--tls-ca", help="PEM CA certificate of the server: use TLS")
    parser.add_argument("--tls-cert", help="PEM client certificate (mutual TLS)")
    parser.add_argument("--tls-key", help="PEM key of --tls-cert")
    parser.add_argument("--interval", type=positive_float, default=60.0,
                        help="seconds each count covers, the readings' interval_ms / 1000 (default: 60)")
    parser.add_argument("--timestamps", choices=("wall", "feed"), default="wall",
                        help="observe_time_ms of the readings: the wall time they are due (default) or the "
                             "feed's own time (below)")
    parser.add_argument("--first-sequence", type=int, default=0,
                        help="sequence number of the first batch (default: the clock in ms, so reruns are new batches)")
    parser.add_argument("--progress-every", type=float, default=1.0,
                        help="seconds between progress lines; 0 prints none (default: 1)")
    args = parser.parse_args(argv)
    if args.first_sequence < 0:
        parser.error("--first-sequence must be >= 1 (or 0: from the clock)")
    if args.interval * 1000 > 3_600_000:
        parser.error("--interval must be at most 3600 seconds")
    return args


def clock_text(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Replay:
    """The schedule, the sending thread's side (batches()) and the acks' side (take_ack())."""

    def __init__(self, args, groups, epoch_feed, start_wall_ms, start_monotonic):
        from citytwin_client.client import detector_reading, make_batch
        self._detector_reading, self._make_batch = detector_reading, make_batch
        self.args = args
        self.groups = groups
        self.t0 = groups[0][0] if epoch_feed else 0.0
        self.epoch_feed = epoch_feed
        self.start_wall_ms = start_wall_ms
        self.start_monotonic = start_monotonic
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = OrderedDict()  # sequence -> rows of that batch, until acknowledged
        self.next_sequence = args.first_sequence or start_wall_ms
        self.sent_readings = self.sent_batches = 0
        self.feed_time_sent = 0.0
        self.acked_batches = self.accepted = self.duplicates = self.duplicate_readings = 0
        self.rejections = []  # (row, code name, reason)

    def stamp_ms(self, time_s):
        offset = time_s - self.t0
        if self.args.timestamps == "wall":
            return self.start_wall_ms + round(offset * 1000 / self.args.speedup)
        return round(time_s * 1000) if self.epoch_feed else self.start_wall_ms + round(time_s * 1000)

    def batches(self):
        """Runs in gRPC's sending thread: waits for each group's due time, then yields its batches."""
        interval_ms = round(self.args.interval * 1000)
        for time_s, rows in self.groups:
            offset = time_s - self.t0
            due = self.start_monotonic + offset / self.args.speedup
            delay = due - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                return
            if self.stop.is_set():
                return
            stamp = self.stamp_ms(time_s)
            for first in range(0, len(rows), self.args.batch_size):
                chunk = rows[first:first + self.args.batch_size]
                readings = [self._detector_reading(r.segment_id, stamp, r.count, r.speed_kmh, r.occupancy,
                                                   interval_ms=interval_ms) for r in chunk]
                with self.lock:
                    sequence = self.next_sequence
                    self.next_sequence += 1
                    self.in_flight[sequence] = chunk
                    self.sent_batches += 1
                    self.sent_readings += len(chunk)
                    self.feed_time_sent = offset
                yield self._make_batch(self.args.source, sequence, readings)

    def take_ack(self, ack, report):
        from citytwin_client.client import enum_name
        with self.lock:
            rows = self.in_flight.pop(ack.sequence, None)
        if rows is None:
            raise RuntimeError(f"the server acknowledged batch {ack.sequence}, which was not sent or was already "
                               "acknowledged")
        self.acked_batches += 1
        if ack.duplicate:
            self.duplicates += 1
            self.duplicate_readings += len(rows)
            return
        self.accepted += ack.accepted
        for rejection in ack.rejected:
            row = rows[rejection.index] if rejection.index < len(rows) else None
            code = enum_name(rejection, "code").replace("REJECTION_CODE_", "")
            self.rejections.append((row, code, rejection.reason))
            report(row, code, rejection.reason)

    def progress_line(self):
        with self.lock:
            sent_readings, sent_batches, feed_time = self.sent_readings, self.sent_batches, self.feed_time_sent
        total = sum(len(rows) for _, rows in self.groups)
        return (f"feed time +{clock_text(feed_time)}  sent {sent_readings}/{total} readings in {sent_batches} batches; "
                f"acknowledged {self.acked_batches}: {self.accepted} accepted, {len(self.rejections)} rejected, "
                f"{self.duplicates} duplicate batches")


def main(argv=None):
    args = parse_arguments(argv)
    try:
        rows = read_feed_csv(args.csv)
    except FeedError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: {args.csv}: no readings in the file", file=sys.stderr)
        return 2
    groups = group_by_time(rows)
    epoch_feed = is_epoch_feed(rows)

    import grpc
    from citytwin_client.client import TwinClient
    from citytwin_client.generate import StubGenerationError

    try:
        client = TwinClient(args.server, token=args.token, tls_ca=args.tls_ca, tls_cert=args.tls_cert,
                            tls_key=args.tls_key, timeout=10)
    except (OSError, ValueError, StubGenerationError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with client:
        try:
            status = client.health()
        except grpc.RpcError as e:
            print(f"error: cannot reach {args.server}: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
        if status != "SERVING":
            print(f"error: {args.server} is {status}", file=sys.stderr)
            return 1

        if args.timestamps == "feed":
            # How far ahead of the wall clock a group's stamp is when it is sent, at most.
            t0, now_s = (groups[0][0] if epoch_feed else 0.0), time.time()
            lead_s = max((t if epoch_feed else now_s + t) - (now_s + (t - t0) / args.speedup) for t, _ in groups)
            if lead_s > 60:
                print(f"warning: with --timestamps feed at {args.speedup:g}x readings are stamped up to "
                      f"{lead_s:.0f} s ahead of the wall clock; the server rejects readings more than 60 s ahead "
                      "(its default), so use --timestamps wall or --speedup 1", file=sys.stderr)

        start_wall_ms = time.time_ns() // 1_000_000
        replay = Replay(args, groups, epoch_feed, start_wall_ms, time.monotonic())
        span = groups[-1][0] - replay.t0
        print(f"replaying {len(rows)} readings at {len(groups)} times (feed time +{clock_text(0)} to "
              f"+{clock_text(span)}) from {args.csv} to {args.server} as source '{args.source}', "
              f"{args.speedup:g}x: about {span / args.speedup:.1f} s; timestamps: {args.timestamps}", flush=True)

        shown_rejections = 0

        def report(row, code, reason):
            nonlocal shown_rejections
            shown_rejections += 1
            if shown_rejections <= 20:
                where = (f"{args.csv}, line {row.line} (segment {row.segment_id}, time_s {row.time_s:g})"
                         if row else args.csv)
                print(f"rejected: {where}: {reason} [{code}]", file=sys.stderr)
            elif shown_rejections == 21:
                print("rejected: ... (more in the summary)", file=sys.stderr)

        failure = None
        interrupted = False
        call = None
        last_progress = time.monotonic()
        try:
            call = client.ingest(replay.batches())
            for ack in call:
                replay.take_ack(ack, report)
                now = time.monotonic()
                if args.progress_every > 0 and now - last_progress >= args.progress_every:
                    print(replay.progress_line(), flush=True)
                    last_progress = now
        except grpc.RpcError as e:
            failure = f"the ingest stream failed: {e.code().name}: {e.details()}"
            if e.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                failure += " (give a token of a feed or admin role with --token or $CITYTWIN_TOKEN)"
        except RuntimeError as e:
            failure = str(e)
        except KeyboardInterrupt:
            interrupted = True
            failure = "interrupted"
        finally:
            replay.stop.set()
            if call is not None:
                call.close()
        if failure is None and replay.in_flight:
            failure = (f"the stream ended with {len(replay.in_flight)} batches unacknowledged "
                       f"(first sequence {next(iter(replay.in_flight))})")

    total = len(rows)
    sent = f"{total}" if replay.sent_readings == total else f"{replay.sent_readings} of {total}"
    print(f"summary: {sent} readings sent in {replay.sent_batches} batches in "
          f"{time.monotonic() - replay.start_monotonic:.1f} s: {replay.accepted} accepted, "
          f"{len(replay.rejections)} rejected, {replay.duplicates} duplicate batches "
          f"({replay.duplicate_readings} readings already applied earlier)")
    if replay.rejections:
        by_code = OrderedDict()
        for row, code, reason in replay.rejections:
            by_code.setdefault(code, []).append((row, reason))
        for code, items in by_code.items():
            row, reason = items[0]
            example = f"line {row.line}: " if row else ""
            print(f"  rejected {code}: {len(items)} (e.g. {example}{reason})")
    if failure:
        print(f"error: {failure}", file=sys.stderr)
    if interrupted:
        return 130
    return 1 if failure or replay.rejections else 0


if __name__ == "__main__":
    sys.exit(main())
