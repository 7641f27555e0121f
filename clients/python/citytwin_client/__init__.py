"""Python client of the CityTwin gRPC API (citytwin.v1), on Debian's python3-grpcio.

    from citytwin_client import TwinClient, detector_reading, make_batch, now_ms

    with TwinClient("127.0.0.1:50051", token="...") as client:
        print(client.health())                       # "SERVING"
        for ack in client.ingest([make_batch("my-feed", 1, [detector_reading("1-2", now_ms(), 12, 48.0, 0.1)])]):
            print(ack.accepted, list(ack.rejected))
        print(client.get_twin("1-2").road_segment.mean_speed_kmh)

The gRPC stubs are generated from proto/ on first use (see citytwin_client.generate); importing
`citytwin_client.generate` alone does not generate them. The generated message modules are
available as citytwin_client.twin_pb2, analytics_pb2, forecast_pb2, audit_pb2 and health_pb2.
"""

_EXPORTS = {
    "TwinClient": "client",
    "detector_reading": "client",
    "segment_event": "client",
    "make_batch": "client",
    "now_ms": "client",
    "enum_name": "client",
    "describe": "client",
    "twin_pb2": "_stubs",
    "twin_pb2_grpc": "_stubs",
    "analytics_pb2": "_stubs",
    "analytics_pb2_grpc": "_stubs",
    "forecast_pb2": "_stubs",
    "forecast_pb2_grpc": "_stubs",
    "audit_pb2": "_stubs",
    "audit_pb2_grpc": "_stubs",
    "health_pb2": "_stubs",
    "health_pb2_grpc": "_stubs",
    "read_feed_csv": "feed",
    "FeedError": "feed",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    # Lazy, so that `python3 -m citytwin_client.generate` runs before anything is generated.
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'citytwin_client' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
