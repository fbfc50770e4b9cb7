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
4. CloudTrail: moto has no LookupEvents. The launcher keeps each region's event
   history itself: every Firehose and KMS management call moto carries out becomes
   an event (request id and error from moto's answer, caller from the access key),
   and so does every error a fault answers in AWS's place (AWS records the calls it
   refuses; a lost answer is recorded, a black hole is not: it never reached AWS),
   tests add events "by someone else" at past times, and LookupEvents is answered
   from it in AWS's shapes (see "CloudTrail event history" below for what AWS does
   and how this differs).
5. KMS rotation periods: moto keeps only whether a key rotates automatically; the
   launcher keeps EnableKeyRotation's RotationPeriodInDays and reports it, with
   NextRotationDate, in GetKeyRotationStatus, as AWS does (`RotationPeriods`).
6. KMS dry runs: moto ignores CreateGrant's DryRun and would create the grant. The
   launcher answers a dry run as AWS does, DryRunOperationException for a key the
   caller may grant on and AccessDeniedException for a key a test denies, and
   records it in the event history with that errorCode (`GrantDryRuns`).
7. AWS Config: moto's AWS Config does not record Firehose streams; `aws_config.py`
   beside this file answers the recorder, discovered-resource and aggregator calls
   for AWS::KinesisFirehose::DeliveryStream from moto's Firehose state, and maps a
   test's access key to a second account (its docstring has the control API).

Requests are recognised by the region and service of their SigV4 credential scope
(`Credential=AKID/DATE/REGION/SERVICE/aws4_request`) and by their operation:
X-Amz-Target after the dot (JSON: firehose, kms, cloudtrail), the path after
`/service/GraniteServiceVersion20100801/operation/` (CBOR: CloudWatch), or `Action`
(query: sts).

Control API (unsigned, on the same port):
  POST   /_firekeeper/faults      JSON {"region": R, "service": S?, "operation": O?,
                                  "fault": KIND, "times": N?, ...parameters}
                                  -> {"ok": true}. Absent service/operation = any.
  DELETE /_firekeeper/faults?region=R   remove R's faults and rate (all regions
                                  without ?region) and release the requests they hold.
  GET    /_firekeeper/calls?region=R&operation=O
                                  -> {"received": N, "forwarded": M, "metrics": K}:
                                  requests that reached the launcher / were passed
                                  on to moto, or for LookupEvents to the event
                                  history (faulted or not; no operation = all of R),
                                  and the metrics (MetricDataQueries) the received
                                  GetMetricData requests asked for, each request
                                  (each page) counted, as CloudWatch bills them.
  POST   /_firekeeper/rates       JSON {"region": R, "firehose_per_second": 5}
                                  -> {"ok": true}: from then on, more Firehose calls
                                  of one API in R than this in one second are
                                  answered ThrottlingException ("Rate exceeded",
                                  400) and never reach moto (AWS: 5 per API per
                                  account and Region); null: no limit (the default).
  POST   /_firekeeper/events      an event made by someone else, or a JSON list of
                                  them -> {"ok": true, "eventIds": [...]}. Fields:
                                  region, eventName (required); eventSource
                                  ("kms.amazonaws.com" when keyId is given, else
                                  "firehose.amazonaws.com"); resourceName (the
                                  stream) or keyId (id, ARN or alias: the resource
                                  is the key's ARN); at (ISO 8601 time, or seconds
                                  ago; default 0 = now); user (an IAM user name;
                                  default: accessKeyId's identity, or "someone-else");
                                  identity (instead of user: an object of the
                                  /_firekeeper/identities fields below, without
                                  accessKeyId and region: the caller as any
                                  documented userIdentity type);
                                  accessKeyId (default: a random AKIA...); errorCode,
                                  errorMessage (default none: the call worked); keyArn,
                                  keyType (StartDeliveryStreamEncryption; keyType
                                  defaults to CUSTOMER_MANAGED_CMK with keyArn, else
                                  AWS_OWNED_CMK); requestParameters (replaces the
                                  default: deliveryStreamName [+ the encryption
                                  input] or keyId).
  DELETE /_firekeeper/events?region=R   forget R's history, its trail settings and
                                  its region-scoped identities (all without ?region).
  POST   /_firekeeper/identities  JSON {"accessKeyId": K, "type": T, ...fields,
                                  "region": only there (default: every region)}
                                  -> {"ok": true}: calls signed with K are recorded
                                  as made by that caller. Unmapped keys are IAM
                                  users named after the key. T and its fields, as
                                  the AWS CloudTrail User Guide's "CloudTrail
                                  userIdentity element" shows each type's record
                                  (accountId: the caller's account, default moto's;
                                  arn overrides the ARN made from the rest):
                                  IAMUser       userName (default K): type,
                                                principalId, arn, accountId,
                                                accessKeyId, userName.
                                  AssumedRole   userName (the role) and sessionName,
                                                required; invokedBy (a service
                                                acting with the role): arn
                                                ...:assumed-role/ROLE/SESSION and
                                                sessionContext.sessionIssuer
                                                (type Role, userName ROLE).
                                  FederatedUser userName (GetFederationToken's
                                                Name), required; issuer (the IAM
                                                user that asked STS, default
                                                "federation-broker"): arn
                                                ...:federated-user/NAME, principalId
                                                ACCOUNT:NAME, sessionContext.
                                                sessionIssuer (type IAMUser).
                                  IdentityCenterUser  userId, required: accountId,
                                                onBehalfOf {userId, identityStoreArn},
                                                credentialId; no accessKeyId (a
                                                bearer token, not SigV4).
                                  AWSAccount    accountId (the other account),
                                                required; invokedBy: principalId,
                                                accountId; no arn, no accessKeyId.
                                  AWSService    invokedBy (the service), required:
                                                type and invokedBy only.
                                  Root          userName (the account alias, if
                                                set): principalId (the account),
                                                arn ...:root, accountId,
                                                accessKeyId.
                                  An event's AccessKeyId and Username (LookupEvents'
                                  summary) are left out where the record has none:
                                  Username is the IAM user's, the role session's,
                                  the federated user's name, "root" or the service;
                                  AWS does not document it for an Identity Center
                                  user or another account, so none is given.
  POST   /_firekeeper/grants      JSON {"region": R, "keyId": K (id, ARN or alias),
                                  "denied": true} -> {"ok": true}: CreateGrant dry
                                  runs on K in R are answered AccessDeniedException
                                  from then on ("denied": false: allowed again).
  DELETE /_firekeeper/grants?region=R   allow every key of R again (all without ?region).
  POST   /_firekeeper/trail       JSON {"region": R, "lookup_delay_seconds": 0,
                                  "lookups_per_second": null, "record_reads": false}
                                  (any subset) -> {"ok": true, "settings": {...}}:
                                  events younger than the delay are not returned yet
                                  (AWS: 5-15 min); more lookups than the rate in one
                                  second get ThrottlingException (AWS: 2, null = no
                                  limit); record_reads also records Describe/List/Get
                                  and KMS crypto calls (AWS records them all).

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
  list_metrics_lag  minutes=15, streams=null: CloudWatch ListMetrics answers leave
                out the series (of every stream, or of those in `streams`) whose
                first datapoint is newer than `minutes`. AWS: "After you create a
                metric, allow up to 15 minutes for the metric to appear. To see
                metric statistics sooner, use GetMetricData." moto lists a metric
                the moment it is put; GetMetricData is left alone, as in AWS.
  describe_failure  value="ENABLING_FAILED", type="KMS_ACCESS_DENIED", message=…,
                streams=null: Firehose DescribeDeliveryStream answers (of every
                stream, or of those in `streams`) report the encryption Status
                `value` with FailureDescription {Type: type, Details: message}, the
                key kept. AWS's FailureDescription.Details is free text of AWS's,
                quoting KMS's own error, which can quote a key policy or grant
                writer's text: a test gives it any length or bytes. moto never
                reports a failure.
`times` is how many matching requests a fault applies to (unlimited unless said).
Faults apply to CloudTrail too (service "cloudtrail", operation "LookupEvents"); AWS
answers ThrottlingException and AccessDeniedException with status 400, so give
"status": 400 with them. An injected error never reaches moto and is no event; a
lost answer and a released hang are events (moto acted).

Usage: python launch.py PORT   (binds 127.0.0.1 only)
"""

import base64
import collections
import datetime
import hashlib
import http
import io
import itertools
import json
import os
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import cbor2
from werkzeug.serving import run_simple

from moto.cloudwatch.models import cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.firehose.models import DeliveryStream
from moto.kms.models import kms_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aws_config import ConfigLayer  # noqa: E402

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
# The environ key under which the fault injector hands an injected error answer
# to the trail layer, which records it as AWS would and sends it back.
CANNED_ANSWER = "firekeeper.canned_answer"
CONTROL_FAULTS = "/_firekeeper/faults"
CONTROL_CALLS = "/_firekeeper/calls"
CONTROL_RATES = "/_firekeeper/rates"
SERVICES = {"cloudtrail", "firehose", "kms", "monitoring", "sts"}
KINDS = {"lose_answer", "error", "hang", "metric_status", "list_metrics_lag", "describe_failure"}
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
        self.minutes = float(spec.get("minutes", 15))
        if self.kind == "describe_failure":
            self.value = str(spec.get("value", "ENABLING_FAILED"))
            self.error_type = str(spec.get("type", "KMS_ACCESS_DENIED"))
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
        if self.kind == "list_metrics_lag":
            return call.operation == "ListMetrics" and call.protocol in ("cbor", "json")
        if self.kind == "describe_failure":
            return call.operation == "DescribeDeliveryStream" and call.protocol == "json"
        return True


class FaultTable:
    """Faults and call counts, shared by the server's request threads."""

    def __init__(self):
        self._lock = threading.Lock()
        # Used-up faults stay listed (with remaining == 0) until DELETE, because
        # requests a hang fault holds wait for the DELETE, not for the last use.
        self._faults = []
        self._counts = {}  # (region, operation) -> {"received": n, "forwarded": m}
        # Firehose's rates: region -> calls a second per API; and the times of
        # each (region, operation)'s calls in the last second.
        self._rates = {}
        self._recent = {}

    def add(self, fault):
        with self._lock:
            self._faults.append(fault)

    def remove(self, region=None):
        with self._lock:
            removed = [f for f in self._faults if region in (None, f.region)]
            self._faults = [f for f in self._faults if f not in removed]
            self._rates = {r: n for r, n in self._rates.items() if region not in (None, r)}
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

    def count(self, call, what, n=1):
        with self._lock:
            counts = self._counts.setdefault(
                (call.region, call.operation), {"received": 0, "forwarded": 0, "metrics": 0}
            )
            counts[what] += n

    def set_rate(self, region, per_second):
        with self._lock:
            if per_second is None:
                self._rates.pop(region, None)
            else:
                self._rates[region] = per_second

    def over_rate(self, call):
        """True when this Firehose call is past its Region's rate for its API in
        the last second (the call is then refused, and not counted in the rate)."""
        with self._lock:
            rate = self._rates.get(call.region)
            if rate is None or call.service != "firehose":
                return False
            now = time.monotonic()
            recent = self._recent.setdefault((call.region, call.operation), collections.deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= rate:
                return True
            recent.append(now)
            return False

    def calls(self, region, operation=None):
        total = {"received": 0, "forwarded": 0, "metrics": 0}
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


def _query_error(call, status, error_type, message, request_id):
    namespace = QUERY_NAMESPACES.get(call.service)
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    side = "Sender" if status < 500 else "Receiver"
    return (
        f"<ErrorResponse{xmlns}><Error><Type>{side}</Type>"
        f"<Code>{escape(error_type)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def _error_answer(environ, call, status, error_type, message):
    """The error AWS sends for this protocol: (headers, body).

    JSON 1.0/1.1 (Firehose, KMS, CloudTrail): HTTP 4xx/5xx, the error's shape name in
    the `x-amzn-ErrorType` header and in the body's `__type`, and the text under
    `message`. AWS sometimes qualifies `__type` ("com.amazonaws.cloudtrail.v20131101#
    ThrottlingException") and sometimes spells `Message`; every SDK accepts both, so
    the plain name and `message` are used throughout.
    """
    request_id = str(uuid.uuid4())
    document = {"__type": error_type, "message": message}
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
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", error_type)]
    else:
        body = _query_error(call, status, error_type, message, request_id)
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


def _metrics_asked(environ, call):
    """How many metrics a GetMetricData request asks for: its MetricDataQueries, in
    whichever protocol the client spoke (CBOR, JSON, or the query protocol's form)."""
    raw = _buffer_body(environ)
    if not raw:
        return 0
    if call.protocol == "query":
        form = parse_qs(raw.decode("utf-8", "replace"))
        ids = re.compile(r"^MetricDataQueries\.member\.\d+\.Id$")
        return sum(1 for key in form if ids.match(key))
    request = cbor2.loads(raw) if call.protocol == "cbor" else json.loads(raw)
    return len(request.get("MetricDataQueries") or [])


def _set_status_codes(answer, streams_by_id, fault):
    for result in answer.get("MetricDataResults") or []:
        stream = streams_by_id.get(result.get("Id"))
        if fault.streams is None or stream in fault.streams:
            result["StatusCode"] = fault.value


def _stream_dimension(dimensions):
    for d in dimensions or []:
        if d.get("Name") == "DeliveryStreamName":
            return d.get("Value")
    return None


def _first_datapoints(region):
    """The time of the first datapoint moto holds for each (namespace, metric,
    DeliveryStreamName) series of the region."""
    first = {}
    backend = cloudwatch_backends[ACCOUNT_ID][region]
    for datum in backend.get_all_metrics():
        stream = next(
            (d.value for d in datum.dimensions if d.name == "DeliveryStreamName"), None
        )
        at = datum.timestamp
        if at.tzinfo is None:
            at = at.replace(tzinfo=datetime.timezone.utc)
        key = (datum.namespace, datum.name, stream)
        if key not in first or at < first[key]:
            first[key] = at
    return first


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
        if call.operation == "GetMetricData":
            self.table.count(call, "metrics", _metrics_asked(environ, call))
        if self.table.over_rate(call):
            return self._throttle(environ, start_response, call)
        fault = self.table.claim(call)
        if fault is None:
            return self._forward(environ, start_response, call)
        handler = getattr(self, "_" + fault.kind)
        return handler(environ, start_response, call, fault)

    def _throttle(self, environ, start_response, call):
        # AWS: Firehose's control APIs (DescribeDeliveryStream, ListDeliveryStreams,
        # Start/StopDeliveryStreamEncryption, ...) each take "up to 5 transactions
        # per second" per account and Region (Amazon Data Firehose quotas). The
        # error past it is not documented for Firehose; AWS's common one is
        # ThrottlingException, "Rate exceeded", status 400, which the SDKs retry
        # with backoff. moto never sees the call.
        headers, body = _error_answer(environ, call, 400, "ThrottlingException", "Rate exceeded")
        return _respond(start_response, _status_line(400), headers, body)

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
        # AWS records a refused call in CloudTrail like any other, errorCode and
        # all: the answer goes down to the trail layer, which records it in place
        # of calling moto.
        headers, body = _error_answer(
            environ, call, fault.status, fault.error_type, fault.message
        )
        environ[CANNED_ANSWER] = (_status_line(fault.status), headers, body)
        return self.app(environ, start_response)

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

    def _describe_failure(self, environ, start_response, call, fault):
        raw = _buffer_body(environ)
        name = (json.loads(raw) if raw else {}).get("DeliveryStreamName")
        status, headers, body = self._forward_buffered(environ, call)
        if status.startswith("2") and body and (fault.streams is None or name in fault.streams):
            answer = json.loads(body)
            description = answer.get("DeliveryStreamDescription") or {}
            config = description.setdefault("DeliveryStreamEncryptionConfiguration", {})
            config["Status"] = fault.value
            config["FailureDescription"] = {"Type": fault.error_type, "Details": fault.message}
            body = json.dumps(answer).encode()
        return _respond(start_response, status, headers, body)

    def _list_metrics_lag(self, environ, start_response, call, fault):
        # AWS lists a new metric up to 15 minutes after it is created; moto at
        # once. The series too young to be listed are taken out of the answer
        # (a page may come back shorter than 500, as AWS's may).
        cbor = call.protocol == "cbor"
        status, headers, body = self._forward_buffered(environ, call)
        if status.startswith("2") and body:
            answer = _loads_keeping_timestamps(body) if cbor else json.loads(body)
            first = _first_datapoints(call.region)
            cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
                minutes=fault.minutes
            )

            def too_young(metric):
                stream = _stream_dimension(metric.get("Dimensions"))
                if fault.streams is not None and stream not in fault.streams:
                    return False
                born = first.get((metric.get("Namespace"), metric.get("MetricName"), stream))
                return born is not None and born > cutoff

            answer["Metrics"] = [m for m in answer.get("Metrics") or [] if not too_young(m)]
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
            if path == CONTROL_RATES and method == "POST":
                spec = json.loads(_buffer_body(environ) or b"null")
                rate = spec.get("firehose_per_second")
                if rate is not None and (not isinstance(rate, int) or rate < 1):
                    raise ValueError("firehose_per_second must be a positive integer or null")
                self.table.set_rate(spec["region"], rate)
                return _respond_json(start_response, 200, {"ok": True})
            if path == CONTROL_CALLS and method == "GET":
                if "region" not in query:
                    raise ValueError("region is required")
                counts = self.table.calls(query["region"], query.get("operation"))
                return _respond_json(start_response, 200, counts)
        except (ValueError, TypeError) as error:
            return _respond_json(start_response, 400, {"ok": False, "error": str(error)})
        # The trail's controls (events, identities, trail), or a 404 from there.
        return self.app(environ, start_response)


# ---------------------------------------------------------------------------
# CloudTrail event history: LookupEvents
#
# What AWS does: CloudTrail's "Event history" keeps every management event of the
# last 90 days, per account and Region, with no trail needed. LookupEvents (AWS
# JSON 1.1, target com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.
# LookupEvents) answers from it: at most MaxResults events (1-50, default 50) a
# page, newest first, with a NextToken while more remain; the token is valid only
# with the same parameters. At most one LookupAttribute (EventId, EventName,
# ReadOnly, Username, ResourceType, ResourceName, EventSource or AccessKeyId; an
# exact match), StartTime and EndTime both inclusive. Bad input is answered 400
# with InvalidLookupAttributesException, InvalidTimeRangeException,
# InvalidMaxResultsException, InvalidNextTokenException or
# InvalidEventCategoryException; more than two lookups a second per account and
# Region are answered ThrottlingException ("Rate exceeded"). Each Event carries
# the record itself as a JSON string, CloudTrailEvent. An event is delivered
# typically 5 to 15 minutes after the call. Failed calls (AccessDenied, not
# found, validation) are events too, with errorCode and errorMessage.
#
# moto has no LookupEvents, so the launcher keeps the history itself: every
# Firehose and KMS management call it passes to moto becomes an event the moment
# moto answers it, with moto's request id and error, the caller named after the
# SigV4 access key. A call the fault injector answered itself never reached
# "AWS" and is not an event; a lost answer (moto acted) is. How this stand-in
# differs from AWS:
#   - events are visible at once, not 5-15 minutes later, unless a test sets
#     lookup_delay_seconds for its Region (POST /_firekeeper/trail);
#   - only Firehose and KMS calls are recorded, and read-only ones (Describe*,
#     List*, Get*, Encrypt, Decrypt, ...) only when the Region's record_reads is
#     set: AWS records them all, CloudTrail's own LookupEvents calls included;
#   - an injected error (fault "error") is not an event, where AWS records e.g.
#     AccessDenied; a test that needs one POSTs it to /_firekeeper/events;
#   - no throttling unless the Region's lookups_per_second is set (AWS: 2);
#   - responseElements is always null (AWS fills it for some calls, e.g.
#     CreateGrant's grantId), requestParameters is the request with its member
#     names in lowerCamelCase and nothing redacted, and error messages are the
#     launcher's own wording (the error codes are AWS's);
#   - one account (moto's) receives every call; a caller may belong to another
#     (an identity's accountId), and the Username of an assumed role is its
#     session name, of an IAM user the user name (see the control API above).

CONTROL_EVENTS = "/_firekeeper/events"
CONTROL_IDENTITIES = "/_firekeeper/identities"
CONTROL_TRAIL = "/_firekeeper/trail"
CONTROL_GRANTS = "/_firekeeper/grants"
ACCOUNT_ID = os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)
EVENT_SOURCES = {"firehose": "firehose.amazonaws.com", "kms": "kms.amazonaws.com"}
STREAM_TYPE = "AWS::KinesisFirehose::DeliveryStream"
KEY_TYPE = "AWS::KMS::Key"
# Firehose's PutRecord(Batch) are data events: never in Event history.
DATA_EVENTS = {"PutRecord", "PutRecordBatch"}
READ_PREFIXES = ("Describe", "List", "Get")
KMS_READS = {
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "ReEncrypt",
    "Sign",
    "Verify",
    "VerifyMac",
}
LOOKUP_KEYS = {
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
}
PAGE_MAX = 50
RETENTION_SECONDS = 90 * 24 * 3600
# Request members whose keys are the caller's data, not member names: kept as sent.
USER_MAPS = {"EncryptionContext", "EncryptionContextSubset", "EncryptionContextEquals"}
ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
OTHER_USER = "someone-else"
OTHER_IP = "198.51.100.7"
OTHER_AGENT = "aws-cli/2.17.0 md/command#firehose (injected by the firekeeper launcher)"
EVENT_FIELDS = {
    "region",
    "eventName",
    "eventSource",
    "resourceName",
    "keyId",
    "user",
    "accessKeyId",
    "at",
    "errorCode",
    "errorMessage",
    "keyArn",
    "keyType",
    "requestParameters",
    "identity",
}
IDENTITY_FIELDS = {
    "accessKeyId",
    "type",
    "userName",
    "sessionName",
    "arn",
    "region",
    "accountId",
    "issuer",
    "invokedBy",
    "userId",
}
SETTINGS = {"lookup_delay_seconds": 0, "lookups_per_second": None, "record_reads": False}


def _read_only(operation):
    return operation.startswith(READ_PREFIXES) or operation in KMS_READS


def _iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _lower_camel(value, keep_keys=False):
    """Request members as CloudTrail's requestParameters spell them: keyARN."""
    if isinstance(value, dict):
        return {
            (k if keep_keys else k[:1].lower() + k[1:]): _lower_camel(v, k in USER_MAPS)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_lower_camel(v) for v in value]
    return value


def _principal_id(prefix, name):
    digest = base64.b32encode(hashlib.sha1(name.encode()).digest()).decode()
    return prefix + digest[:17]


IDENTITY_TYPES = (
    "IAMUser",
    "AssumedRole",
    "FederatedUser",
    "IdentityCenterUser",
    "AWSAccount",
    "AWSService",
    "Root",
)
# The types whose calls are signed with an access key CloudTrail records: an
# Identity Center user calls with a bearer token (credentialId), and the
# documented AWSAccount and AWSService records carry no accessKeyId.
SIGNED_TYPES = ("IAMUser", "AssumedRole", "FederatedUser", "Root")


def _text(spec, name, required=None):
    value = spec.get(name)
    if value is None:
        if required:
            raise ValueError(f"{name} is required for {required}")
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


@dataclass(frozen=True)
class Identity:
    """Who made a call, as CloudTrail's userIdentity element records it: one of
    the documented types (AWS CloudTrail User Guide, "CloudTrail userIdentity
    element")."""

    kind: str
    # IAMUser: the user; AssumedRole: the role; FederatedUser: the federated
    # user's name (GetFederationToken's Name); Root: the account alias, if any.
    name: str | None = None
    session: str | None = None  # AssumedRole: the role session's name
    arn: str | None = None  # overrides the ARN made from the rest
    account: str | None = None  # the caller's account (default: moto's)
    issuer: str | None = None  # FederatedUser: the IAM user that asked STS
    invoked_by: str | None = None  # AWSService (required); AssumedRole (optional)
    user_id: str | None = None  # IdentityCenterUser: onBehalfOf.userId

    @staticmethod
    def parse(spec, key=None):
        """An identity from its control spec; `key` is the access key it is for
        (IAMUser's default name)."""
        unknown = set(spec) - IDENTITY_FIELDS
        if unknown:
            raise ValueError(f"unknown identity fields {sorted(unknown)}")
        kind = spec.get("type", "IAMUser")
        if kind not in IDENTITY_TYPES:
            raise ValueError(f"type must be one of {list(IDENTITY_TYPES)}")
        name = _text(spec, "userName")
        if kind == "IAMUser":
            name = name or key
            if not name:
                raise ValueError("userName is required for IAMUser")
        if kind in ("AssumedRole", "FederatedUser") and not name:
            raise ValueError(f"userName is required for {kind}")
        session = _text(spec, "sessionName", "AssumedRole" if kind == "AssumedRole" else None)
        if session is not None and kind != "AssumedRole":
            raise ValueError("sessionName is for AssumedRole only")
        return Identity(
            kind,
            name,
            session,
            _text(spec, "arn"),
            _text(spec, "accountId", "AWSAccount" if kind == "AWSAccount" else None),
            _text(spec, "issuer"),
            _text(spec, "invokedBy", "AWSService" if kind == "AWSService" else None),
            _text(
                spec,
                "userId",
                "IdentityCenterUser" if kind == "IdentityCenterUser" else None,
            ),
        )

    @property
    def signed(self):
        """Whether CloudTrail records an access key for this caller's calls."""
        return self.kind in SIGNED_TYPES

    @property
    def username(self):
        """LookupEvents' Username ("a user name or role name of the requester"):
        the IAM user's name, the role session's, the federated user's, root, or
        the service; none for another account or an Identity Center user (AWS
        does not document what it gives for them)."""
        return {
            "IAMUser": self.name,
            "AssumedRole": self.session,
            "FederatedUser": self.name,
            "Root": "root",
            "AWSService": self.invoked_by,
        }.get(self.kind)

    def user_identity(self, access_key, when):
        account = self.account or ACCOUNT_ID
        shape = getattr(self, "_" + self.kind.lower())(account, when)
        if self.signed:
            shape["accessKeyId"] = access_key
        return shape

    def _iamuser(self, account, when):
        return {
            "type": "IAMUser",
            "principalId": _principal_id("AIDA", self.name),
            "arn": self.arn or f"arn:aws:iam::{account}:user/{self.name}",
            "accountId": account,
            "userName": self.name,
        }

    def _assumedrole(self, account, when):
        role_id = _principal_id("AROA", self.name)
        shape = {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{self.session}",
            "arn": self.arn
            or f"arn:aws:sts::{account}:assumed-role/{self.name}/{self.session}",
            "accountId": account,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{account}:role/{self.name}",
                    "accountId": account,
                    "userName": self.name,
                },
                "attributes": {"creationDate": _iso(when), "mfaAuthenticated": "false"},
            },
        }
        if self.invoked_by:
            shape["invokedBy"] = self.invoked_by
        return shape

    def _federateduser(self, account, when):
        issuer = self.issuer or "federation-broker"
        return {
            "type": "FederatedUser",
            "principalId": f"{account}:{self.name}",
            "arn": self.arn or f"arn:aws:sts::{account}:federated-user/{self.name}",
            "accountId": account,
            "sessionContext": {
                "attributes": {"mfaAuthenticated": "false", "creationDate": _iso(when)},
                "sessionIssuer": {
                    "type": "IAMUser",
                    "principalId": _principal_id("AIDA", issuer),
                    "arn": f"arn:aws:iam::{account}:user/{issuer}",
                    "accountId": account,
                    "userName": issuer,
                },
            },
        }

    def _identitycenteruser(self, account, when):
        store = "d-" + _principal_id("", account)[:10].lower()
        return {
            "type": "IdentityCenterUser",
            "accountId": account,
            "onBehalfOf": {
                "userId": self.user_id,
                "identityStoreArn": f"arn:aws:identitystore::{account}:identitystore/{store}",
            },
            # A bearer token's id, never an access key: Identity Center calls
            # are not SigV4-signed.
            "credentialId": "EXAMPLE" + uuid.uuid4().hex + uuid.uuid4().hex,
        }

    def _awsaccount(self, account, when):
        shape = {
            "type": "AWSAccount",
            "principalId": _principal_id("AIDA", account),
            "accountId": account,
        }
        if self.invoked_by:
            shape["invokedBy"] = self.invoked_by
        return shape

    def _awsservice(self, account, when):
        return {"type": "AWSService", "invokedBy": self.invoked_by}

    def _root(self, account, when):
        shape = {
            "type": "Root",
            "principalId": account,
            "arn": self.arn or f"arn:aws:iam::{account}:root",
            "accountId": account,
        }
        if self.name:
            shape["userName"] = self.name  # the account alias, when one is set
        return shape


@dataclass(frozen=True)
class Origin:
    """Who made a call, and from where."""

    identity: Identity
    access_key: str
    source_ip: str
    user_agent: str


@dataclass(frozen=True)
class TrailEvent:
    seq: int  # orders events of the same second: the later call is newer
    time: int  # epoch seconds, as AWS reports them
    answer: dict  # the LookupEvents Event, CloudTrailEvent included


def _make_event(region, source, name, origin, when, details):
    """A LookupEvents Event. details: requestParameters, resources (ResourceType,
    ResourceName), requestID, errorCode and errorMessage (None when the call worked)."""
    event_id = str(uuid.uuid4())
    read_only = _read_only(name)
    record = {
        "eventVersion": "1.09",
        "userIdentity": origin.identity.user_identity(origin.access_key, when),
        "eventTime": _iso(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": origin.source_ip,
        "userAgent": origin.user_agent,
    }
    if details.get("errorCode"):
        record["errorCode"] = details["errorCode"]
        if details.get("errorMessage"):
            record["errorMessage"] = details["errorMessage"]
    record.update(
        requestParameters=details.get("requestParameters"),
        responseElements=None,
        requestID=details["requestID"],
        eventID=event_id,
        readOnly=read_only,
    )
    resources = details.get("resources") or []
    if source == EVENT_SOURCES["kms"] and resources:
        # KMS records name the keys they touched; Firehose records do not.
        record["resources"] = [
            {"accountId": ACCOUNT_ID, "type": r["ResourceType"], "ARN": r["ResourceName"]}
            for r in resources
        ]
    record.update(
        eventType="AwsApiCall",
        managementEvent=True,
        recipientAccountId=ACCOUNT_ID,
        eventCategory="Management",
    )
    summary = {
        "EventId": event_id,
        "EventName": name,
        "ReadOnly": "true" if read_only else "false",
        "EventTime": when,
        "EventSource": source,
        "Resources": resources,
        "CloudTrailEvent": json.dumps(record, separators=(",", ":")),
    }
    # Left out where the record has none, as AWS leaves out an absent member.
    if origin.identity.signed:
        summary["AccessKeyId"] = origin.access_key
    if origin.identity.username:
        summary["Username"] = origin.identity.username
    return summary


def _key_arn(region, key_id):
    """The ARN of a KMS key named by id, ARN, alias or alias ARN; None if unknown."""
    if not isinstance(key_id, str) or not key_id:
        return None
    try:
        backend = kms_backends[ACCOUNT_ID][region]
        return backend.keys[backend.any_id_to_key_id(key_id)].arn
    except (KeyError, AttributeError, TypeError):
        pass  # not (or no longer) in moto: AWS still names the key as sent
    if key_id.startswith("arn:") and ":key/" in key_id:
        return key_id
    if "alias/" in key_id:
        return None
    return f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}"


def _resources(source, region, stream=None, keys=()):
    if source == EVENT_SOURCES["firehose"]:
        return [{"ResourceType": STREAM_TYPE, "ResourceName": stream}] if stream else []
    arns = []
    for key in keys:
        arn = _key_arn(region, key)
        if arn and arn not in arns:
            arns.append(arn)
    return [{"ResourceType": KEY_TYPE, "ResourceName": arn} for arn in arns]


class Trail:
    """The event history, its per-Region settings, and who owns which access key."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._events = {}  # region -> [TrailEvent], in the order added
        self._settings = {}  # region -> changes to SETTINGS
        self._identities = {}  # (region or None, access key) -> Identity
        self._lookups = {}  # region -> deque of recent LookupEvents times

    def add(self, region, answer):
        with self._lock:
            event = TrailEvent(next(self._seq), answer["EventTime"], answer)
            self._events.setdefault(region, []).append(event)

    def events(self, region):
        """The region's events, newest first."""
        with self._lock:
            events = list(self._events.get(region, []))
        return sorted(events, key=lambda e: (e.time, e.seq), reverse=True)

    def clear(self, region=None):
        with self._lock:
            for table in (self._events, self._settings, self._lookups):
                for r in [r for r in table if region in (None, r)]:
                    del table[r]
            for key in [k for k in self._identities if region in (None, k[0])]:
                del self._identities[key]

    def settings(self, region):
        with self._lock:
            return {**SETTINGS, **self._settings.get(region, {})}

    def configure(self, spec):
        region = spec.get("region")
        if not isinstance(region, str) or not region:
            raise ValueError("region is required")
        changes = {k: v for k, v in spec.items() if k != "region"}
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise ValueError(
                f"unknown settings {sorted(unknown)}; known: {sorted(SETTINGS)}"
            )
        delay = changes.get("lookup_delay_seconds", 0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError("lookup_delay_seconds must be a number >= 0")
        rate = changes.get("lookups_per_second")
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, int) or rate < 1
        ):
            raise ValueError("lookups_per_second must be a positive integer or null")
        if not isinstance(changes.get("record_reads", False), bool):
            raise ValueError("record_reads must be true or false")
        with self._lock:
            self._settings.setdefault(region, {}).update(changes)
            return {**SETTINGS, **self._settings[region]}

    def set_identity(self, spec):
        key = spec.get("accessKeyId")
        if not isinstance(key, str) or not key:
            raise ValueError("accessKeyId is required")
        identity = Identity.parse(spec, key)
        region = spec.get("region")
        if region is not None and (not isinstance(region, str) or not region):
            raise ValueError("region must be a Region name")
        with self._lock:
            self._identities[(region, spec["accessKeyId"])] = identity

    def identity(self, region, access_key):
        """Who owns the key: the region's mapping, the global one, or an IAM user
        named after the key."""
        with self._lock:
            found = self._identities.get((region, access_key)) or self._identities.get(
                (None, access_key)
            )
        return found or Identity("IAMUser", access_key)

    def admit_lookup(self, region, now):
        """False when the Region's lookups_per_second is used up for this second."""
        rate = self.settings(region)["lookups_per_second"]
        if rate is None:
            return True
        with self._lock:
            recent = self._lookups.setdefault(region, collections.deque())
            while recent and recent[0] <= now - 1:
                recent.popleft()
            if len(recent) >= rate:
                return False
            recent.append(now)
            return True


class LookupFailure(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def _epoch_member(request, name):
    value = request.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LookupFailure("SerializationException", f"{name} must be epoch seconds")
    return value


def _lookup_attribute(request):
    attributes = request.get("LookupAttributes") or []
    if not isinstance(attributes, list):
        raise LookupFailure("SerializationException", "LookupAttributes must be a list")
    if len(attributes) > 1:
        raise LookupFailure(
            "InvalidLookupAttributesException",
            "You cannot specify more than one lookup attribute.",
        )
    if not attributes:
        return None
    attribute = attributes[0] if isinstance(attributes[0], dict) else {}
    key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
    if key not in LOOKUP_KEYS:
        raise LookupFailure(
            "InvalidLookupAttributesException",
            f"The AttributeKey {key!r} is not valid. Valid keys: "
            + ", ".join(sorted(LOOKUP_KEYS)),
        )
    if not isinstance(value, str) or not 1 <= len(value) <= 2000:
        raise LookupFailure(
            "InvalidLookupAttributesException",
            "The AttributeValue must be 1 to 2000 characters long.",
        )
    return key, value


def _matches(answer, attribute):
    if attribute is None:
        return True
    key, value = attribute
    if key in ("ResourceName", "ResourceType"):
        return any(r.get(key) == value for r in answer["Resources"])
    return answer.get(key) == value


def _next_token(digest, event):
    raw = json.dumps([digest, event.time, event.seq]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _cursor(token, digest):
    """Where the page a NextToken asks for begins: (time, seq) of the last event
    already returned. A token of another query (or none at all) is refused."""
    try:
        kind, when, seq = json.loads(base64.urlsafe_b64decode(token.encode()))
        if kind == digest and isinstance(when, int) and isinstance(seq, int):
            return when, seq
    except (ValueError, TypeError, AttributeError):
        pass
    raise LookupFailure(
        "InvalidNextTokenException",
        "The NextToken is not valid, or was issued for a request with other parameters.",
    )


def _lookup(trail, region, request, now):
    """Answer a LookupEvents request, or raise LookupFailure."""
    if not isinstance(request, dict):
        raise LookupFailure("SerializationException", "The request must be a JSON object")
    attribute = _lookup_attribute(request)
    start = _epoch_member(request, "StartTime")
    end = _epoch_member(request, "EndTime")
    if start is not None and end is not None and start > end:
        raise LookupFailure(
            "InvalidTimeRangeException", "The StartTime must be before the EndTime."
        )
    category = request.get("EventCategory")
    if category not in (None, "insight"):
        raise LookupFailure(
            "InvalidEventCategoryException", "The EventCategory must be insight."
        )
    limit = request.get("MaxResults", PAGE_MAX)
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= PAGE_MAX
    ):
        raise LookupFailure(
            "InvalidMaxResultsException", f"MaxResults must be from 1 to {PAGE_MAX}."
        )
    query = [region, attribute, start, end, category]
    digest = hashlib.sha256(json.dumps(query).encode()).hexdigest()[:16]
    token = request.get("NextToken")
    cursor = _cursor(token, digest) if token is not None else None
    newest = now - trail.settings(region)["lookup_delay_seconds"]
    oldest = now - RETENTION_SECONDS
    found = []
    if category is None:  # there are no Insights events here
        for event in trail.events(region):
            if cursor is not None and (event.time, event.seq) >= cursor:
                continue
            if not oldest <= event.time <= newest:
                continue
            if start is not None and event.time < start:
                continue
            if end is not None and event.time > end:
                continue
            if _matches(event.answer, attribute):
                found.append(event)
                if len(found) > limit:
                    break
    answer = {"Events": [e.answer for e in found[:limit]]}
    if len(found) > limit:
        answer["NextToken"] = _next_token(digest, found[limit - 1])
    return answer


def _access_key(environ):
    match = ACCESS_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "anonymous"


def _header(headers, name):
    return next((v for k, v in headers if k.lower() == name), None)


def _request_id(headers, body):
    """The request id moto answered with: (id, headers that carry it). AWS JSON
    services send x-amzn-RequestId; a few send x-amz-request-id or a body member."""
    found = _header(headers, "x-amzn-requestid") or _header(headers, "x-amz-request-id")
    if not found:
        try:
            document = json.loads(body)
            found = document.get("RequestId") or document.get("requestId")
        except (ValueError, AttributeError):
            pass
    if found:
        return str(found), headers
    found = str(uuid.uuid4())
    return found, headers + [("x-amzn-RequestId", found)]


def _error_of(status, body):
    """(errorCode, errorMessage) of a JSON error answer, (None, None) for success."""
    if status.startswith("2"):
        return None, None
    try:
        document = json.loads(body)
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    code = str(document.get("__type") or status.split(" ", 1)[0]).rpartition("#")[2]
    return code, document.get("message") or document.get("Message")


def _injected_event(spec, trail, now):
    """A LookupEvents Event for a call "someone else" made (POST /_firekeeper/events)."""
    if not isinstance(spec, dict):
        raise ValueError("each event must be a JSON object")
    unknown = set(spec) - EVENT_FIELDS
    if unknown:
        raise ValueError(
            f"unknown event fields {sorted(unknown)}; known: {sorted(EVENT_FIELDS)}"
        )
    region, name = spec.get("region"), spec.get("eventName")
    if not isinstance(region, str) or not region:
        raise ValueError("region is required")
    if not isinstance(name, str) or not name:
        raise ValueError("eventName is required")
    stream, key_id = spec.get("resourceName"), spec.get("keyId")
    default_source = EVENT_SOURCES["kms" if key_id is not None else "firehose"]
    source = spec.get("eventSource", default_source)
    if source not in EVENT_SOURCES.values():
        raise ValueError(f"eventSource must be one of {sorted(EVENT_SOURCES.values())}")
    at = spec.get("at", 0)
    if isinstance(at, str):
        parsed = datetime.datetime.fromisoformat(at.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        when = int(parsed.timestamp())
    elif isinstance(at, (int, float)) and not isinstance(at, bool) and at >= 0:
        when = int(now - at)
    else:
        raise ValueError("at must be an ISO 8601 time or a number of seconds ago")
    access_key = spec.get("accessKeyId") or "AKIA" + uuid.uuid4().hex[:16].upper()
    identity = trail.identity(region, access_key)
    if spec.get("identity") is not None:
        if spec.get("user") is not None:
            raise ValueError("give user or identity, not both")
        given = spec["identity"]
        if not isinstance(given, dict) or {"accessKeyId", "region"} & set(given):
            raise ValueError(
                "identity must be an object of /_firekeeper/identities fields "
                "without accessKeyId and region (the event's own are used)"
            )
        identity = Identity.parse(given, access_key)
    elif spec.get("user") is not None:
        identity = Identity("IAMUser", str(spec["user"]))
    elif "accessKeyId" not in spec:
        identity = Identity("IAMUser", OTHER_USER)
    if source == EVENT_SOURCES["firehose"]:
        parameters = {"deliveryStreamName": stream} if stream else {}
        if name == "StartDeliveryStreamEncryption":
            key_arn = spec.get("keyArn")
            key_type = spec.get("keyType") or (
                "CUSTOMER_MANAGED_CMK" if key_arn else "AWS_OWNED_CMK"
            )
            encryption = {"keyType": key_type}
            if key_arn:
                encryption["keyARN"] = key_arn
            parameters["deliveryStreamEncryptionConfigurationInput"] = encryption
        resources = _resources(source, region, stream=stream)
    else:
        parameters = {"keyId": key_id} if key_id else {}
        resources = _resources(source, region, keys=[key_id] if key_id else [])
        if stream and not resources:
            resources = [{"ResourceType": KEY_TYPE, "ResourceName": stream}]
    if spec.get("requestParameters") is not None:
        parameters = spec["requestParameters"]
    details = {
        "requestParameters": parameters or None,
        "resources": resources,
        "requestID": str(uuid.uuid4()),
        "errorCode": spec.get("errorCode"),
        "errorMessage": spec.get("errorMessage"),
    }
    origin = Origin(identity, access_key, OTHER_IP, OTHER_AGENT)
    return region, _make_event(region, source, name, origin, when, details)


class TrailLayer:
    """Between the fault injector and moto: answers CloudTrail LookupEvents from the
    history, and records the Firehose and KMS calls that reach moto."""

    def __init__(self, app, trail):
        self.app = app
        self.trail = trail

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        call = _identify(environ)
        canned = environ.pop(CANNED_ANSWER, None)
        recorded = (
            call.region is not None
            and call.protocol == "json"
            and call.service in EVENT_SOURCES
            and self._recorded(call)
        )
        if recorded:
            return self._record(environ, start_response, call, canned)
        if canned is not None:
            return _respond(start_response, *canned)
        if call.region is None or call.protocol != "json":
            return self.app(environ, start_response)
        if call.service == "cloudtrail" and call.operation == "LookupEvents":
            return self._lookup_events(environ, start_response, call)
        return self.app(environ, start_response)

    def _recorded(self, call):
        if call.operation in DATA_EVENTS:
            return False
        return (
            not _read_only(call.operation)
            or self.trail.settings(call.region)["record_reads"]
        )

    def _lookup_events(self, environ, start_response, call):
        raw = _buffer_body(environ)
        now = time.time()
        try:
            if not self.trail.admit_lookup(call.region, now):
                raise LookupFailure("ThrottlingException", "Rate exceeded")
            try:
                request = json.loads(raw) if raw.strip() else {}
            except ValueError as error:
                raise LookupFailure("SerializationException", str(error)) from None
            answer = _lookup(self.trail, call.region, request, now)
        except LookupFailure as failure:
            headers, body = _error_answer(
                environ, call, 400, failure.error_type, failure.message
            )
            return _respond(start_response, _status_line(400), headers, body)
        body = json.dumps(answer).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]
        return _respond(start_response, _status_line(200), headers, body)

    def _record(self, environ, start_response, call, canned=None):
        raw = _buffer_body(environ)
        try:
            request = json.loads(raw) if raw.strip() else {}
        except ValueError:
            request = {}
        if not isinstance(request, dict):
            request = {}
        when = int(time.time())
        source = EVENT_SOURCES[call.service]
        # Keys are named before the call: DeleteAlias and ScheduleKeyDeletion
        # must still find the key the alias pointed to.
        resources = _resources(
            source,
            call.region,
            stream=request.get("DeliveryStreamName"),
            keys=[
                request.get(k)
                for k in ("KeyId", "AliasName", "TargetKeyId")
                if request.get(k)
            ],
        )
        if canned is None:
            status, headers, body = _call_buffered(self.app, environ)
        else:
            status, headers, body = canned
        request_id, headers = _request_id(headers, body)
        error_code, error_message = _error_of(status, body)
        if call.operation == "CreateKey" and error_code is None:
            try:
                arn = json.loads(body)["KeyMetadata"]["Arn"]
                resources = [{"ResourceType": KEY_TYPE, "ResourceName": arn}]
            except (ValueError, KeyError, TypeError):
                pass
        access_key = _access_key(environ)
        origin = Origin(
            self.trail.identity(call.region, access_key),
            access_key,
            environ.get("REMOTE_ADDR", "127.0.0.1"),
            environ.get("HTTP_USER_AGENT", ""),
        )
        details = {
            "requestParameters": _lower_camel(request) or None,
            "resources": resources,
            "requestID": request_id,
            "errorCode": error_code,
            "errorMessage": error_message,
        }
        self.trail.add(
            call.region,
            _make_event(call.region, source, call.operation, origin, when, details),
        )
        return _respond(start_response, status, headers, body)

    def _control(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if path == CONTROL_EVENTS and method == "POST":
                spec = json.loads(_buffer_body(environ) or b"null")
                specs = spec if isinstance(spec, list) else [spec]
                made = [_injected_event(s, self.trail, time.time()) for s in specs]
                for region, answer in made:
                    self.trail.add(region, answer)
                ids = [answer["EventId"] for _, answer in made]
                return _respond_json(start_response, 200, {"ok": True, "eventIds": ids})
            if path == CONTROL_EVENTS and method == "DELETE":
                self.trail.clear(query.get("region"))
                return _respond_json(start_response, 200, {"ok": True})
            if path == CONTROL_IDENTITIES and method == "POST":
                spec = json.loads(_buffer_body(environ) or b"null")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                self.trail.set_identity(spec)
                return _respond_json(start_response, 200, {"ok": True})
            if path == CONTROL_TRAIL and method == "POST":
                spec = json.loads(_buffer_body(environ) or b"null")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                settings = self.trail.configure(spec)
                return _respond_json(
                    start_response, 200, {"ok": True, "settings": settings}
                )
        except (ValueError, TypeError) as error:
            return _respond_json(start_response, 400, {"ok": False, "error": str(error)})
        return _respond_json(
            start_response, 404, {"ok": False, "error": "no such control"}
        )


class RotationPeriods:
    """moto keeps only whether a KMS key rotates automatically. AWS also keeps the
    period (EnableKeyRotation's RotationPeriodInDays, 90 to 2560 days, default 365;
    a ValidationException outside that) and reports it in GetKeyRotationStatus with
    NextRotationDate (the period after rotation was enabled). This layer keeps the
    period per Region and key, and adds both to moto's answer."""

    def __init__(self, app):
        self.app = app
        self._lock = threading.Lock()
        self._periods = {}  # (region, key ARN) -> (days, when enabled in epoch seconds)

    def __call__(self, environ, start_response):
        call = _identify(environ)
        operations = ("EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus")
        if call.service != "kms" or call.protocol != "json" or call.operation not in operations:
            return self.app(environ, start_response)
        raw = _buffer_body(environ)
        try:
            request = json.loads(raw) if raw.strip() else {}
        except ValueError:
            request = {}
        key = (call.region, _key_arn(call.region, request.get("KeyId")))
        days = request.get("RotationPeriodInDays", 365)
        if call.operation == "EnableKeyRotation" and not (
            isinstance(days, int) and 90 <= days <= 2560
        ):
            headers, body = _error_answer(
                environ,
                call,
                400,
                "ValidationException",
                f"1 validation error detected: Value '{days}' at 'rotationPeriodInDays' "
                "failed to satisfy constraint: Member must have value between 90 and 2560",
            )
            return _respond(start_response, _status_line(400), headers, body)
        status, headers, body = _call_buffered(self.app, environ)
        if not status.startswith("2"):
            return _respond(start_response, status, headers, body)
        with self._lock:
            if call.operation == "EnableKeyRotation":
                self._periods[key] = (days, time.time())
            elif call.operation == "DisableKeyRotation":
                self._periods.pop(key, None)
            else:
                answer = json.loads(body)
                if answer.get("KeyRotationEnabled"):
                    days, since = self._periods.get(key, (365, time.time()))
                    answer["RotationPeriodInDays"] = days
                    answer["NextRotationDate"] = since + days * 86400
                answer.setdefault("KeyId", key[1])
                body = json.dumps(answer).encode()
                headers = _with_length(headers, body)
        return _respond(start_response, status, headers, body)


class GrantDryRuns:
    """KMS CreateGrant with DryRun, which moto does not honour (it would create the
    grant). What AWS does (KMS developer guide, "Testing your permissions"): a call
    with DryRun always fails; DryRunOperationException (HTTP 412) means it would have
    succeeded, AccessDeniedException (HTTP 400) that the caller may not perform it,
    ValidationException that a parameter is wrong. "The output of any operations that
    specify the DryRun parameter appear in your CloudTrail log": the answer goes down
    to the trail layer, which records it with its errorCode. A key is allowed unless
    a test denies it (POST /_firekeeper/grants); the denial names the caller and the
    key as KMS's message does. A CreateGrant without DryRun goes to moto as before."""

    def __init__(self, app, trail):
        self.app = app
        self.trail = trail
        self._lock = threading.Lock()
        self._denied = set()  # (region, key ARN)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_GRANTS:
            return self._control(environ, start_response)
        call = _identify(environ)
        if call.service != "kms" or call.protocol != "json" or call.operation != "CreateGrant":
            return self.app(environ, start_response)
        raw = _buffer_body(environ)
        try:
            request = json.loads(raw) if raw.strip() else {}
        except ValueError:
            request = {}
        if not isinstance(request, dict) or request.get("DryRun") is not True:
            return self.app(environ, start_response)
        arn = _key_arn(call.region, request.get("KeyId"))
        with self._lock:
            denied = (call.region, arn) in self._denied
        if arn is None:
            status, kind = 400, "NotFoundException"
            message = f"Key '{request.get('KeyId')}' does not exist"
        elif denied:
            who = self.trail.identity(call.region, _access_key(environ))
            principal = who.user_identity(_access_key(environ), time.time())["arn"]
            status, kind = 400, "AccessDeniedException"
            message = (
                f"User: {principal} is not authorized to perform: kms:CreateGrant on "
                f"resource: {arn} because no resource-based policy allows the "
                "kms:CreateGrant action"
            )
        else:
            status, kind = 412, "DryRunOperationException"
            message = "The request would have succeeded, but the DryRun option is set."
        headers, body = _error_answer(environ, call, status, kind, message)
        environ[CANNED_ANSWER] = (_status_line(status), headers, body)
        return self.app(environ, start_response)

    def _control(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if method == "POST":
                spec = json.loads(_buffer_body(environ) or b"null")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                unknown = set(spec) - {"region", "keyId", "denied"}
                if unknown:
                    raise ValueError(f"unknown fields {sorted(unknown)}")
                region, key = spec.get("region"), spec.get("keyId")
                if not isinstance(region, str) or not region:
                    raise ValueError("region is required")
                arn = _key_arn(region, key)
                if arn is None:
                    raise ValueError(f"no key {key!r} in {region}")
                with self._lock:
                    if spec.get("denied", True):
                        self._denied.add((region, arn))
                    else:
                        self._denied.discard((region, arn))
                return _respond_json(start_response, 200, {"ok": True, "keyArn": arn})
            if method == "DELETE":
                region = query.get("region")
                with self._lock:
                    self._denied = {d for d in self._denied if region not in (None, d[0])}
                return _respond_json(start_response, 200, {"ok": True})
        except (ValueError, TypeError) as error:
            return _respond_json(start_response, 400, {"ok": False, "error": str(error)})
        return _respond_json(start_response, 404, {"ok": False, "error": "no such control"})


def _test_certificates(folder):
    """A certificate authority of the test run's own and a certificate for
    127.0.0.1 signed by it, as PEM files in `folder`: (ca, cert, key). AWS's
    endpoints present certificates that chain to public roots; firekeeper
    trusts the platform's roots (SSL_CERT_FILE points it at this CA), so the
    HTTPS path is tested as it runs against AWS, verification included."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)
    later = now + datetime.timedelta(days=2)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("firekeeper test CA"))
        .issuer_name(name("firekeeper test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(folder, f) for f in ("ca.pem", "cert.pem", "key.pem")]
    pem = serialization.Encoding.PEM
    for path, data in zip(
        paths,
        [
            ca.public_bytes(pem),
            cert.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        ],
    ):
        with open(path, "wb") as f:
            f.write(data)
    return paths


def main():
    port = int(sys.argv[1])
    moto = RotationPeriods(CborAdapter(DomainDispatcherApplication(create_backend_app)))
    trail = Trail()
    config = ConfigLayer(GrantDryRuns(TrailLayer(moto, trail), trail), ACCOUNT_ID)
    app = FaultInjector(config, FaultTable())
    if len(sys.argv) > 3:
        # The same server over HTTPS on a second port: firekeeper's one TLS
        # stack (rustls, hyper 1) is the one that talks to AWS.
        tls_port, folder = int(sys.argv[2]), sys.argv[3]
        _, cert, key = _test_certificates(folder)
        threading.Thread(
            target=run_simple,
            args=("127.0.0.1", tls_port, app),
            kwargs=dict(
                threaded=True, use_reloader=False, use_debugger=False, ssl_context=(cert, key)
            ),
            daemon=True,
        ).start()
    # threaded: a request held by a fault must never hold up the others.
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
