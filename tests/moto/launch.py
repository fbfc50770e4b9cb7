"""Start moto for firekeeper's tests, with the changes the tests need.

1. Firehose: moto caps a region at 50 streams; AWS allows 5,000. Raise the cap so
   pagination and scale tests can seed realistic fleets.
2. CloudWatch: current AWS SDKs speak Smithy RPC v2 CBOR to CloudWatch, which moto
   does not understand (getmoto/moto#9195). A WSGI layer in front of moto turns those
   requests into moto's JSON protocol and turns the answers, errors included, back
   into CBOR, so the real SDK code path is exercised end to end.
3. Faults: moto always answers at once and always succeeds, so an outermost WSGI
   layer injects the failures real AWS produces, and counts the calls that reached
   moto. Tests run in parallel against one launcher, each in its own AWS region, so
   every fault and every count is scoped by region.

Requests are recognised by the region and service of their SigV4 credential scope
(`Credential=AKID/DATE/REGION/SERVICE/aws4_request`) and by their operation:
X-Amz-Target after the dot (JSON: firehose, kms), the path after
`/service/GraniteServiceVersion20100801/operation/` (CBOR: CloudWatch), or `Action`
(query: sts).

Control API (unsigned, on the same port):
  POST   /_firekeeper/faults      JSON {"region": R, "service": S?, "operation": O?,
                                  "fault": KIND, "times": N?, ...parameters}
                                  -> {"ok": true}. Absent service/operation = any.
  DELETE /_firekeeper/faults?region=R   remove R's faults (all regions without
                                  ?region) and release the requests they hold.
  GET    /_firekeeper/calls?region=R&operation=O
                                  -> {"received": N, "forwarded": M}: requests that
                                  reached the launcher / were passed on to moto
                                  (faulted or not; no operation = all of R).

Fault kinds (the first fault that matches a request, in the order added, applies):
  lose_answer   delay=30: moto acts, the answer is held `delay` seconds. times=1.
  error         status=500, type="InternalFailure",
                message="We encountered an internal error. Please try again.":
                AWS error answer in the request's protocol; moto never sees it.
  hang          no answer until the fault is deleted (then moto acts and answers),
                or 300 s (then a 504, moto never sees it).
  metric_status value="PartialData", streams=null: CloudWatch GetMetricData answers
                (CBOR, or JSON) get StatusCode=value on every result, or on those
                whose query has a DeliveryStreamName dimension in `streams`.
`times` is how many matching requests a fault applies to (unlimited unless said).

Usage: python launch.py PORT   (binds 127.0.0.1 only)
"""

import base64
import datetime
import http
import io
import json
import re
import sys
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

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


def _call_buffered(app, environ):
    """Run a WSGI app to completion: (status, headers, body)."""
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    chunks = app(environ, capture)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return captured["status"], captured["headers"], body


def _buffer_body(environ):
    """Read the request body and put it back, so the layers behind still find it."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _with_length(headers, body):
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return headers + [("Content-Length", str(len(body)))]


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

        status, moto_headers, answer = _call_buffered(self.app, environ)
        document = json.loads(answer) if answer.strip() else {}
        if not status.startswith("2") and "__type" in document:
            # JSON errors name the shape as "prefix#Name" or "Name"; CBOR wants the
            # same __type, and the message under "message".
            if "Message" in document and "message" not in document:
                document["message"] = document.pop("Message")
        out = cbor2.dumps(_to_cbor_value(document))
        headers = [
            (k, v)
            for k, v in moto_headers
            if k.lower() not in ("content-type", "content-length")
        ]
        headers += [
            ("Content-Type", "application/cbor"),
            ("Content-Length", str(len(out))),
            ("smithy-protocol", "rpc-v2-cbor"),
        ]
        start_response(status, headers)
        return [out]


# ---------------------------------------------------------------------------
# Fault injection

CONTROL_PREFIX = "/_firekeeper/"
CONTROL_FAULTS = "/_firekeeper/faults"
CONTROL_CALLS = "/_firekeeper/calls"
SERVICES = {"firehose", "kms", "monitoring", "sts"}
KINDS = {"lose_answer", "error", "hang", "metric_status"}
# A held request gives up after this long, so a test that never deletes its hang
# fault does not keep a server thread forever.
HANG_LIMIT = 300
CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
QUERY_NAMESPACES = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
}


@dataclass(frozen=True)
class Call:
    """What a signed request is: where it goes, and in which protocol."""

    region: str | None
    service: str | None
    operation: str | None
    protocol: str  # "cbor", "json" or "query"


def _query_action(environ):
    """The Action of a query-protocol request (STS), from the URL or the form body."""
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if not action and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        form = _buffer_body(environ).decode("utf-8", "replace")
        action = parse_qs(form).get("Action")
    return action[0] if action else None


def _identify(environ):
    match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    region, service = match.groups() if match else (None, None)
    path = environ.get("PATH_INFO", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if path.startswith(CBOR_PREFIX):
        return Call(region, service, path[len(CBOR_PREFIX):], "cbor")
    if target:
        return Call(region, service, target.rpartition(".")[2], "json")
    return Call(region, service, _query_action(environ), "query")


class Fault:
    """One POSTed fault. Parameters are checked here so a test's typo fails loudly."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("the body must be a JSON object")
        self.region = spec.get("region")
        self.service = spec.get("service")
        self.operation = spec.get("operation")
        self.kind = spec.get("fault")
        if not isinstance(self.region, str) or not self.region:
            raise ValueError("region is required")
        if self.service is not None and self.service not in SERVICES:
            raise ValueError(f"service must be one of {sorted(SERVICES)}")
        if self.kind not in KINDS:
            raise ValueError(f"fault must be one of {sorted(KINDS)}")
        default_times = 1 if self.kind == "lose_answer" else None
        self.remaining = spec.get("times", default_times)  # None: unlimited
        if self.remaining is not None and (
            not isinstance(self.remaining, int) or self.remaining < 1
        ):
            raise ValueError("times must be a positive integer")
        self.delay = float(spec.get("delay", 30))
        self.status = int(spec.get("status", 500))
        self.error_type = str(spec.get("type", "InternalFailure"))
        self.message = str(
            spec.get("message", "We encountered an internal error. Please try again.")
        )
        self.value = str(spec.get("value", "PartialData"))
        self.streams = spec.get("streams")
        if self.streams is not None and not isinstance(self.streams, list):
            raise ValueError("streams must be a list of stream names")
        # Set by DELETE: releases requests held by this fault.
        self.removed = threading.Event()

    def matches(self, call):
        if call.region != self.region:
            return False
        if self.service is not None and call.service != self.service:
            return False
        if self.operation is not None and call.operation != self.operation:
            return False
        if self.kind == "metric_status":
            # Only GetMetricData answers carry a StatusCode to rewrite.
            return call.operation == "GetMetricData" and call.protocol in ("cbor", "json")
        return True


class FaultTable:
    """Faults and call counts, shared by the server's request threads."""

    def __init__(self):
        self._lock = threading.Lock()
        # Used-up faults stay listed (with remaining == 0) until DELETE, because
        # requests a hang fault holds wait for the DELETE, not for the last use.
        self._faults = []
        self._counts = {}  # (region, operation) -> {"received": n, "forwarded": m}

    def add(self, fault):
        with self._lock:
            self._faults.append(fault)

    def remove(self, region=None):
        with self._lock:
            removed = [f for f in self._faults if region in (None, f.region)]
            self._faults = [f for f in self._faults if f not in removed]
        for fault in removed:
            fault.removed.set()

    def claim(self, call):
        """The first fault that applies to this call, using up one of its times."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining != 0 and fault.matches(call):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def count(self, call, what):
        with self._lock:
            counts = self._counts.setdefault(
                (call.region, call.operation), {"received": 0, "forwarded": 0}
            )
            counts[what] += 1

    def calls(self, region, operation=None):
        total = {"received": 0, "forwarded": 0}
        with self._lock:
            for (r, op), counts in self._counts.items():
                if r == region and operation in (None, op):
                    for what in total:
                        total[what] += counts[what]
        return total


def _status_line(status):
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def _respond(start_response, status, headers, body):
    start_response(status, _with_length(headers, body))
    return [body]


def _respond_json(start_response, status, document):
    body = json.dumps(document).encode()
    return _respond(
        start_response, _status_line(status), [("Content-Type", "application/json")], body
    )


def _query_error(call, fault, request_id):
    namespace = QUERY_NAMESPACES.get(call.service)
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    side = "Sender" if fault.status < 500 else "Receiver"
    return (
        f"<ErrorResponse{xmlns}><Error><Type>{side}</Type>"
        f"<Code>{escape(fault.error_type)}</Code>"
        f"<Message>{escape(fault.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def _error_answer(environ, call, fault):
    """The error AWS sends for this protocol: (headers, body)."""
    request_id = str(uuid.uuid4())
    document = {"__type": fault.error_type, "message": fault.message}
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol == "cbor":
        body = cbor2.dumps(document)
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    elif call.protocol == "json":
        # Answer in the JSON version the client spoke (1.1 for Firehose and KMS).
        content_type = environ.get("CONTENT_TYPE", "")
        if not content_type.startswith("application/x-amz-json"):
            content_type = "application/x-amz-json-1.1"
        body = json.dumps(document).encode()
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", fault.error_type)]
    else:
        body = _query_error(call, fault, request_id)
        headers += [("Content-Type", "text/xml")]
    return headers, body


def _loads_keeping_timestamps(raw):
    """Decode CBOR, keeping tag 1 timestamps as tags so they re-encode byte for byte."""
    try:
        return cbor2.loads(
            raw, semantic_decoders={1: lambda value, immutable: cbor2.CBORTag(1, value)}
        )
    except TypeError:
        # cbor2 < 6 has no semantic_decoders: it decodes tag 1 to datetime, which
        # goes back as a tag 1 float.
        return _datetimes_to_tags(cbor2.loads(raw))


def _datetimes_to_tags(value):
    if isinstance(value, datetime.datetime):
        return cbor2.CBORTag(1, value.timestamp())
    if isinstance(value, dict):
        return {k: _datetimes_to_tags(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_datetimes_to_tags(v) for v in value]
    return value


def _stream_of_queries(request):
    """Map each GetMetricData query Id to its DeliveryStreamName dimension (or None)."""
    streams = {}
    for query in request.get("MetricDataQueries") or []:
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        names = [
            d.get("Value")
            for d in metric.get("Dimensions") or []
            if d.get("Name") == "DeliveryStreamName"
        ]
        streams[query.get("Id")] = names[0] if names else None
    return streams


def _set_status_codes(answer, streams_by_id, fault):
    for result in answer.get("MetricDataResults") or []:
        stream = streams_by_id.get(result.get("Id"))
        if fault.streams is None or stream in fault.streams:
            result["StatusCode"] = fault.value


class FaultInjector:
    def __init__(self, app, table):
        self.app = app
        self.table = table

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        call = _identify(environ)
        if call.region is None:
            # Unsigned (moto's own API, the readiness probe): nothing to scope by.
            return self.app(environ, start_response)
        self.table.count(call, "received")
        fault = self.table.claim(call)
        if fault is None:
            return self._forward(environ, start_response, call)
        handler = getattr(self, "_" + fault.kind)
        return handler(environ, start_response, call, fault)

    def _forward(self, environ, start_response, call):
        self.table.count(call, "forwarded")
        return self.app(environ, start_response)

    def _forward_buffered(self, environ, call):
        self.table.count(call, "forwarded")
        return _call_buffered(self.app, environ)

    def _lose_answer(self, environ, start_response, call, fault):
        # AWS carried out the call but the answer never made it back (a dropped
        # connection, a proxy timeout): the client times out, and a retry finds
        # the change already made. A DELETE cuts the hold short.
        status, headers, body = self._forward_buffered(environ, call)
        fault.removed.wait(fault.delay)
        return _respond(start_response, status, headers, body)

    def _error(self, environ, start_response, call, fault):
        # AWS refused the call (throttling, limits, validation, a 500 from the
        # service): nothing changes, and the SDK sees the service's error shape.
        headers, body = _error_answer(environ, call, fault)
        return _respond(start_response, _status_line(fault.status), headers, body)

    def _hang(self, environ, start_response, call, fault):
        # An outage or black hole: the TCP connection is accepted but no byte ever
        # comes back, so only the client's own timeouts end the call.
        if fault.removed.wait(HANG_LIMIT):
            return self._forward(environ, start_response, call)
        body = b"firekeeper launcher: held request given up\n"
        return _respond(
            start_response, _status_line(504), [("Content-Type", "text/plain")], body
        )

    def _metric_status(self, environ, start_response, call, fault):
        # CloudWatch answers GetMetricData with StatusCode PartialData when it did
        # not return every data point (more pages, or data still being aggregated)
        # and InternalError when it failed for a query: moto always says Complete.
        # The SDK speaks CBOR; JSON (what boto3 may speak) is rewritten alike.
        cbor = call.protocol == "cbor"
        raw = _buffer_body(environ)
        request = (cbor2.loads(raw) if cbor else json.loads(raw)) if raw else {}
        status, headers, body = self._forward_buffered(environ, call)
        if status.startswith("2") and body:
            answer = _loads_keeping_timestamps(body) if cbor else json.loads(body)
            _set_status_codes(answer, _stream_of_queries(request), fault)
            body = cbor2.dumps(answer) if cbor else json.dumps(answer).encode()
        return _respond(start_response, status, headers, body)

    def _control(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if path == CONTROL_FAULTS and method == "POST":
                self.table.add(Fault(json.loads(_buffer_body(environ) or b"null")))
                return _respond_json(start_response, 200, {"ok": True})
            if path == CONTROL_FAULTS and method == "DELETE":
                self.table.remove(query.get("region"))
                return _respond_json(start_response, 200, {"ok": True})
            if path == CONTROL_CALLS and method == "GET":
                if "region" not in query:
                    raise ValueError("region is required")
                counts = self.table.calls(query["region"], query.get("operation"))
                return _respond_json(start_response, 200, counts)
        except (ValueError, TypeError) as error:
            return _respond_json(start_response, 400, {"ok": False, "error": str(error)})
        return _respond_json(start_response, 404, {"ok": False, "error": "no such control"})


def main():
    port = int(sys.argv[1])
    moto = CborAdapter(DomainDispatcherApplication(create_backend_app))
    app = FaultInjector(moto, FaultTable())
    # threaded: a request held by a fault must never hold up the others.
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
