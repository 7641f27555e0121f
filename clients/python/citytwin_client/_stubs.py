"""Imports the generated stubs, generating them first when needed (see generate.py)."""

import sys

from . import generate

try:
    STUB_DIR = generate.ensure_stubs()
except OSError as e:
    raise generate.StubGenerationError(f"cannot generate the gRPC stubs: {e}") from e
if STUB_DIR not in sys.path:
    sys.path.insert(0, STUB_DIR)

try:
    from citytwin.v1 import twin_pb2, twin_pb2_grpc  # noqa: E402
    from citytwin.v1 import analytics_pb2, analytics_pb2_grpc  # noqa: E402
    from citytwin.v1 import forecast_pb2, forecast_pb2_grpc  # noqa: E402
    from citytwin.v1 import audit_pb2, audit_pb2_grpc  # noqa: E402
    from citytwin_grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
except TypeError as e:  # a protobuf runtime that refuses code from old protoc versions
    raise generate.StubGenerationError(
        f"the protobuf runtime rejects the stubs generated in {STUB_DIR} ({e}); with Debian's "
        "python3-protobuf this does not happen, elsewhere try PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python") from e

__all__ = ["STUB_DIR", "twin_pb2", "twin_pb2_grpc", "analytics_pb2", "analytics_pb2_grpc", "forecast_pb2",
           "forecast_pb2_grpc", "audit_pb2", "audit_pb2_grpc", "health_pb2", "health_pb2_grpc"]
