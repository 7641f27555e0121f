#!/usr/bin/python3
"""Tests of the Python client (clients/python) against a real `citytwin serve`.

Run by CTest as `/usr/bin/python3 python_client_test.py` with
    CITYTWIN_BINARY      the citytwin executable
    CITYTWIN_SOURCE_DIR  the repository (for data/tntp/SiouxFalls, proto/ and clients/python)
One server (Sioux Falls, 60x, tokens for a feed and a viewer) serves every test; it runs in a fresh
temporary data directory and is stopped at the end, also when a test fails (and by
--run-for and a parent-death signal should this process be killed).
"""

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("CITYTWIN_SOURCE_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BINARY = os.environ.get("CITYTWIN_BINARY", "")
CLIENT_DIR = os.path.join(SOURCE_DIR, "clients", "python")
REPLAY = os.path.join(CLIENT_DIR, "replay_feed.py")
CITY = os.path.join(SOURCE_DIR, "data", "tntp", "SiouxFalls")
FEED_TOKEN = "python-feed-token-0123456789"
VIEWER_TOKEN = "python-viewer-token-0123456789"
ADMIN_TOKEN = "python-admin-token-0123456789"
HEADER = "segment_id,time_s,count,speed_kmh,occupancy\n"

sys.path.insert(0, CLIENT_DIR)

_server = None  # the Popen of citytwin serve
_work = None  # temporary directory of this run
_address = None


def _die_with_parent():
    # Runs in the child before exec: SIGTERM it when this test process dies, however it dies.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _server_log():
    try:
        with open(os.path.join(_work, "server.log"), encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return "(no log)"


def _stop_server():
    global _server
    if _server is None:
        return
    if _server.poll() is None:
        _server.send_signal(signal.SIGTERM)
        try:
            _server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _server.kill()
            _server.wait()
    if _server.returncode not in (0, -signal.SIGTERM):
        sys.stderr.write(f"citytwin serve exited with {_server.returncode}; its output:\n{_server_log()}\n")
    _server = None


def setUpModule():
    global _server, _work, _address
    if not BINARY or not os.access(BINARY, os.X_OK):
        raise RuntimeError(f"CITYTWIN_BINARY must name the citytwin executable (got {BINARY!r})")
    _work = tempfile.mkdtemp(prefix="citytwin-python-client-")
    unittest.addModuleCleanup(shutil.rmtree, _work, ignore_errors=True)
    # Generate the stubs into this run's directory: tests the generation, touches no user cache.
    os.environ["CITYTWIN_STUB_DIR"] = os.path.join(_work, "stubs")
    for variable in ("CITYTWIN_TOKEN", "TWINCTL_TOKEN", "CITYTWIN_PROTO_DIR"):
        os.environ.pop(variable, None)
    from citytwin_client import TwinClient  # generates the stubs now, before the server starts

    tokens = os.path.join(_work, "tokens.json")
    with open(tokens, "w", encoding="utf-8") as f:
        json.dump({"tokens": [{"token": FEED_TOKEN, "identity": "python-feed", "role": "feed"},
                              {"token": VIEWER_TOKEN, "identity": "python-viewer", "role": "viewer"},
                              {"token": ADMIN_TOKEN, "identity": "python-admin", "role": "admin"}]}, f)
    port_file = os.path.join(_work, "port")
    command = [BINARY, "serve", "--city", CITY, "--grpc", "127.0.0.1:0", "--port-file", port_file,
               "--data-dir", os.path.join(_work, "data"), "--tokens", tokens, "--time-scale", "60",
               "--demand-scale", "0.01", "--run-for", "280s"]
    with open(os.path.join(_work, "server.log"), "wb") as log:
        _server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   preexec_fn=_die_with_parent)
    unittest.addModuleCleanup(_stop_server)  # runs before the rmtree above (cleanups are LIFO)

    deadline = time.monotonic() + 60
    while True:
        if _server.poll() is not None:
            raise RuntimeError(f"citytwin serve exited with {_server.returncode}:\n{_server_log()}")
        try:
            with open(port_file, encoding="utf-8") as f:
                port = int(f.read().strip())
            break
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"citytwin serve wrote no port file within 60 s:\n{_server_log()}")
        time.sleep(0.05)
    _address = f"127.0.0.1:{port}"
    with TwinClient(_address, token=VIEWER_TOKEN) as client:
        client.wait_until_serving(timeout=30)
        first = client.stats().twin_time_ms
        while client.stats().twin_time_ms == first:  # the twin's clock runs
            if time.monotonic() > deadline:
                raise RuntimeError(f"the twin's clock does not advance:\n{_server_log()}")
            time.sleep(0.05)


def eventually(probe, timeout=15.0, interval=0.1):
    """probe() until it returns something true; returns that, or the last value after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from citytwin_client import TwinClient
        cls.viewer = TwinClient(_address, token=VIEWER_TOKEN)
        cls.feed = TwinClient(_address, token=FEED_TOKEN)
        cls.anonymous = TwinClient(_address)
        cls.admin = TwinClient(_address, token=ADMIN_TOKEN)
        for client in (cls.viewer, cls.feed, cls.anonymous, cls.admin):
            cls.addClassCleanup(client.close)

    def replay(self, csv_text, *arguments, token=FEED_TOKEN, name="feed.csv"):
        path = os.path.join(_work, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(csv_text)
        command = [sys.executable, REPLAY, "--server", _address, "--csv", path, *arguments]
        if token:
            command += ["--token", token]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        return result, path

    # -- the client --------------------------------------------------------------------------

    def test_health_is_serving(self):
        self.assertEqual(self.anonymous.health(), "SERVING")  # health needs no credentials
        self.assertEqual(self.viewer.health("citytwin.v1.TwinService"), "SERVING")

    def test_the_client_sends_its_token(self):
        import grpc
        from citytwin_client import TwinClient, detector_reading, now_ms
        with self.assertRaises(grpc.RpcError) as caught:
            self.anonymous.get_twin("1-2")
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        with TwinClient(_address, token="not-a-valid-token-0123456789") as stranger:
            with self.assertRaises(grpc.RpcError) as caught:
                stranger.stats()
            self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertTrue(self.viewer.get_twin("1-2").HasField("road_segment"))
        # The server tells the two tokens apart: each role is refused the other's call.
        with self.assertRaises(grpc.RpcError) as caught:
            self.feed.get_twin("1-2")
        self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("python-feed", caught.exception.details())
        with self.assertRaises(grpc.RpcError) as caught:
            self.viewer.ingest_batch("python-viewer", 1, [detector_reading("1-2", now_ms(), 1, 50)])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("python-viewer", caught.exception.details())

    def test_ingest_then_get_twin_and_history(self):
        from citytwin_client import detector_reading, make_batch, now_ms
        t = now_ms() - 1000
        batch = make_batch("python-ingest", 1, [detector_reading("1-2", t, 12, 17.5, 0.2, detector_id="loop-7"),
                                                detector_reading("2-1", t, 8, 33.0, 0.1)])
        acks = list(self.feed.ingest([batch]))
        self.assertEqual(len(acks), 1)
        self.assertEqual(acks[0].sequence, 1)
        self.assertEqual(acks[0].accepted, 2)
        self.assertEqual(list(acks[0].rejected), [])
        self.assertFalse(acks[0].duplicate)

        def latest():
            reading = self.viewer.get_twin("1-2").road_segment.last_detector_reading
            return reading if abs(reading.mean_speed_kmh - 17.5) < 1e-6 else None
        reading = eventually(latest)
        self.assertIsNotNone(reading, "get_twin never showed the reading's speed")
        self.assertEqual(reading.observe_time_ms, t)
        # (The server fills in segment, time and speed of last_detector_reading, not the count.)

        entries = [e for e in self.viewer.history("1-2", t - 1, t + 1) if e.WhichOneof("entry") == "reading"]
        self.assertEqual(len(entries), 1, entries)
        self.assertEqual(entries[0].time_ms, t)
        self.assertEqual(entries[0].source, "python-ingest")
        self.assertEqual(entries[0].sequence, 1)
        self.assertEqual(entries[0].reading.traffic_detector.mean_speed_kmh, 17.5)
        self.assertEqual(entries[0].reading.traffic_detector.detector_id, "loop-7")

        again = list(self.feed.ingest([batch]))  # a resent batch is not applied twice
        self.assertTrue(again[0].duplicate)
        self.assertEqual(again[0].accepted, 0)

    def test_query_finds_a_segment_closed_by_an_event(self):
        from citytwin_client import now_ms, segment_event, twin_pb2
        segment = self.viewer.get_twin("3-4").id  # the canonical id, as queries return it
        self.assertNotIn(segment, [twin.id for twin in self.viewer.query(closed=True)])
        ack = self.feed.ingest_batch("python-events", 1, [segment_event("3-4", now_ms() - 500, "closed", cause="test")])
        self.assertEqual(ack.accepted, 1, ack)
        closed = eventually(lambda: [twin for twin in self.viewer.query(closed=True) if twin.id == segment])
        self.assertEqual(len(closed), 1, "query(closed=True) never found the closed segment")
        self.assertEqual(closed[0].road_segment.status, twin_pb2.SEGMENT_STATUS_CLOSED)
        self.assertNotIn(segment, [twin.id for twin in self.viewer.query(closed=False)])

    def test_query_iterates_every_page(self):
        ids = [twin.id for twin in self.viewer.query(page_size=7)]
        self.assertEqual(len(ids), 76)
        self.assertEqual(len(set(ids)), 76)
        everything = self.viewer.query(bbox=(-1e9, -1e9, 1e9, 1e9), kinds=["road_segment"])
        self.assertEqual(sorted(twin.id for twin in everything), sorted(ids))

    def test_watch_sends_the_initial_state(self):
        from citytwin_client import enum_name
        segment = self.viewer.get_twin("5-6").id
        types = []
        for change in self.viewer.watch(ids=["5-6"], initial=True, timeout=20):
            types.append(enum_name(change, "type"))
            if types[-1] == "CHANGE_TYPE_INITIAL":
                self.assertEqual(change.twin.id, segment)
            if types[-1] == "CHANGE_TYPE_INITIAL_STATE_END":
                break  # leaving the loop cancels the stream
        self.assertEqual(types, ["CHANGE_TYPE_INITIAL", "CHANGE_TYPE_INITIAL_STATE_END"])

    def test_stats_count_logged_readings(self):
        from citytwin_client import detector_reading, now_ms
        before = self.viewer.stats()
        self.assertEqual(before.road_segments, 76)
        self.assertEqual(before.time_scale, 60)
        t = now_ms()
        ack = self.feed.ingest_batch("python-stats", 1, [detector_reading(s, t, 5, 40) for s in ("4-5", "5-4", "6-8")])
        self.assertEqual(ack.accepted, 3, ack)
        self.assertEqual(self.viewer.stats().readings_logged, before.readings_logged + 3)

    # -- replay_feed.py ----------------------------------------------------------------------

    def test_replay_feed_streams_a_csv(self):
        from citytwin_client import now_ms
        rows = [HEADER, "# five minutes of three detectors, every 30 s\n"]
        for step in range(5):
            for segment, speed in (("8-9", 40 + step), ("9-8", 50 + step), ("9-10", 60 + step)):
                rows.append(f"{segment}, {step * 30}, {10 + step}, {speed}, 0.1\n")
        started = now_ms()
        result, _ = self.replay("".join(rows), "--speedup", "600", "--source", "python-replay", "--batch-size", "2")
        finished = now_ms()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("15 accepted, 0 rejected", result.stdout)

        entries = [e for e in self.viewer.history("8-9", started - 1, 0, entry_types=["reading"])
                   if e.source == "python-replay"]
        self.assertEqual([e.reading.traffic_detector.mean_speed_kmh for e in entries], [40, 41, 42, 43, 44])
        self.assertEqual([e.reading.traffic_detector.vehicle_count for e in entries], [10, 11, 12, 13, 14])
        # Stamped with the wall time each group is due: replay start + time_s * 1000 / speedup.
        first = entries[0].time_ms
        self.assertTrue(started <= first <= finished, (started, first, finished))
        self.assertEqual([e.time_ms - first for e in entries], [0, 50, 100, 150, 200])
        self.assertTrue(all(e.reading.traffic_detector.interval_ms == 60_000 for e in entries))
        self.assertEqual(len(list(self.viewer.history("9-10", started - 1, 0, entry_types=["reading"]))), 5)

    def test_replay_feed_names_the_bad_line_of_a_csv(self):
        before = self.viewer.stats().readings_logged
        result, path = self.replay(HEADER + "1-2,0,10,50,0.1\n\n1-2,60,x1,50,0.1\n", name="bad.csv")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"{path}, line 4, column 'count': 'x1' is not a number", result.stderr)
        self.assertEqual(self.viewer.stats().readings_logged, before)  # nothing was sent

        result, path = self.replay(HEADER + "1-2,0,10,50\n", name="short.csv")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"{path}, line 2: expected 5 columns", result.stderr)

    def test_replay_feed_fails_when_readings_are_rejected(self):
        result, path = self.replay(HEADER + "1-2,0,10,50,0.1\n99-98,0,10,50,0.1\n", "--speedup", "600",
                                   "--source", "python-rejects")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn(f"{path}, line 3 (segment 99-98", result.stderr)
        self.assertIn("NOT_FOUND", result.stderr)
        self.assertIn("1 accepted, 1 rejected", result.stdout)

    def test_replay_feed_without_a_token_fails(self):
        result, _ = self.replay(HEADER + "1-2,0,10,50,0.1\n", "--speedup", "600", token=None)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("UNAUTHENTICATED", result.stderr)

    def test_an_incident_shows_as_an_anomaly_and_its_sensor_in_the_feed_health(self):
        from citytwin_client import detector_reading, make_batch, now_ms
        t = now_ms() - 1000
        # A crawl at 2 km/h with vehicles present: far below any open segment's modelled speed.
        ack = self.feed.ingest_batch("python-analytics", 1, [detector_reading("3-4", t, 10, 2.0, 0.5)])
        self.assertEqual(ack.accepted, 1)
        found = eventually(lambda: list(self.viewer.anomalies("3-4", anomaly_kind="speed_below_model")))
        self.assertEqual(len(found), 1, found)
        self.assertEqual(found[0].source, "python-analytics")
        self.assertEqual(found[0].time_ms, t)
        self.assertAlmostEqual(found[0].observed, 2.0)
        self.assertGreater(found[0].expected, 2.0 / 0.4)
        sensors = self.viewer.sensor_health("python-analytics")
        self.assertEqual([s.twin.id for s in sensors], ["3-4"])
        self.assertEqual(sensors[0].readings, 1)
        self.assertGreaterEqual(self.viewer.feed_health().anomalies, 1)
        with self.assertRaises(ValueError):
            list(self.viewer.anomalies(anomaly_kind="meteor"))

    def test_forecast_status_reports_its_settings(self):
        status = self.viewer.forecast_status()
        self.assertTrue(status.enabled)
        self.assertEqual(status.every_ms, 5 * 60_000)
        self.assertEqual(status.horizon_ms, 30 * 60_000)
        # At 60x a forecast falls due every 5 s of wall time; Sioux Falls runs one in well under a second.
        self.assertTrue(eventually(lambda: self.viewer.forecast_status().runs >= 1, timeout=60))
        trouble = self.viewer.predicted_trouble()
        self.assertGreaterEqual(trouble.forecast.forecast_number, 1)
        self.assertEqual(trouble.forecast.horizon_ms, 30 * 60_000)

    def test_the_audit_trail_is_for_admins_and_names_the_feed(self):
        import grpc
        from citytwin_client import detector_reading, make_batch, now_ms
        self.feed.ingest_batch("python-audit", 1, [detector_reading("1-2", now_ms() - 1000, 5, 40.0, 0.1)])
        with self.assertRaises(grpc.RpcError) as refused:
            list(self.viewer.audit())
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        records = [r for r in self.admin.audit(method="IngestService") if r.ingest_batch.source == "python-audit"]
        self.assertEqual(len(records), 1, records)
        self.assertEqual(records[0].caller, "python-feed")
        self.assertEqual(records[0].role, "feed")
        self.assertEqual(records[0].outcome_code, "OK")
        denied = list(self.admin.audit(caller="python-viewer", method="ReadAudit"))
        self.assertGreaterEqual(len(denied), 1)
        self.assertEqual(denied[-1].outcome_code, "PERMISSION_DENIED")


class StubGenerationTest(unittest.TestCase):
    def test_stubs_are_regenerated_when_a_proto_changes(self):
        from citytwin_client import generate
        protos = os.path.join(_work, "proto-copy")
        shutil.copytree(os.path.join(SOURCE_DIR, "proto"), protos)
        out = os.path.join(_work, "generated")
        self.assertEqual(generate.ensure_stubs(out, protos), out)
        module = os.path.join(out, "citytwin", "v1", "twin_pb2.py")
        with open(os.path.join(out, generate.STAMP), encoding="utf-8") as f:
            key = f.read().strip()
        generated_at = os.stat(module).st_mtime_ns
        generate.ensure_stubs(out, protos)  # up to date: nothing happens
        self.assertEqual(os.stat(module).st_mtime_ns, generated_at)

        with open(os.path.join(protos, "citytwin", "v1", "twin.proto"), "a", encoding="utf-8") as f:
            f.write("\nmessage PythonClientTestAddition { string note = 1; }\n")
        generate.ensure_stubs(out, protos)
        with open(os.path.join(out, generate.STAMP), encoding="utf-8") as f:
            self.assertNotEqual(f.read().strip(), key)
        with open(module, encoding="utf-8") as f:
            self.assertIn("PythonClientTestAddition", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
