"""Start moto for firekeeper's tests, with two changes the tests need.

1. Firehose: moto caps a region at 50 streams; AWS allows 5,000. Raise the cap so
   pagination and scale tests can seed realistic fleets.
2. CloudWatch: current AWS SDKs speak Smithy RPC v2 CBOR to CloudWatch, which moto
   does not understand (getmoto/moto#9195). A WSGI layer in front of moto turns those
   requests into moto's JSON protocol and turns the answers, errors included, back
   into CBOR, so the real SDK code path is exercised end to end.

Usage: python launch.py PORT   (binds 127.0.0.1 only)
"""

import datetime
import io
import json
import sys

import cbor2
from werkzeug.serving import run_simple

from moto.firehose.models import DeliveryStream
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

DeliveryStream.MAX_STREAMS_PER_REGION = 5000

CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"
JSON_TARGET = "GraniteServiceVersion20100801."
# Members of CloudWatch responses that are timestamps: JSON carries them as epoch
# numbers, CBOR as tag 1.
TIMESTAMP_KEYS = {
    "Timestamps",
    "Timestamp",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
    "AlarmConfigurationUpdatedTimestamp",
    "LastModified",
    "StartTime",
    "EndTime",
}


def _to_json_value(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json_value(v) for v in value]
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return value


def _as_timestamp(value):
    if isinstance(value, (int, float)):
        return cbor2.CBORTag(1, value)
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return cbor2.CBORTag(1, parsed.timestamp())
    return value


def _to_cbor_value(value, key=None):
    if isinstance(value, dict):
        return {k: _to_cbor_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        if key in TIMESTAMP_KEYS:
            return [_as_timestamp(v) for v in value]
        return [_to_cbor_value(v) for v in value]
    if key in TIMESTAMP_KEYS:
        return _as_timestamp(value)
    return value


class CborAdapter:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CBOR_PREFIX):
            return self.app(environ, start_response)
        operation = path[len(CBOR_PREFIX):]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        request = cbor2.loads(raw) if raw else {}
        body = json.dumps(_to_json_value(request)).encode()
        environ = dict(environ)
        environ["PATH_INFO"] = "/"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["HTTP_X_AMZ_TARGET"] = JSON_TARGET + operation
        environ.pop("HTTP_SMITHY_PROTOCOL", None)
        environ["wsgi.input"] = io.BytesIO(body)

        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        chunks = self.app(environ, capture)
        try:
            answer = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        document = json.loads(answer) if answer.strip() else {}
        status = captured["status"]
        if not status.startswith("2") and "__type" in document:
            # JSON errors name the shape as "prefix#Name" or "Name"; CBOR wants the
            # same __type, and the message under "message".
            if "Message" in document and "message" not in document:
                document["message"] = document.pop("Message")
        out = cbor2.dumps(_to_cbor_value(document))
        headers = [
            (k, v)
            for k, v in captured["headers"]
            if k.lower() not in ("content-type", "content-length")
        ]
        headers += [
            ("Content-Type", "application/cbor"),
            ("Content-Length", str(len(out))),
            ("smithy-protocol", "rpc-v2-cbor"),
        ]
        start_response(status, headers)
        return [out]


def main():
    port = int(sys.argv[1])
    app = CborAdapter(DomainDispatcherApplication(create_backend_app))
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
