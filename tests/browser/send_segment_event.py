"""Sends one segment event through the gRPC Ingest stream (the Python client) and prints how many were accepted.

Usage: send_segment_event.py ADDRESS TOKEN SEGMENT KIND   (KIND: closed, reopened)
"""
import sys

from citytwin_client import TwinClient, now_ms, segment_event

address, token, segment, kind = sys.argv[1:5]
with TwinClient(address, token=token) as client:
    ack = client.ingest_batch("browser-test", now_ms(), [segment_event(segment, now_ms(), kind, cause="browser test")])
    print(ack.accepted)
    sys.exit(0 if ack.accepted == 1 else 1)
