"""TwinClient: the CityTwin gRPC API (proto/citytwin/v1/*.proto) from Python.

Every method raises grpc.RpcError (with .code() and .details()) when the server answers with an
error status, e.g. grpc.StatusCode.UNAUTHENTICATED without a valid token or PERMISSION_DENIED when
the token's role does not allow the call. Problems with single ingested readings are not errors:
they come back in IngestAck.rejected.
"""

import time

import grpc

from ._stubs import (analytics_pb2, analytics_pb2_grpc, audit_pb2, audit_pb2_grpc, forecast_pb2, forecast_pb2_grpc,
                     health_pb2, health_pb2_grpc, twin_pb2, twin_pb2_grpc)

_TWIN_KINDS = {
    "road_segment": twin_pb2.TWIN_KIND_ROAD_SEGMENT,
    "segment": twin_pb2.TWIN_KIND_ROAD_SEGMENT,
    "building": twin_pb2.TWIN_KIND_BUILDING,
    "utility_node": twin_pb2.TWIN_KIND_UTILITY_NODE,
}
_EVENT_KINDS = {
    "closed": twin_pb2.SegmentEvent.KIND_CLOSED,
    "reopened": twin_pb2.SegmentEvent.KIND_REOPENED,
    "capacity_changed": twin_pb2.SegmentEvent.KIND_CAPACITY_CHANGED,
}
_ANOMALY_KINDS = {
    "speed_below_model": analytics_pb2.ANOMALY_KIND_SPEED_BELOW_MODEL,
    "speed_off_baseline": analytics_pb2.ANOMALY_KIND_SPEED_OFF_BASELINE,
    "flow_off_baseline": analytics_pb2.ANOMALY_KIND_FLOW_OFF_BASELINE,
    "load_off_baseline": analytics_pb2.ANOMALY_KIND_LOAD_OFF_BASELINE,
    "voltage_out_of_band": analytics_pb2.ANOMALY_KIND_VOLTAGE_OUT_OF_BAND,
}
_ENTRY_TYPES = {
    "reading": twin_pb2.HISTORY_ENTRY_TYPE_READING,
    "state_sample": twin_pb2.HISTORY_ENTRY_TYPE_STATE_SAMPLE,
}


def now_ms():
    """The wall clock in ms since the Unix epoch, the API's time unit."""
    return time.time_ns() // 1_000_000


def enum_name(message, field):
    """The name of an enum field's value (e.g. "SEGMENT_STATUS_CLOSED"); the number if unknown."""
    number = getattr(message, field)
    value = message.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number.get(number)
    return value.name if value is not None else str(number)


def _lookup(table, value, what):
    if isinstance(value, str):
        try:
            return table[value.lower()]
        except KeyError:
            raise ValueError(f"{what} {value!r} is not one of {', '.join(sorted(table))}") from None
    return int(value)


def detector_reading(segment_id, observe_time_ms, vehicle_count, mean_speed_kmh, occupancy=0.0,
                     interval_ms=60_000, detector_id=""):
    """A Reading holding a TrafficDetectorReading.

    segment_id: canonical ("17") or "FROM-TO" ("1-2"). observe_time_ms: end of the counting interval,
    ms since the epoch. vehicle_count: vehicles in [observe_time_ms - interval_ms, observe_time_ms).
    mean_speed_kmh in [0, 300], occupancy in [0, 1] (the server checks ranges, per reading).
    """
    reading = twin_pb2.Reading()
    d = reading.traffic_detector
    d.segment_id = str(segment_id)
    d.observe_time_ms = int(observe_time_ms)
    d.interval_ms = int(interval_ms)
    d.vehicle_count = int(vehicle_count)
    d.mean_speed_kmh = float(mean_speed_kmh)
    d.occupancy = float(occupancy)
    if detector_id:
        d.detector_id = detector_id
    return reading


def segment_event(segment_id, event_time_ms, kind, capacity_factor=0.0, cause=""):
    """A Reading holding a SegmentEvent; kind is "closed", "reopened", "capacity_changed" or the enum."""
    reading = twin_pb2.Reading()
    e = reading.segment_event
    e.segment_id = str(segment_id)
    e.event_time_ms = int(event_time_ms)
    e.kind = _lookup(_EVENT_KINDS, kind, "segment event kind")
    e.capacity_factor = float(capacity_factor)
    e.cause = cause
    return reading


def make_batch(source, sequence, readings):
    """An IngestBatch. sequence: >= 1 and growing per source; a resent batch keeps its number."""
    batch = twin_pb2.IngestBatch(source=source, sequence=int(sequence))
    batch.readings.extend(readings)
    return batch


def describe(twin):
    """One line about a twin, like `twinctl get`."""
    if not twin.HasField("road_segment"):
        return f"{twin.id} ({enum_name(twin, 'kind')})"
    s = twin.road_segment
    status = "CLOSED" if s.status == twin_pb2.SEGMENT_STATUS_CLOSED else "open"
    return (f"segment {twin.id:<6} {status:<6} speed {s.mean_speed_kmh:6.1f} km/h (free {s.free_flow_speed_kmh:5.1f})  "
            f"vehicles {s.vehicles_moving + s.vehicles_queued:4} queued {s.vehicles_queued:4}  "
            f"density {s.density_veh_per_km:6.1f} veh/km  capacity x{s.capacity_factor:.2f}")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class TwinClient:
    """A connection to a CityTwin server.

    address: "HOST:PORT". token: bearer token sent as `authorization: Bearer <token>` on every call
    (None: no credentials, enough for a server run without --tokens). tls_ca: PEM file of the CA
    that signed the server's certificate; given, the channel uses TLS (tls_cert and tls_key add a
    client certificate for mutual TLS). timeout: seconds each unary call may take (streams have
    none unless given per call). Usable as a context manager, which closes the channel.
    """

    def __init__(self, address, token=None, tls_ca=None, *, tls_cert=None, tls_key=None, timeout=30.0,
                 channel_options=None):
        self.address = address
        self.timeout = timeout
        options = list(channel_options or [])
        if tls_ca:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(tls_ca),
                private_key=_read(tls_key) if tls_key else None,
                certificate_chain=_read(tls_cert) if tls_cert else None)
            self._channel = grpc.secure_channel(address, credentials, options)
        else:
            if tls_cert or tls_key:
                raise ValueError("tls_cert and tls_key need tls_ca")
            self._channel = grpc.insecure_channel(address, options)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._twins = twin_pb2_grpc.TwinServiceStub(self._channel)
        self._ingest = twin_pb2_grpc.IngestServiceStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._analytics = analytics_pb2_grpc.AnalyticsServiceStub(self._channel)
        self._forecasts = forecast_pb2_grpc.ForecastServiceStub(self._channel)
        self._audit = audit_pb2_grpc.AuditServiceStub(self._channel)

    # -- plumbing ------------------------------------------------------------------------------

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _unary(self, method, request, timeout):
        return method(request, metadata=self._metadata, timeout=self.timeout if timeout is None else timeout)

    def _pages(self, method, request, field, timeout):
        """Yields the items in `field` of each page, passing next_page_token on until it is empty."""
        while True:
            response = self._unary(method, request, timeout)
            yield from getattr(response, field)
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    @staticmethod
    def _ref(twin_id, kind):
        return twin_pb2.TwinRef(kind=_lookup(_TWIN_KINDS, kind, "twin kind"), id=str(twin_id))

    def _filter(self, closed, speed_below_kmh, bbox, ids, kinds, id_kind="road_segment"):
        f = twin_pb2.TwinFilter()
        for kind in kinds or ():
            f.kinds.append(_lookup(_TWIN_KINDS, kind, "twin kind"))
        for twin_id in ids or ():
            f.twins.append(self._ref(twin_id, id_kind))
        if bbox is not None:
            min_x, min_y, max_x, max_y = bbox
            f.bounding_box.min_x, f.bounding_box.min_y = float(min_x), float(min_y)
            f.bounding_box.max_x, f.bounding_box.max_y = float(max_x), float(max_y)
        if closed is not None:
            f.predicate.segment_status = twin_pb2.SEGMENT_STATUS_CLOSED if closed else twin_pb2.SEGMENT_STATUS_OPEN
        if speed_below_kmh is not None:
            f.predicate.speed_below_kmh.value = float(speed_below_kmh)
        return f

    # -- health --------------------------------------------------------------------------------

    def health(self, service="", timeout=None):
        """grpc.health.v1 Check: "SERVING", "NOT_SERVING", ... for the server ("") or one service."""
        response = self._unary(self._health.Check, health_pb2.HealthCheckRequest(service=service), timeout)
        return enum_name(response, "status")

    def wait_until_serving(self, timeout=30.0, service=""):
        """Polls health until SERVING; raises TimeoutError with the last answer after `timeout` s."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            try:
                last = self.health(service, timeout=max(0.1, min(2.0, deadline - time.monotonic())))
                if last == "SERVING":
                    return
            except grpc.RpcError as e:
                last = f"{e.code().name}: {e.details()}"
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self.address} is not serving after {timeout} s ({last})")
            time.sleep(0.1)

    # -- twins ---------------------------------------------------------------------------------

    def get_twin(self, twin_id, kind="road_segment", timeout=None):
        """The twin's current state (a twin_pb2.Twin). Segment ids: "17" or "FROM-TO"."""
        return self._unary(self._twins.GetTwin, twin_pb2.GetTwinRequest(twin=self._ref(twin_id, kind)), timeout)

    def query(self, closed=None, speed_below_kmh=None, bbox=None, *, ids=None, kinds=None, page_size=500,
              timeout=None):
        """Yields the twins matching every condition given, fetching page after page.

        closed: True = closed segments only, False = open ones only. speed_below_kmh: segments
        slower than this. bbox: (min_x, min_y, max_x, max_y) in the city's coordinates. ids: only
        these road segments. kinds: e.g. ["road_segment"]. Each page is one QueryTwins call.
        """
        request = twin_pb2.QueryTwinsRequest(filter=self._filter(closed, speed_below_kmh, bbox, ids, kinds),
                                             page_size=page_size)
        yield from self._pages(self._twins.QueryTwins, request, "twins", timeout)

    def watch(self, closed=None, speed_below_kmh=None, bbox=None, *, ids=None, kinds=None, initial=False,
              min_interval_ms=0, timeout=None):
        """Yields TwinChange messages of the matching twins as they happen.

        Filter arguments as for query(). initial: first the current state of every match
        (CHANGE_TYPE_INITIAL), then one CHANGE_TYPE_INITIAL_STATE_END. timeout: stop quietly after
        this many seconds (default: run until the caller stops iterating, which cancels the call).
        Raises grpc.RpcError when the stream ends with an error (e.g. RESOURCE_EXHAUSTED when this
        watcher fell behind; reconnect with initial=True).
        """
        request = twin_pb2.WatchTwinsRequest(filter=self._filter(closed, speed_below_kmh, bbox, ids, kinds),
                                             send_initial_state=initial, min_interval_ms=int(min_interval_ms))
        call = self._twins.WatchTwins(request, metadata=self._metadata, timeout=timeout)
        try:
            for change in call:
                yield change
        except grpc.RpcError as e:
            if timeout is not None and e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                return
            raise
        finally:
            call.cancel()

    def history(self, twin_id, start_ms=0, end_ms=0, *, kind="road_segment", entry_types=None, page_size=1000,
                timeout=None):
        """Yields the twin's HistoryEntry messages in [start_ms, end_ms), oldest first, page by page.

        start_ms 0: from the oldest entry kept; end_ms 0: up to now. entry_types: e.g. ["reading"]
        or ["state_sample"] (default: both).
        """
        request = twin_pb2.GetHistoryRequest(twin=self._ref(twin_id, kind), start_time_ms=int(start_ms),
                                             end_time_ms=int(end_ms), page_size=page_size)
        for entry_type in entry_types or ():
            request.entry_types.append(_lookup(_ENTRY_TYPES, entry_type, "history entry type"))
        yield from self._pages(self._twins.GetHistory, request, "entries", timeout)

    def stats(self, timeout=None):
        """The server's TwinStats (readings_logged, batches_written, twin_time_ms, lag_ms, ...)."""
        return self._unary(self._twins.GetStats, twin_pb2.GetStatsRequest(), timeout)

    # -- ingest --------------------------------------------------------------------------------

    def ingest(self, batches, timeout=None):
        """Streams IngestBatch messages on one Ingest call; yields one IngestAck per batch, in order.

        `batches` may be any iterable, also a generator that produces batches as data arrives
        (gRPC reads it from its own thread, so batches are pipelined ahead of their acks). The
        stream ends when the iterable is exhausted and every ack has arrived. Stopping the
        iteration early cancels the call; batches not acknowledged by then must be resent with
        their sequence numbers (the server drops the ones it already applied as duplicates).
        """
        call = self._ingest.Ingest(iter(batches), metadata=self._metadata, timeout=timeout)
        try:
            yield from call
        finally:
            call.cancel()

    def ingest_batch(self, source, sequence, readings, timeout=None):
        """Sends one batch on its own stream and returns its IngestAck."""
        acks = list(self.ingest([make_batch(source, sequence, readings)], timeout=self.timeout if timeout is None else timeout))
        if len(acks) != 1:
            raise RuntimeError(f"expected 1 ack for batch {sequence}, got {len(acks)}")
        return acks[0]

    # -- analytics (serve --analytics on) ------------------------------------------------------

    def anomalies(self, twin_id=None, *, kind="road_segment", anomaly_kind=None, start_ms=0, end_ms=0,
                  page_size=100, timeout=None):
        """Yields the anomalies raised on the feed (analytics_pb2.Anomaly), oldest first, page by page.

        twin_id: only this twin's (of `kind`). anomaly_kind: e.g. "speed_below_model". start_ms /
        end_ms: reading-time range (0: open). FAILED_PRECONDITION when the server runs --analytics off.
        """
        request = analytics_pb2.ListAnomaliesRequest(page_size=page_size)
        request.filter.start_time_ms, request.filter.end_time_ms = int(start_ms), int(end_ms)
        if twin_id is not None:
            request.filter.twin.CopyFrom(self._ref(twin_id, kind))
        if anomaly_kind is not None:
            request.filter.kind = _lookup(_ANOMALY_KINDS, anomaly_kind, "anomaly kind")
        yield from self._pages(self._analytics.ListAnomalies, request, "anomalies", timeout)

    def sensor_health(self, source="", twin_id=None, *, kind="road_segment", timeout=None):
        """The health of each sensor (analytics_pb2.SensorHealth) of one source and/or twin (default: all)."""
        request = analytics_pb2.GetSensorHealthRequest(source=source)
        if twin_id is not None:
            request.twin.CopyFrom(self._ref(twin_id, kind))
        return list(self._unary(self._analytics.GetSensorHealth, request, timeout).sensors)

    def feed_health(self, timeout=None):
        """The whole feed's summary (analytics_pb2.FeedHealth): sensors by state, anomalies raised."""
        return self._unary(self._analytics.GetFeedHealth, analytics_pb2.GetFeedHealthRequest(), timeout)

    # -- rolling forecast (serve --forecast on) ------------------------------------------------

    def forecast(self, twin_ids=(), *, kind="road_segment", in_s=0.0, timeout=None):
        """The latest forecast's predicted state `in_s` seconds from now (forecast_pb2.GetForecastResponse).

        twin_ids: the twins to predict (of `kind`; none: every twin). FAILED_PRECONDITION until a
        first forecast exists or with --forecast off.
        """
        request = forecast_pb2.GetForecastRequest(offset_ms=int(round(in_s * 1000)))
        for twin_id in twin_ids:
            request.twins.append(self._ref(twin_id, kind))
        return self._unary(self._forecasts.GetForecast, request, timeout)

    def predicted_trouble(self, timeout=None):
        """The latest forecast's predicted trouble (forecast_pb2.PredictedTroubleList)."""
        return self._unary(self._forecasts.ListPredictedTrouble, forecast_pb2.ListPredictedTroubleRequest(), timeout)

    def forecast_status(self, timeout=None):
        """The forecast's settings and cost (forecast_pb2.ForecastStatus)."""
        return self._unary(self._forecasts.GetForecastStatus, forecast_pb2.GetForecastStatusRequest(), timeout)

    # -- audit trail (admin role) --------------------------------------------------------------

    def audit(self, *, caller="", method="", from_ms=0, to_ms=0, page_size=100, timeout=None):
        """Yields audit records (audit_pb2.AuditRecord), oldest first, page by page; admins only
        (PERMISSION_DENIED otherwise, and that refusal is itself recorded)."""
        request = audit_pb2.ReadAuditRequest(caller=caller, method=method, from_time_ms=int(from_ms),
                                             to_time_ms=int(to_ms), page_size=page_size)
        yield from self._pages(self._audit.ReadAudit, request, "records", timeout)
