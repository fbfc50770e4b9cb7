"""AWS Config for firekeeper's tests: moto's AWS Config backend does not record
Firehose streams, so this layer answers the calls firekeeper makes, for resource
type AWS::KinesisFirehose::DeliveryStream, from moto's own Firehose state (the
streams moto has in that account and region, and their encryption), in the
shapes of the AWS Config API reference (JSON 1.1, X-Amz-Target
StarlingDoveService.OPERATION, signed for service "config"):

  DescribeConfigurationRecorders, DescribeConfigurationRecorderStatus
      A region has no recorder until a test sets one (POST /_firekeeper/config):
      "none" (no recorder: ConfigurationRecorders is empty), "on" (allSupported,
      recording), "stopped" (allSupported, not recording), "excluded"
      (EXCLUSION_BY_RESOURCE_TYPES naming the Firehose type, recording), or
      "daily" (on, recordingFrequency DAILY).
  ListDiscoveredResources
      resourceType, limit (1 to 100, default 100; more is a
      ValidationException, as AWS says), nextToken (opaque to the caller: here
      the last name of the page before). resourceId is the stream's name, the
      type's primary identifier. Only while a recorder records the type: AWS
      Config lists what it has recorded.
  BatchGetResourceConfig
      resourceKeys, at most 100 (a ValidationException past that); each known
      one comes back as a BaseConfigurationItem, unknown ones are left out, and
      unprocessedResourceKeys is empty. The item's `configuration` is a JSON
      string in CloudFormation's property names (DeliveryStreamName,
      DeliveryStreamType, Arn, DeliveryStreamEncryptionConfigurationInput with
      KeyType and KeyARN while encryption is ENABLED, ENABLING or
      ENABLING_FAILED), as awslabs/aws-config-resource-schema lists for the
      type; no status is recorded. configurationItemCaptureTime is the
      stream's last update in moto, or a test's (captureTime).
  DescribeConfigurationAggregators, ListAggregateDiscoveredResources,
  BatchGetAggregateResourceConfig
      An aggregator a test makes (POST /_firekeeper/config/aggregators) in the
      region it lives in, over (account, region) pairs; its resources are those
      of each pair's moto Firehose state, whatever that pair's recorder (the
      source accounts record, as an aggregator needs). Limit 1 to 100; at most
      100 ResourceIdentifiers a batch. A name that is not an aggregator there is
      NoSuchConfigurationAggregatorException.

Control (unsigned, on the launcher's port):
  POST   /_firekeeper/config      {"region": R, "accountId": A (default moto's),
                                  "recorder": "none"|"on"|"stopped"|"excluded"|"daily",
                                  "captureTime": seconds since the epoch (optional:
                                  every record's)}: account A's recorder in R.
  POST   /_firekeeper/config/aggregators {"region": R, "accountId": A (default
                                  moto's), "name": N, "sources": [{"accountId": A2,
                                  "region": R2}, ...]}: an aggregator of account A in R.
  POST   /_firekeeper/accounts    {"accessKeyId": K, "accountId": A}: calls signed
                                  with K act in account A (moto's x-moto-account-id),
                                  Firehose and STS included: a second account.
  DELETE /_firekeeper/config?region=R   forget R's recorder and aggregators.
Faults apply to these calls as to any (service "config").
"""

import datetime
import io
import json
import re
import threading
import time
import uuid
from urllib.parse import parse_qs

FIREHOSE_TYPE = "AWS::KinesisFirehose::DeliveryStream"
PER_CALL = 100
CONTROL = "/_firekeeper/config"
CONTROL_AGGREGATORS = "/_firekeeper/config/aggregators"
CONTROL_ACCOUNTS = "/_firekeeper/accounts"
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
RECORDERS = ("none", "on", "stopped", "excluded", "daily")


class ConfigFailure(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def _respond(start_response, status, document, headers=()):
    body = json.dumps(document).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "OK")
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
    )
    return [body]


def _body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    # Put it back for whoever reads after us.
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    return raw


def _limit(value, name):
    if value is None:
        return PER_CALL
    if not isinstance(value, int) or value < 0 or value > PER_CALL:
        raise ConfigFailure(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
            f"constraint: Member must have value less than or equal to {PER_CALL}",
        )
    return value or PER_CALL


def _page(names, token, limit):
    after = [n for n in names if token is None or n > token]
    page = after[:limit]
    nxt = page[-1] if len(after) > limit else None
    return page, nxt


class ConfigLayer:
    """Answers AWS Config's calls for Firehose streams; passes every other call
    on, in the account a test mapped its access key to."""

    def __init__(self, app, account_id):
        self.app = app
        self.default_account = account_id
        self._lock = threading.Lock()
        # Keyed by account and region: a test's recorder never reaches
        # another test that shares the region in moto's default account.
        self._recorders = {}  # (account, region) -> (mode, capture time or None)
        self._aggregators = {}  # (account, region, name) -> [(account, region)]
        self._accounts = {}  # access key -> account

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in (CONTROL, CONTROL_AGGREGATORS, CONTROL_ACCOUNTS):
            return self._control(environ, start_response, path)
        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match:
            return self.app(environ, start_response)
        key, region, service = match.groups()
        with self._lock:
            account = self._accounts.get(key)
        if account:
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
        if service != "config":
            return self.app(environ, start_response)
        operation = (environ.get("HTTP_X_AMZ_TARGET") or "").rpartition(".")[2]
        try:
            raw = _body(environ)
            request = json.loads(raw) if raw.strip() else {}
            answer = self._answer(operation, request, region, account or self.default_account)
        except ConfigFailure as failure:
            document = {"__type": failure.error_type, "message": failure.message}
            return _respond(start_response, 400, document, [("x-amzn-RequestId", str(uuid.uuid4()))])
        except ValueError as error:
            document = {"__type": "SerializationException", "message": str(error)}
            return _respond(start_response, 400, document)
        return _respond(start_response, 200, answer, [("x-amzn-RequestId", str(uuid.uuid4()))])

    # The calls --------------------------------------------------------------

    def _answer(self, operation, request, region, account):
        calls = {
            "DescribeConfigurationRecorders": lambda: self._recorders_of(account, region),
            "DescribeConfigurationRecorderStatus": lambda: self._status_of(account, region),
            "ListDiscoveredResources": lambda: self._list(request, region, account),
            "BatchGetResourceConfig": lambda: self._batch(request, region, account),
            "DescribeConfigurationAggregators": lambda: self._aggregators_of(request, region, account),
            "ListAggregateDiscoveredResources": lambda: self._list_aggregate(
                request, region, account
            ),
            "BatchGetAggregateResourceConfig": lambda: self._batch_aggregate(
                request, region, account
            ),
        }
        if operation not in calls:
            raise ConfigFailure(
                "UnknownOperationException", f"{operation} is not answered by the test launcher"
            )
        return calls[operation]()

    def _mode(self, account, region):
        with self._lock:
            return self._recorders.get((account, region), ("none", None))

    def _recorders_of(self, account, region):
        mode, _ = self._mode(account, region)
        if mode == "none":
            return {"ConfigurationRecorders": []}
        group = {
            "allSupported": mode != "excluded",
            "includeGlobalResourceTypes": False,
            "resourceTypes": [],
            "exclusionByResourceTypes": {
                "resourceTypes": [FIREHOSE_TYPE] if mode == "excluded" else []
            },
            "recordingStrategy": {
                "useOnly": "EXCLUSION_BY_RESOURCE_TYPES"
                if mode == "excluded"
                else "ALL_SUPPORTED_RESOURCE_TYPES"
            },
        }
        frequency = "DAILY" if mode == "daily" else "CONTINUOUS"
        return {
            "ConfigurationRecorders": [
                {
                    "name": "default",
                    "roleARN": "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                    "recordingGroup": group,
                    "recordingMode": {"recordingFrequency": frequency, "recordingModeOverrides": []},
                }
            ]
        }

    def _status_of(self, account, region):
        mode, _ = self._mode(account, region)
        if mode == "none":
            return {"ConfigurationRecordersStatus": []}
        return {
            "ConfigurationRecordersStatus": [
                {
                    "name": "default",
                    "recording": mode != "stopped",
                    "lastStatus": "SUCCESS",
                    "lastStartTime": time.time() - 86400,
                    "lastStatusChangeTime": time.time() - 60,
                }
            ]
        }

    def _records_type(self, account, region):
        mode, _ = self._mode(account, region)
        return mode in ("on", "stopped", "daily")

    def _list(self, request, region, account):
        if request.get("resourceType") != FIREHOSE_TYPE:
            return {"resourceIdentifiers": []}
        limit = _limit(request.get("limit"), "limit")
        names = sorted(_streams(account, region)) if self._records_type(account, region) else []
        page, nxt = _page(names, request.get("nextToken"), limit)
        out = {
            "resourceIdentifiers": [
                {"resourceType": FIREHOSE_TYPE, "resourceId": n, "resourceName": n} for n in page
            ]
        }
        if nxt:
            out["nextToken"] = nxt
        return out

    def _batch(self, request, region, account):
        keys = request.get("resourceKeys") or []
        if not 1 <= len(keys) <= PER_CALL:
            raise ConfigFailure(
                "ValidationException",
                f"1 validation error detected: Value at 'resourceKeys' failed to satisfy "
                f"constraint: Member must have length between 1 and {PER_CALL}",
            )
        items = []
        if self._records_type(account, region):
            streams = _streams(account, region)
            _, captured = self._mode(account, region)
            for key in keys:
                stream = streams.get(key.get("resourceId"))
                if key.get("resourceType") == FIREHOSE_TYPE and stream is not None:
                    items.append(_item(stream, account, region, captured))
        return {"baseConfigurationItems": items, "unprocessedResourceKeys": []}

    def _aggregator(self, account, region, name):
        with self._lock:
            sources = self._aggregators.get((account, region, name))
        if sources is None:
            raise ConfigFailure(
                "NoSuchConfigurationAggregatorException",
                f"The configuration aggregator '{name}' does not exist.",
            )
        return sources

    def _aggregators_of(self, request, region, account):
        names = request.get("ConfigurationAggregatorNames") or []
        out = []
        for name in names:
            sources = self._aggregator(account, region, name)
            out.append(
                {
                    "ConfigurationAggregatorName": name,
                    "ConfigurationAggregatorArn": f"arn:aws:config:{region}:{account}:config-aggregator/config-aggregator-{name}",
                    "AccountAggregationSources": [
                        {
                            "AccountIds": sorted({a for a, _ in sources}),
                            "AllAwsRegions": False,
                            "AwsRegions": sorted({r for _, r in sources}),
                        }
                    ],
                    "CreationTime": time.time() - 86400,
                    "LastUpdatedTime": time.time() - 86400,
                }
            )
        return {"ConfigurationAggregators": out}

    def _aggregate_names(self, sources):
        """Every (account, region, name) the aggregator holds, in one order."""
        out = []
        for account, src_region in sources:
            out.extend((account, src_region, n) for n in _streams(account, src_region))
        return sorted(out)

    def _list_aggregate(self, request, region, account):
        name = request.get("ConfigurationAggregatorName")
        sources = self._aggregator(account, region, name)
        if request.get("ResourceType") != FIREHOSE_TYPE:
            return {"ResourceIdentifiers": []}
        limit = _limit(request.get("Limit"), "limit")
        every = ["\t".join(t) for t in self._aggregate_names(sources)]
        page, nxt = _page(every, request.get("NextToken"), limit)
        out = {
            "ResourceIdentifiers": [
                {
                    "SourceAccountId": a,
                    "SourceRegion": r,
                    "ResourceId": n,
                    "ResourceType": FIREHOSE_TYPE,
                    "ResourceName": n,
                }
                for a, r, n in (p.split("\t") for p in page)
            ]
        }
        if nxt:
            out["NextToken"] = nxt
        return out

    def _batch_aggregate(self, request, region, account):
        name = request.get("ConfigurationAggregatorName")
        sources = self._aggregator(account, region, name)
        ids = request.get("ResourceIdentifiers") or []
        if not 1 <= len(ids) <= PER_CALL:
            raise ConfigFailure(
                "ValidationException",
                f"1 validation error detected: Value at 'resourceIdentifiers' failed to "
                f"satisfy constraint: Member must have length between 1 and {PER_CALL}",
            )
        items = []
        for i in ids:
            place = (i.get("SourceAccountId"), i.get("SourceRegion"))
            if place not in sources or i.get("ResourceType") != FIREHOSE_TYPE:
                continue
            stream = _streams(*place).get(i.get("ResourceId"))
            if stream is not None:
                _, captured = self._mode(*place)
                items.append(_item(stream, place[0], place[1], captured))
        return {"BaseConfigurationItems": items, "UnprocessedResourceIdentifiers": []}

    # Control ----------------------------------------------------------------

    def _control(self, environ, start_response, path):
        method = environ.get("REQUEST_METHOD", "GET")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if method == "DELETE" and path == CONTROL:
                region = query.get("region")
                with self._lock:
                    self._recorders = {
                        k: m for k, m in self._recorders.items() if region not in (None, k[1])
                    }
                    self._aggregators = {
                        k: v for k, v in self._aggregators.items() if region not in (None, k[1])
                    }
                return _respond(start_response, 200, {"ok": True})
            if method != "POST":
                raise ValueError("POST or DELETE")
            spec = json.loads(_body(environ) or b"null")
            if not isinstance(spec, dict):
                raise ValueError("the body must be a JSON object")
            if path == CONTROL_ACCOUNTS:
                key, account = spec.get("accessKeyId"), spec.get("accountId")
                if not isinstance(key, str) or not re.fullmatch(r"\d{12}", str(account)):
                    raise ValueError("accessKeyId and a 12-digit accountId are required")
                with self._lock:
                    self._accounts[key] = account
                return _respond(start_response, 200, {"ok": True})
            region = spec.get("region")
            if not isinstance(region, str) or not region:
                raise ValueError("region is required")
            account = spec.get("accountId", self.default_account)
            if path == CONTROL_AGGREGATORS:
                name, sources = spec.get("name"), spec.get("sources")
                if not isinstance(name, str) or not isinstance(sources, list):
                    raise ValueError("name and sources are required")
                pairs = [(s["accountId"], s["region"]) for s in sources]
                with self._lock:
                    self._aggregators[(account, region, name)] = pairs
                return _respond(start_response, 200, {"ok": True})
            mode = spec.get("recorder", "on")
            if mode not in RECORDERS:
                raise ValueError(f"recorder is one of {RECORDERS}")
            with self._lock:
                self._recorders[(account, region)] = (mode, spec.get("captureTime"))
            return _respond(start_response, 200, {"ok": True})
        except (ValueError, TypeError, KeyError) as error:
            return _respond(start_response, 400, {"ok": False, "error": str(error)})


def _streams(account, region):
    """moto's Firehose streams of an account and region, by name."""
    from moto.firehose.models import firehose_backends

    return dict(firehose_backends[account][region].delivery_streams)


def _epoch(value):
    if value is None:
        return time.time()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        # moto keeps naive UTC times.
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()


def _item(stream, account, region, captured):
    """A BaseConfigurationItem of a moto stream, as AWS Config records it."""
    configuration = {
        "DeliveryStreamName": stream.delivery_stream_name,
        "DeliveryStreamType": stream.delivery_stream_type,
        "Arn": stream.delivery_stream_arn,
    }
    enc = stream.delivery_stream_encryption_configuration or {}
    if enc.get("Status") in ("ENABLED", "ENABLING", "ENABLING_FAILED") and enc.get("KeyType"):
        recorded = {"KeyType": enc["KeyType"]}
        if enc.get("KeyARN"):
            recorded["KeyARN"] = enc["KeyARN"]
        configuration["DeliveryStreamEncryptionConfigurationInput"] = recorded
    when = captured if captured is not None else _epoch(
        getattr(stream, "last_update_timestamp", None) or getattr(stream, "create_timestamp", None)
    )
    return {
        "version": "1.3",
        "accountId": account,
        "configurationItemCaptureTime": when,
        "configurationItemStatus": "OK",
        "configurationStateId": str(int(when * 1000)),
        "arn": stream.delivery_stream_arn,
        "resourceType": FIREHOSE_TYPE,
        "resourceId": stream.delivery_stream_name,
        "resourceName": stream.delivery_stream_name,
        "awsRegion": region,
        "availabilityZone": "Regional",
        "resourceCreationTime": _epoch(getattr(stream, "create_timestamp", None)),
        "configuration": json.dumps(configuration),
        "supplementaryConfiguration": {},
        "recordingFrequency": "CONTINUOUS",
    }
