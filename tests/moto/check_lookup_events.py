"""Self-check of the launcher's CloudTrail stand-in (tests/moto/launch.py).

Usage: python check_lookup_events.py ENDPOINT [REGION]
  ENDPOINT  a running launcher, e.g. http://127.0.0.1:5000 (this script starts
            nothing: run `python tests/moto/launch.py PORT &` first)
  REGION    the region it works in (default eu-central-2); its faults, history
            and trail settings are cleared at the start and at the end, and the
            streams it made are deleted at the end.

Through boto3 it makes Firehose Starts/Stops with two access keys (an unmapped one,
an IAM user named after the key, and one mapped to an assumed role), a failed call,
an injected error and a lost answer, injects three events 20 h old, then pages
through lookup_events by EventName, ResourceName and the other attributes and checks
counts, order, pagination at 50, the CloudTrailEvent records, the error shapes, the
per-region settings and the faults on LookupEvents. Prints a summary; exit status 0
when every check passed.
"""

import datetime
import json
import math
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3
import botocore.config
import botocore.exceptions

ACCOUNT = "123456789012"
KEY_A = "AKIAFKCHECKALICE001"  # unmapped: an IAM user named after the key
KEY_B = "ASIAFKCHECKROLE0002"  # mapped: role firekeeper-operator, session bob
ROLE, SESSION = "firekeeper-operator", "bob"
STREAMS = 60
STOPS = 20
START, STOP = "StartDeliveryStreamEncryption", "StopDeliveryStreamEncryption"
NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)
    return ok


class Launcher:
    def __init__(self, endpoint, region):
        self.endpoint = endpoint.rstrip("/")
        self.region = region

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def ok(self, method, path, body=None):
        status, answer = self.control(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {answer}")
        return answer

    def reset(self):
        self.ok("DELETE", f"/_firekeeper/faults?region={self.region}")
        self.ok("DELETE", f"/_firekeeper/events?region={self.region}")

    def fault(self, **spec):
        self.ok("POST", "/_firekeeper/faults", {"region": self.region, **spec})

    def clear_faults(self):
        self.ok("DELETE", f"/_firekeeper/faults?region={self.region}")

    def trail(self, **settings):
        return self.ok("POST", "/_firekeeper/trail", {"region": self.region, **settings})

    def lookups(self):
        path = f"/_firekeeper/calls?region={self.region}&operation=LookupEvents"
        answer = self.ok("GET", path)
        return answer["received"], answer["forwarded"]

    def client(self, service, key, config=None, region=None):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id=key,
            aws_secret_access_key="dummy-secret",
            config=config,
        )


class Trail:
    """A CloudTrail client that keeps the last raw HTTP answer."""

    def __init__(self, launcher, key=KEY_A, config=None, region=None):
        self.client = launcher.client("cloudtrail", key, config, region)
        self.raw = None
        self.client.meta.events.register("after-call.cloudtrail.LookupEvents", self._keep)

    def _keep(self, http_response, **_):
        self.raw = http_response

    def pages(self, **request):
        """Every page of a lookup: [page, ...]."""
        pages = []
        while True:
            page = self.client.lookup_events(**request)
            pages.append(page)
            if "NextToken" not in page:
                return pages
            request["NextToken"] = page["NextToken"]

    def events(self, **request):
        return [e for page in self.pages(**request) for e in page["Events"]]

    def error(self, **request):
        """(code, status, raw body as JSON, raw headers) of a lookup that must fail."""
        try:
            self.client.lookup_events(**request)
        except botocore.exceptions.ClientError as error:
            body = json.loads(self.raw.content) if self.raw is not None else {}
            headers = {k.lower(): v for k, v in self.raw.headers.items()}
            return error.response["Error"]["Code"], self.raw.status_code, body, headers
        return None, 200, {}, {}


def by(key, value):
    return {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}


def newest_first(events):
    keys = [e["EventTime"] for e in events]
    return all(a >= b for a, b in zip(keys, keys[1:]))


def seed(launcher):
    """The calls to be found: returns what the checks compare against."""
    fh_a, fh_b = launcher.client("firehose", KEY_A), launcher.client("firehose", KEY_B)
    kms_a = launcher.client("kms", KEY_A)
    launcher.ok(
        "POST",
        "/_firekeeper/identities",
        {
            "accessKeyId": KEY_B,
            "type": "AssumedRole",
            "userName": ROLE,
            "sessionName": SESSION,
            "region": launcher.region,
        },
    )
    key = kms_a.create_key()["KeyMetadata"]
    s3 = {
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
        "BucketARN": "arn:aws:s3:::fk",
    }
    names = [f"fk-check-{i:03}" for i in range(STREAMS)]
    for name in names:
        fh_a.create_delivery_stream(
            DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3
        )
    start_ids = {}
    for i, name in enumerate(names):
        client = fh_a if i % 2 == 0 else fh_b
        answer = client.start_delivery_stream_encryption(
            DeliveryStreamName=name,
            DeliveryStreamEncryptionConfigurationInput={
                "KeyType": "CUSTOMER_MANAGED_CMK",
                "KeyARN": key["Arn"],
            },
        )
        start_ids[name] = answer["ResponseMetadata"]["RequestId"]
    stop_ids = {}
    for i, name in enumerate(names[:STOPS]):
        client = fh_b if i % 2 == 0 else fh_a
        answer = client.stop_delivery_stream_encryption(DeliveryStreamName=name)
        stop_ids[name] = answer["ResponseMetadata"]["RequestId"]
    # A call moto refuses: an event with errorCode.
    failed = None
    try:
        fh_a.stop_delivery_stream_encryption(DeliveryStreamName="fk-check-missing")
    except botocore.exceptions.ClientError as error:
        failed = error.response["ResponseMetadata"]["RequestId"]
    # An error the launcher answers in AWS's place: AWS records a call it refused,
    # so this is an event with errorCode and the request id the client got.
    launcher.fault(
        service="firehose",
        operation=START,
        fault="error",
        status=400,
        type="InvalidArgumentException",
        message="injected",
        times=1,
    )
    refused = None
    try:
        fh_a.start_delivery_stream_encryption(
            DeliveryStreamName=names[-1],
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
        )
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "InvalidArgumentException":
            refused = error.response["ResponseMetadata"]["RequestId"]
    check("injected error answered", refused is not None)
    # A lost answer: moto acted, so it is an event.
    launcher.fault(service="firehose", operation=STOP, fault="lose_answer", delay=1)
    began = time.monotonic()
    fh_a.stop_delivery_stream_encryption(DeliveryStreamName=names[-1])
    check("lost answer held", time.monotonic() - began >= 0.9)
    launcher.clear_faults()
    kms_a.disable_key(KeyId=key["KeyId"])
    kms_a.enable_key(KeyId=key["KeyId"])
    # Someone else, 20 hours ago; and once more 91 and 89 days ago.
    hours_20 = 20 * 3600
    launcher.ok(
        "POST",
        "/_firekeeper/events",
        [
            {
                "region": launcher.region,
                "eventName": START,
                "resourceName": names[0],
                "user": "carol",
                "at": hours_20 + 120,
                "keyArn": key["Arn"],
            },
            {
                "region": launcher.region,
                "eventName": STOP,
                "resourceName": names[0],
                "user": "carol",
                "at": hours_20 + 60,
            },
            {
                "region": launcher.region,
                "eventName": START,
                "resourceName": names[1],
                "user": "carol",
                "at": hours_20,
                "errorCode": "AccessDeniedException",
                "errorMessage": "User: carol is not authorized",
            },
            {
                "region": launcher.region,
                "eventName": "DeleteDeliveryStream",
                "resourceName": "fk-check-old",
                "at": 91 * 86400,
            },
            {
                "region": launcher.region,
                "eventName": "DeleteDeliveryStream",
                "resourceName": "fk-check-old",
                "at": (
                    datetime.datetime.now(datetime.timezone.utc)
                    - datetime.timedelta(days=89)
                ).isoformat(),
            },
        ],
    )
    return {
        "key": key,
        "names": names,
        "start_ids": start_ids,
        "stop_ids": stop_ids,
        "failed": failed,
        "refused": refused,
    }


def check_counts(launcher, trail, seen):
    names = seen["names"]
    # + injected by the control API, refused by an injected error; + lost, failed,
    # injected
    starts, stops = STREAMS + 3, STOPS + 1 + 1 + 1
    before = launcher.lookups()
    pages = trail.pages(**by("EventName", START))
    after = launcher.lookups()
    events = [e for p in pages for e in p["Events"]]
    check("EventName Start: count", len(events) == starts, f"{len(events)} != {starts}")
    check(
        "EventName Start: pages of 50",
        [len(p["Events"]) for p in pages] == [50, starts - 50],
        [len(p["Events"]) for p in pages],
    )
    check("EventName Start: no token on the last page", "NextToken" not in pages[-1])
    check("EventName Start: newest first", newest_first(events))
    check(
        "EventName Start: no duplicates",
        len({e["EventId"] for e in events}) == len(events),
    )
    check("EventName Start: all Starts", all(e["EventName"] == START for e in events))
    calls = after[0] - before[0]
    check(
        "calls counts LookupEvents",
        calls == len(pages) == math.ceil(starts / 50) and after[1] - before[1] == calls,
        f"{before} -> {after} for {len(pages)} pages",
    )
    refused = [e for e in events if json.loads(e["CloudTrailEvent"])["requestID"] == seen["refused"]]
    check(
        "injected error is an event with errorCode",
        len(refused) == 1
        and json.loads(refused[0]["CloudTrailEvent"]).get("errorCode")
        == "InvalidArgumentException",
        refused,
    )

    pages = trail.pages(MaxResults=7, **by("EventName", STOP))
    events = [e for p in pages for e in p["Events"]]
    check(
        "EventName Stop, MaxResults 7: count",
        len(events) == stops,
        f"{len(events)} != {stops}",
    )
    check(
        "EventName Stop, MaxResults 7: pages",
        [len(p["Events"]) for p in pages] == [7, 7, 7, 2],
        [len(p["Events"]) for p in pages],
    )
    failed = [e for e in events if json.loads(e["CloudTrailEvent"]).get("errorCode")]
    check(
        "failed call is an event with errorCode",
        len(failed) == 1
        and json.loads(failed[0]["CloudTrailEvent"])["errorCode"]
        == "ResourceNotFoundException"
        and json.loads(failed[0]["CloudTrailEvent"])["requestID"] == seen["failed"],
        [json.loads(e["CloudTrailEvent"]).get("errorCode") for e in failed],
    )
    check(
        "lost answer is an event",
        any(e["Resources"][0]["ResourceName"] == names[-1] for e in events),
    )

    events = trail.events(**by("ResourceName", names[0]))
    want = [STOP, START, "CreateDeliveryStream", STOP, START]
    check(
        "ResourceName: the stream's events, newest first",
        [e["EventName"] for e in events] == want,
        [e["EventName"] for e in events],
    )
    check(
        "ResourceName: users",
        [e["Username"] for e in events] == [SESSION, KEY_A, KEY_A, "carol", "carol"],
        [e["Username"] for e in events],
    )
    key_events = trail.events(**by("ResourceName", seen["key"]["Arn"]))
    check(
        "ResourceName key ARN: CreateKey, DisableKey, EnableKey",
        [e["EventName"] for e in key_events] == ["EnableKey", "DisableKey", "CreateKey"],
        [e["EventName"] for e in key_events],
    )

    expected = {
        ("EventSource", "kms.amazonaws.com"): 3,
        ("EventSource", "firehose.amazonaws.com"): STREAMS + starts + stops + 1,
        ("Username", SESSION): STREAMS // 2 + STOPS // 2,
        ("Username", "carol"): 3,
        ("AccessKeyId", KEY_A): 1 + STREAMS + STREAMS // 2 + STOPS // 2 + 2 + 3,
        ("AccessKeyId", KEY_B): STREAMS // 2 + STOPS // 2,
        ("ResourceType", "AWS::KMS::Key"): 3,
        ("ReadOnly", "true"): 0,
        ("EventName", "DeleteDeliveryStream"): 1,  # the 91-day-old one is past retention
    }
    for (key, value), count in expected.items():
        got = len(trail.events(**by(key, value)))
        check(f"{key} {value}: {count}", got == count, f"{got} != {count}")
    one = trail.events(**by("ResourceName", names[2]))[0]
    check(
        "EventId finds one event",
        [e["EventId"] for e in trail.events(**by("EventId", one["EventId"]))]
        == [one["EventId"]],
    )

    now = datetime.datetime.now(datetime.timezone.utc)
    window = trail.events(
        StartTime=now - datetime.timedelta(hours=21),
        EndTime=now - datetime.timedelta(hours=19),
    )
    check(
        "StartTime/EndTime: the 3 injected",
        len(window) == 3 and all(e["Username"] == "carol" for e in window),
        len(window),
    )
    older = trail.events(EndTime=now - datetime.timedelta(hours=1))
    check("EndTime alone", len(older) == 4, len(older))


def check_records(trail, seen):
    names, key = seen["names"], seen["key"]
    events = trail.events(**by("ResourceName", names[0]))
    stop_b, start_a, injected = events[0], events[1], events[4]
    common = {
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "requestParameters",
        "responseElements",
        "requestID",
        "eventID",
        "readOnly",
        "eventType",
        "managementEvent",
        "recipientAccountId",
    }
    for label, event in (
        ("Start by IAM user", start_a),
        ("Stop by role", stop_b),
        ("injected Start", injected),
    ):
        record = json.loads(event["CloudTrailEvent"])
        missing = common - set(record)
        check(f"{label}: record fields", not missing, sorted(missing))
        iso = (
            event["EventTime"]
            .astimezone(datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        check(
            f"{label}: Event and record agree",
            record["eventTime"] == iso
            and record["eventID"] == event["EventId"]
            and record["eventName"] == event["EventName"]
            and record["eventSource"] == event["EventSource"] == "firehose.amazonaws.com"
            and record["userIdentity"]["accessKeyId"] == event["AccessKeyId"]
            and record["readOnly"] is False
            and event["ReadOnly"] == "false"
            and record["eventType"] == "AwsApiCall"
            and record["managementEvent"] is True
            and record["recipientAccountId"] == ACCOUNT
            and record["awsRegion"] == trail.client.meta.region_name
            and record["responseElements"] is None
            and event["Resources"]
            == [
                {
                    "ResourceType": "AWS::KinesisFirehose::DeliveryStream",
                    "ResourceName": names[0],
                }
            ],
            record,
        )
    record = json.loads(start_a["CloudTrailEvent"])
    check(
        "Start: requestParameters",
        record["requestParameters"]
        == {
            "deliveryStreamName": names[0],
            "deliveryStreamEncryptionConfigurationInput": {
                "keyType": "CUSTOMER_MANAGED_CMK",
                "keyARN": key["Arn"],
            },
        },
        record["requestParameters"],
    )
    check(
        "Start: requestID is moto's", record["requestID"] == seen["start_ids"][names[0]]
    )
    check(
        "Start: IAM user identity",
        record["userIdentity"]["type"] == "IAMUser"
        and record["userIdentity"]["userName"] == KEY_A == start_a["Username"]
        and record["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/{KEY_A}"
        and record["userIdentity"]["accountId"] == ACCOUNT,
        record["userIdentity"],
    )
    check("Start: no errorCode", "errorCode" not in record)
    record = json.loads(stop_b["CloudTrailEvent"])
    identity = record["userIdentity"]
    check(
        "Stop: requestParameters",
        record["requestParameters"] == {"deliveryStreamName": names[0]},
        record["requestParameters"],
    )
    check("Stop: requestID is moto's", record["requestID"] == seen["stop_ids"][names[0]])
    check(
        "Stop: assumed-role identity",
        identity["type"] == "AssumedRole"
        and stop_b["Username"] == SESSION
        and identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{SESSION}"
        and identity["sessionContext"]["sessionIssuer"]["userName"] == ROLE
        and identity["accessKeyId"] == KEY_B,
        identity,
    )
    record = json.loads(injected["CloudTrailEvent"])
    check(
        "injected Start: 20 h old",
        abs(time.time() - injected["EventTime"].timestamp() - (20 * 3600 + 120)) < 5,
    )
    check(
        "injected Start: key",
        record["requestParameters"]["deliveryStreamEncryptionConfigurationInput"]
        == {"keyType": "CUSTOMER_MANAGED_CMK", "keyARN": key["Arn"]},
        record["requestParameters"],
    )
    denied = trail.events(**by("ResourceName", names[1]))[-1]
    record = json.loads(denied["CloudTrailEvent"])
    check(
        "injected errorCode",
        record.get("errorCode") == "AccessDeniedException" and record.get("errorMessage"),
        record,
    )
    kms = json.loads(trail.events(**by("EventName", "DisableKey"))[0]["CloudTrailEvent"])
    check(
        "KMS: requestParameters keyId and resources",
        kms["requestParameters"] == {"keyId": key["KeyId"]}
        and kms["resources"][0]["ARN"] == key["Arn"],
        kms,
    )


def check_errors(launcher, trail):
    now = datetime.datetime.now(datetime.timezone.utc)
    cases = [
        (
            "two attributes",
            "InvalidLookupAttributesException",
            {
                "LookupAttributes": [
                    {"AttributeKey": "EventName", "AttributeValue": START},
                    {"AttributeKey": "Username", "AttributeValue": "bob"},
                ]
            },
        ),
        ("unknown attribute", "InvalidLookupAttributesException", by("Bogus", "x")),
        (
            "start after end",
            "InvalidTimeRangeException",
            {"StartTime": now, "EndTime": now - datetime.timedelta(hours=1)},
        ),
        ("MaxResults 51", "InvalidMaxResultsException", {"MaxResults": 51}),
        ("garbage token", "InvalidNextTokenException", {"NextToken": "not-a-token"}),
    ]
    token = trail.client.lookup_events(**by("EventName", START))["NextToken"]
    cases.append(
        (
            "token of another query",
            "InvalidNextTokenException",
            {"NextToken": token, **by("EventName", STOP)},
        )
    )
    for label, code, request in cases:
        got, status, body, headers = trail.error(**request)
        check(
            f"error {label}: {code}",
            got == code
            and status == 400
            and body.get("__type") == code
            and isinstance(body.get("message"), str)
            and headers.get("content-type") == "application/x-amz-json-1.1"
            and headers.get("x-amzn-errortype") == code,
            (got, status, body, headers),
        )
    loose = Trail(launcher, config=botocore.config.Config(parameter_validation=False))
    got = loose.error(MaxResults=0)[0]
    check(
        "error MaxResults 0: InvalidMaxResultsException",
        got == "InvalidMaxResultsException",
        got,
    )


def check_faults(launcher, trail):
    single = Trail(launcher, config=NO_RETRY)
    for code in ("ThrottlingException", "AccessDeniedException"):
        launcher.fault(
            service="cloudtrail",
            operation="LookupEvents",
            fault="error",
            status=400,
            type=code,
            message="Rate exceeded",
            times=1,
        )
        before = launcher.lookups()
        got, status, body, headers = single.error()
        after = launcher.lookups()
        check(
            f"fault {code}",
            got == code
            and status == 400
            and body == {"__type": code, "message": "Rate exceeded"}
            and headers.get("x-amzn-errortype") == code,
            (got, status, body),
        )
        check(
            f"fault {code}: received, not forwarded",
            (after[0] - before[0], after[1] - before[1]) == (1, 0),
            (before, after),
        )
        launcher.clear_faults()
    launcher.fault(
        service="cloudtrail",
        operation="LookupEvents",
        fault="error",
        status=400,
        type="ThrottlingException",
        message="Rate exceeded",
        times=1,
    )
    before = launcher.lookups()
    page = trail.client.lookup_events(MaxResults=1)  # boto3 retries the throttle
    after = launcher.lookups()
    check(
        "throttled once, retried by the SDK",
        len(page["Events"]) == 1
        and (after[0] - before[0], after[1] - before[1]) == (2, 1),
        (before, after),
    )
    launcher.clear_faults()

    launcher.fault(service="cloudtrail", operation="LookupEvents", fault="hang")
    answer = {}
    worker = threading.Thread(
        target=lambda: answer.update(trail.client.lookup_events(MaxResults=1))
    )
    worker.start()
    worker.join(1.0)
    held = worker.is_alive()
    launcher.clear_faults()
    worker.join(10)
    check(
        "hang holds LookupEvents until cleared",
        held and len(answer.get("Events", [])) == 1,
    )

    launcher.fault(
        service="cloudtrail", operation="LookupEvents", fault="lose_answer", delay=1
    )
    began = time.monotonic()
    page = trail.client.lookup_events(MaxResults=1)
    check(
        "lose_answer delays LookupEvents",
        time.monotonic() - began >= 0.9 and len(page["Events"]) == 1,
    )
    launcher.clear_faults()


def check_settings(launcher, trail):
    launcher.trail(lookup_delay_seconds=3600)
    events = trail.events(**by("EventName", START))
    check(
        "lookup_delay_seconds hides recent events",
        len(events) == 2 and all(e["Username"] == "carol" for e in events),
        len(events),
    )
    launcher.trail(lookup_delay_seconds=0)
    launcher.trail(lookups_per_second=2)
    single = Trail(launcher, config=NO_RETRY)
    codes = [single.error(MaxResults=1)[0] for _ in range(5)]
    check(
        "lookups_per_second throttles",
        codes.count("ThrottlingException") >= 2 and codes[0] is None,
        codes,
    )
    launcher.trail(lookups_per_second=None)
    status, answer = launcher.control(
        "POST", "/_firekeeper/trail", {"region": launcher.region, "lookup_delay": 5}
    )
    check("control API refuses a typo", status == 400 and not answer["ok"], answer)
    status, answer = launcher.control(
        "POST",
        "/_firekeeper/events",
        {"region": launcher.region, "eventName": START, "usr": "x"},
    )
    check("events refuse a typo", status == 400, answer)

    other = Trail(
        launcher,
        region="eu-south-2" if launcher.region != "eu-south-2" else "il-central-1",
    )
    foreign = [
        e
        for e in other.events()
        if e.get("Username") in (KEY_A, SESSION, "carol")
        and "fk-check" in e["CloudTrailEvent"]
    ]
    check("events stay in their region", not foreign, len(foreign))

    launcher.ok("DELETE", f"/_firekeeper/events?region={launcher.region}")
    check("DELETE events clears the region", trail.events() == [])

# Each documented userIdentity type, as the AWS CloudTrail User Guide's
# "CloudTrail userIdentity element" shows it: (identity spec, what the record's
# userIdentity must hold, the summary's Username or None when absent, whether an
# AccessKeyId is given).
IDENTITY_CASES = [
    (
        {"type": "IAMUser", "userName": "Alice"},
        {"type": "IAMUser", "userName": "Alice", "arn": f"arn:aws:iam::{ACCOUNT}:user/Alice"},
        "Alice",
        True,
    ),
    (
        {"type": "AssumedRole", "userName": "cfn-deployer", "sessionName": "AWSCloudFormation",
         "invokedBy": "cloudformation.amazonaws.com"},
        {"type": "AssumedRole",
         "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/cfn-deployer/AWSCloudFormation",
         "invokedBy": "cloudformation.amazonaws.com"},
        "AWSCloudFormation",
        True,
    ),
    (
        {"type": "FederatedUser", "userName": "Bob", "issuer": "broker"},
        {"type": "FederatedUser", "principalId": f"{ACCOUNT}:Bob",
         "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/Bob"},
        "Bob",
        True,
    ),
    (
        {"type": "IdentityCenterUser", "userId": "544894e8-80c1-707f-60e3-3ba6510dfac1"},
        {"type": "IdentityCenterUser", "accountId": ACCOUNT},
        None,
        False,
    ),
    (
        {"type": "AWSAccount", "accountId": "444455556666"},
        {"type": "AWSAccount", "accountId": "444455556666"},
        None,
        False,
    ),
    (
        {"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"},
        {"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"},
        "cloudformation.amazonaws.com",
        False,
    ),
    (
        {"type": "Root"},
        {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "principalId": ACCOUNT},
        "root",
        True,
    ),
]


def check_identities(launcher, trail):
    for spec, expected, username, signed in IDENTITY_CASES:
        kind = spec["type"]
        launcher.ok(
            "POST",
            "/_firekeeper/events",
            {"region": launcher.region, "eventName": "DisableKey",
             "keyId": "fk-check-" + kind.lower(), "identity": spec},
        )
        [event] = trail.events(**by("ResourceName", _key_arn_of(launcher, kind)))
        identity = json.loads(event["CloudTrailEvent"])["userIdentity"]
        check(
            f"{kind}: the documented userIdentity",
            all(identity.get(k) == v for k, v in expected.items())
            and ("accessKeyId" in identity) == signed,
            identity,
        )
        check(
            f"{kind}: summary Username and AccessKeyId as the record",
            event.get("Username") == username
            and ("AccessKeyId" in event) == signed,
            {k: v for k, v in event.items() if k != "CloudTrailEvent"},
        )
    sso = json.loads(
        trail.events(**by("ResourceName", _key_arn_of(launcher, "AssumedRole")))[0][
            "CloudTrailEvent"
        ]
    )["userIdentity"]["sessionContext"]["sessionIssuer"]
    check(
        "AssumedRole: sessionIssuer names the role",
        sso["type"] == "Role" and sso["userName"] == "cfn-deployer",
        sso,
    )
    center = json.loads(
        trail.events(**by("ResourceName", _key_arn_of(launcher, "IdentityCenterUser")))[0][
            "CloudTrailEvent"
        ]
    )["userIdentity"]
    check(
        "IdentityCenterUser: onBehalfOf and a credentialId",
        center["onBehalfOf"]["userId"] == "544894e8-80c1-707f-60e3-3ba6510dfac1"
        and center["onBehalfOf"]["identityStoreArn"].startswith(
            f"arn:aws:identitystore::{ACCOUNT}:identitystore/d-"
        )
        and center.get("credentialId"),
        center,
    )
    for bad in (
        {"type": "AssumedRole", "userName": "r"},
        {"type": "IdentityCenterUser"},
        {"type": "AWSService"},
        {"type": "Martian"},
        {"type": "Root", "accessKeyId": "AKIA0"},
    ):
        status, answer = launcher.control(
            "POST",
            "/_firekeeper/events",
            {"region": launcher.region, "eventName": "DisableKey", "keyId": "x",
             "identity": bad},
        )
        check(f"identity {bad} is refused", status == 400, answer)
    launcher.ok("DELETE", f"/_firekeeper/events?region={launcher.region}")


def _key_arn_of(launcher, kind):
    """The ARN an injected KMS event on key id fk-check-KIND is about."""
    return f"arn:aws:kms:{launcher.region}:{ACCOUNT}:key/fk-check-{kind.lower()}"


def remove_streams(launcher):
    """Deletes every stream the checks made: a test of the suite that works in this
    region counts its whole fleet."""
    fh = launcher.client("firehose", KEY_A)
    names = fh.list_delivery_streams(Limit=10000).get("DeliveryStreamNames", [])
    for name in names:
        fh.delete_delivery_stream(DeliveryStreamName=name)
    launcher.reset()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    launcher = Launcher(
        sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "eu-central-2"
    )
    launcher.reset()
    trail = Trail(launcher)
    try:
        seen = seed(launcher)
        check_counts(launcher, trail, seen)
        check_records(trail, seen)
        check_errors(launcher, trail)
        check_faults(launcher, trail)
        check_settings(launcher, trail)
        check_identities(launcher, trail)
    finally:
        launcher.reset()
        remove_streams(launcher)
    failed = [r for r in results if not r[1]]
    print(
        f"\n{len(results)} checks, {len(results) - len(failed)} passed,"
        f" {len(failed)} failed"
    )
    for name, _, detail in failed:
        print(f"  FAILED {name}: {detail}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
