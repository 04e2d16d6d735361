"""deploy/deployer-policy.json: what the deploying person needs for each resource of the stack."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from typing import Any

from tests.support.paths import ROOT
from tests.support.stack import STACK_NAME

POLICY = ROOT / "deploy" / "deployer-policy.json"
# The service whose API CloudFormation calls, with the caller's permissions, for each type.
SERVICE_OF_TYPE = {
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::Logs::LogGroup": "logs",
    "AWS::IAM::Role": "iam",
    "AWS::Lambda::Function": "lambda",
    "AWS::Lambda::Permission": "lambda",
    "AWS::ApiGatewayV2::Api": "apigateway",
    "AWS::ApiGatewayV2::Stage": "apigateway",
    "AWS::ApiGatewayV2::DomainName": "apigateway",
    "AWS::ApiGatewayV2::ApiMapping": "apigateway",
    "AWS::Route53::RecordSet": "route53",
    # Analytics=true
    "AWS::S3::Bucket": "s3",
    "AWS::S3::BucketPolicy": "s3",
    "AWS::Glue::Database": "glue",
    "AWS::Glue::Table": "glue",
    "AWS::Athena::WorkGroup": "athena",
    "AWS::StepFunctions::StateMachine": "states",
    "AWS::Scheduler::Schedule": "scheduler",
}


def statements() -> list[dict[str, Any]]:
    policy: dict[str, Any] = json.loads(POLICY.read_text())
    assert policy["Version"] == "2012-10-17"
    return list(policy["Statement"])


def allowed(action: str, resource: str) -> bool:
    for statement in statements():
        resources = statement["Resource"]
        patterns = resources if isinstance(resources, list) else [resources]
        if (
            statement["Effect"] == "Allow"
            and action in _actions(statement)
            and any(fnmatch(resource, pattern) for pattern in patterns)
        ):
            return True
    return False


def test_every_resource_type_of_the_stack_has_its_service_in_the_policy(
    transformed: dict[str, Any],
) -> None:
    services = {action.split(":")[0] for s in statements() for action in _actions(s)}
    for logical_id, resource in transformed["Resources"].items():
        kind = resource["Type"]
        assert kind in SERVICE_OF_TYPE, f"{logical_id}: add {kind} to the policy and this test"
        assert SERVICE_OF_TYPE[kind] in services, kind


def test_the_policy_covers_the_default_stack_and_the_cli() -> None:
    region, account = "eu-west-1", "123456789012"
    table = f"arn:aws:dynamodb:{region}:{account}:table/{STACK_NAME}-hits"
    for action in ("CreateTable", "UpdateTimeToLive", "UpdateContinuousBackups", "Scan", "PutItem"):
        assert allowed(f"dynamodb:{action}", table), action
    stack = f"arn:aws:cloudformation:{region}:{account}:stack/{STACK_NAME}/abc"
    assert allowed("cloudformation:CreateChangeSet", stack)
    assert allowed("cloudformation:DescribeStacks", stack)  # report --stack
    group = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{STACK_NAME}"
    assert allowed("logs:CreateLogGroup", group)
    assert allowed("logs:FilterLogEvents", group)  # make logs
    function = f"arn:aws:lambda:{region}:{account}:function:{STACK_NAME}-BeaconFunction-abc"
    assert allowed("lambda:CreateFunction", function)
    role = f"arn:aws:iam::{account}:role/{STACK_NAME}-BeaconFunctionRole-abc"
    assert allowed("iam:CreateRole", role)
    assert allowed("iam:PassRole", role)
    # Nothing may be deleted from the table, nor the table itself: the hits outlive the stack.
    assert not allowed("dynamodb:DeleteTable", table)
    assert not allowed("dynamodb:DeleteItem", table)


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]
