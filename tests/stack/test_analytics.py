"""The optional Analytics part of template.yaml: nothing without it; with it, an export bucket
that is private, TLS-only and expires hits with the table, a daily export whose date arithmetic
is right at every boundary and for a retried run, a Glue table and an Athena workgroup."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import jsonata
import pytest

from lambdactr.export_layout import DATA_FOLDER, partition_prefix
from lambdactr.report.duckdb_engine import record_columns
from lambdactr.stack import ANALYTICS_OUTPUTS
from tests.support.stack import FUNCTION_ID, condition_holds, resources_of_type

ANALYTICS = "AnalyticsOn"


def analytics_resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Condition") == ANALYTICS
    }


def test_analytics_is_off_by_default_and_then_adds_nothing(template: dict[str, Any]) -> None:
    assert template["Parameters"]["Analytics"]["Default"] == "false"
    assert not condition_holds(template, ANALYTICS, {})
    assert condition_holds(template, ANALYTICS, {"Analytics": "true"})
    # Every resource and output of the analytics part is under the condition; nothing else
    # refers to them, so Analytics=false deploys exactly the counter.
    added = analytics_resources(template)
    assert set(added) >= {
        "ExportBucket",
        "ExportBucketPolicy",
        "ExportRole",
        "ExportStateMachine",
        "ExportSchedule",
        "ExportScheduleRole",
        "AnalyticsDatabase",
        "AnalyticsTable",
        "SignaturesTable",
        "ReferrersTable",
        "AnalyticsWorkgroup",
    }
    unconditional = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if logical_id not in added
    }
    assert all(name not in json.dumps(unconditional) for name in added)
    outputs = template["Outputs"]
    for name in ANALYTICS_OUTPUTS:
        assert outputs[name]["Condition"] == ANALYTICS


def test_the_beacon_function_is_untouched(template: dict[str, Any]) -> None:
    function = json.dumps(template["Resources"][FUNCTION_ID])
    role = json.dumps(template["Resources"]["BeaconFunctionRole"])
    for name in analytics_resources(template):
        assert name not in function
        assert name not in role


def test_the_bucket_is_private_encrypted_tls_only_and_expires_with_the_table(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["ExportBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireHits"]["Prefix"] == partition_prefix("x").split("/")[0] + "/"
    assert rules["ExpireHits"]["ExpirationInDays"] == {"Ref": "RetentionDays"}
    assert rules["ExpireQueryResults"]["ExpirationInDays"] == {"Ref": "AthenaResultsDays"}

    policy = template["Resources"]["ExportBucketPolicy"]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(statement["Resource"]) == 2  # the bucket and every object in it


def test_the_export_role_may_only_export_this_table_to_this_bucket(
    template: dict[str, Any],
) -> None:
    role = template["Resources"]["ExportRole"]["Properties"]
    assert role.get("ManagedPolicyArns") is None
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    grants = {json.dumps(statement["Action"]): statement["Resource"] for statement in statements}
    assert all(statement["Effect"] == "Allow" for statement in statements)
    assert grants == {
        '"dynamodb:ExportTableToPointInTime"': {"Fn::GetAtt": ["HitsTable", "Arn"]},
        '"dynamodb:DescribeExport"': {"Fn::Sub": "${HitsTable.Arn}/export/*"},
        '["s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload"]': {
            "Fn::Sub": "${ExportBucket.Arn}/hits/*"
        },
    }
    schedule_role = template["Resources"]["ExportScheduleRole"]["Properties"]
    (start,) = schedule_role["Policies"][0]["PolicyDocument"]["Statement"]
    assert start["Action"] == "states:StartExecution"
    assert start["Resource"] == {"Ref": "ExportStateMachine"}


def state_machine(template: dict[str, Any]) -> dict[str, Any]:
    definition: dict[str, Any] = template["Resources"]["ExportStateMachine"]["Properties"][
        "Definition"
    ]
    return definition


def evaluate(expression: str, states: dict[str, Any]) -> Any:
    """A JSONata expression of the state machine, `{% ... %}`, with `$states` bound."""
    assert expression.startswith("{%")
    assert expression.endswith("%}")
    return jsonata.Jsonata(expression[2:-2]).evaluate(None, {"states": states})


def export_request(template: dict[str, Any], execution: dict[str, Any]) -> dict[str, Any]:
    """What the state machine asks DynamoDB for, given the execution's input and start."""
    definition = state_machine(template)
    assert definition["QueryLanguage"] == "JSONata"
    context = {"Execution": {"StartTime": execution["start"]}}
    window = evaluate(
        definition["States"]["Window"]["Output"].strip(),
        {"input": execution["input"], "context": context},
    )

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, str) and value.startswith("{%"):
            return evaluate(value, {"input": window, "context": context})
        return value

    return fill(definition["States"]["Export"]["Arguments"])  # type: ignore[no-any-return]


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("scheduled", "day"),
    [
        ("2026-11-29T00:30:00Z", "2026-11-28"),
        ("2026-11-29T00:00:00.000Z", "2026-11-28"),  # the first instant of a day
        ("2026-11-29T23:59:59.999Z", "2026-11-28"),  # its last
        ("2027-01-01T00:30:00Z", "2026-12-31"),  # a year's end
        ("2028-03-01T00:30:00Z", "2028-02-29"),  # a leap day
        ("2026-03-30T00:30:00Z", "2026-03-29"),  # summer time somewhere: UTC has none
    ],
)
def test_the_daily_export_takes_the_previous_utc_day(
    template: dict[str, Any], scheduled: str, day: str
) -> None:
    request = export_request(template, {"input": {"scheduledTime": scheduled}, "start": scheduled})
    start = epoch(day)
    assert request["S3Prefix"] == partition_prefix(day)
    assert request["IncrementalExportSpecification"] == {
        "ExportFromTime": start,
        "ExportToTime": start + 86_400,
        "ExportViewType": "NEW_IMAGE",
    }
    assert request["ExportType"] == "INCREMENTAL_EXPORT"
    assert request["ExportFormat"] == "DYNAMODB_JSON"
    assert request["ClientToken"] == f"lambdactr-{day}"
    assert request["TableArn"] == "${TableArn}"
    assert request["S3Bucket"] == "${Bucket}"


def test_a_retried_run_asks_for_the_same_export(template: dict[str, Any]) -> None:
    scheduled = "2026-11-29T00:30:00Z"
    first = export_request(template, {"input": {"scheduledTime": scheduled}, "start": scheduled})
    # Retried by the scheduler hours later, after midnight even: the schedule's time decides.
    retried = export_request(
        template, {"input": {"scheduledTime": scheduled}, "start": "2026-11-30T01:10:00Z"}
    )
    assert retried == first
    # Started by hand (no scheduled time): the day before the run's start.
    by_hand = export_request(template, {"input": {}, "start": "2026-11-29T15:00:00Z"})
    assert by_hand == first


def test_a_run_by_hand_with_an_attempt_asks_for_a_new_export(template: dict[str, Any]) -> None:
    # A failed export keeps its ClientToken for hours: an attempt number makes another.
    scheduled = "2026-11-29T00:30:00Z"
    again = export_request(
        template, {"input": {"scheduledTime": scheduled, "attempt": 2}, "start": scheduled}
    )
    assert again["ClientToken"] == "lambdactr-2026-11-28-2"
    assert again["S3Prefix"] == partition_prefix("2026-11-28")


def run(template: dict[str, Any], looks: list[dict[str, Any]]) -> tuple[str, Any, int]:
    """The state machine, with DescribeExport answering `looks` in turn: (the state it ended
    in, what that state gave, how many times it waited)."""
    states = state_machine(template)["States"]
    context = {"Execution": {"StartTime": "2026-11-29T00:30:00Z"}}
    arn = "arn:aws:dynamodb:us-east-1:1:table/hits/export/01-ab"
    results = {
        "Export": iter([{"ExportDescription": {"ExportArn": arn}}]),
        "LookAtExport": iter(looks),
    }
    name, data, waits = (
        state_machine(template)["StartAt"],
        {"scheduledTime": "2026-11-29T00:30:00Z"},
        0,
    )
    for _ in range(100):
        state = states[name]
        bound = {"input": data, "context": context}
        if state["Type"] == "Task":
            bound["result"] = next(results[name])
        if state["Type"] in ("Succeed", "Fail"):
            return (
                name,
                (evaluate(state["Cause"].strip(), bound) if "Cause" in state else data),
                waits,
            )
        if state["Type"] == "Choice":
            name = next(
                (
                    choice["Next"]
                    for choice in state["Choices"]
                    if evaluate(choice["Condition"], bound)
                ),
                state["Default"],
            )
            continue
        if state["Type"] == "Wait":
            waits += 1
        elif "Output" in state:
            output = state["Output"]
            data = (
                evaluate(output.strip(), bound)
                if isinstance(output, str)
                else {key: evaluate(value.strip(), bound) for key, value in output.items()}
            )
        name = state["Next"]
    raise AssertionError("the state machine never ended")


def look(status: str, **extra: str) -> dict[str, Any]:
    return {"ExportDescription": {"ExportStatus": status, **extra}}


def test_the_run_waits_for_the_export_and_fails_when_it_fails(template: dict[str, Any]) -> None:
    ended, _, waits = run(template, [look("IN_PROGRESS"), look("IN_PROGRESS"), look("COMPLETED")])
    assert (ended, waits) == ("Exported", 3)
    ended, cause, waits = run(
        template, [look("IN_PROGRESS"), look("FAILED", FailureMessage="S3 access denied")]
    )
    assert (ended, waits) == ("ExportFailed", 2)
    assert cause == (
        "The export of 2026-11-28 failed (S3 access denied). "
        "Its hits are in no export until it is run again."
    )
    _, cause, _ = run(template, [look("FAILED")])
    assert "(no reason given)" in cause
    for state in ("Export", "LookAtExport"):
        assert state_machine(template)["States"][state]["Retry"][0]["MaxAttempts"] > 0
    # An export stuck for a day fails the run rather than looking for a year.
    assert state_machine(template)["TimeoutSeconds"] == 86_400


def test_the_schedule_passes_its_own_time_and_retries(template: dict[str, Any]) -> None:
    schedule = template["Resources"]["ExportSchedule"]["Properties"]
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    target = schedule["Target"]
    assert json.loads(target["Input"]) == {"scheduledTime": "<aws.scheduler.scheduled-time>"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    substitutions = template["Resources"]["ExportStateMachine"]["Properties"][
        "DefinitionSubstitutions"
    ]
    assert substitutions == {
        "TableArn": {"Fn::GetAtt": ["HitsTable", "Arn"]},
        "Bucket": {"Ref": "ExportBucket"},
    }


def hive_type(duckdb_type: str) -> str:
    """A DuckDB column type of the export's lines, written as Glue (Hive) writes it."""
    text = duckdb_type.lower().replace("varchar", "string").replace("struct(", "struct<")
    text = text.replace("map(string, ", "map<string,").replace('"', "")
    out = []
    for char in text:
        if char == ")":
            out.append(">")
            continue
        out.append(char)
    text = "".join(out).replace(", ", ",")
    # "name type" pairs inside a struct are "name:type" in Hive.
    return re.sub(r"(\w+) (?=struct<|string|boolean|map<)", r"\1:", text)


def test_the_glue_table_reads_what_the_report_reads(template: dict[str, Any]) -> None:
    table = template["Resources"]["AnalyticsTable"]["Properties"]["TableInput"]
    storage = table["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    columns = {column["Name"]: column["Type"] for column in storage["Columns"]}
    assert columns == {name.lower(): hive_type(kind) for name, kind in record_columns().items()}
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["storage.location.template"] == {
        "Fn::Sub": f"s3://${{ExportBucket}}/{partition_prefix('${!dt}')}{DATA_FOLDER}/"
    }
    assert [key["Name"] for key in table["PartitionKeys"]] == ["dt"]


def test_the_workgroup_caps_each_query_and_keeps_results_in_the_bucket(
    template: dict[str, Any],
) -> None:
    workgroup = template["Resources"]["AnalyticsWorkgroup"]["Properties"]
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"]["OutputLocation"] == {
        "Fn::Sub": "s3://${ExportBucket}/athena-results/"
    }


def test_sam_keeps_the_analytics_resources(transformed: dict[str, Any]) -> None:
    for kind in ("AWS::S3::Bucket", "AWS::StepFunctions::StateMachine", "AWS::Athena::WorkGroup"):
        assert len(resources_of_type(transformed, kind)) == 1
