"""template.yaml: it lints clean, and its CloudFormation keeps the promises the README makes."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

import pytest

from lambdactr.function.config import Config
from lambdactr.function.item import SALT_KEY_PREFIX, salt_key
from lambdactr.function.store import CLIENT_CONFIG
from lambdactr.snippet import snippet

from .conftest import (
    FUNCTION_ID,
    ROOT,
    STACK_NAME,
    TEMPLATE,
    condition_holds,
    holds,
    parameter_defaults,
    resolve,
    resources_of_type,
    run_tool,
    tool,
)

# The Lambda itself runs for longer than API Gateway waits for it: past 30 s the caller has gone.
HTTP_API_INTEGRATION_TIMEOUT_SECONDS = 30
# A hit reads the day's salt, creates it when missing, re-reads it after losing that race to
# another container, then stores the hit.
DYNAMODB_CALLS_PER_HIT = 4
# botocore's standard retry mode waits at most 1 s (random jitter) before a second attempt.
RETRY_BACKOFF_SECONDS = 1


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def the_function(transformed: dict[str, Any]) -> dict[str, Any]:
    functions = resources_of_type(transformed, "AWS::Lambda::Function")
    assert list(functions) == [FUNCTION_ID]
    return functions[FUNCTION_ID]["Properties"]


def role_statements(transformed: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement that grants the function's role anything, wherever it is attached."""
    role_arn = the_function(transformed)["Role"]
    assert set(role_arn) == {"Fn::GetAtt"}, "the function must use the role written in the template"
    role_id = role_arn["Fn::GetAtt"][0]
    # The Analytics part's roles (tests/stack/test_analytics.py) exist only with Analytics=true.
    roles = {
        logical_id: role
        for logical_id, role in resources_of_type(transformed, "AWS::IAM::Role").items()
        if role.get("Condition") != "AnalyticsOn"
    }
    assert list(roles) == [role_id], "SAM must not have made a role of its own"
    role = roles[role_id]["Properties"]
    assert role.get("ManagedPolicyArns", []) == [], "managed policies grant more than is written"
    assert role.get("PermissionsBoundary") is None
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    statements = [
        statement
        for policy in role.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in resources_of_type(transformed, kind).values():
            if {"Ref": role_id} in policy["Properties"].get("Roles", []):
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.slow
def test_sam_validate_with_lint_passes() -> None:
    output = run_tool(tool("sam"), "validate", "--lint", "--template", str(TEMPLATE))
    assert "is a valid SAM Template" in output


@pytest.mark.slow
def test_cfn_lint_passes() -> None:
    run_tool(tool("cfn-lint"), str(TEMPLATE))


def test_the_function_may_store_hits_keep_the_salt_and_log_nothing_more(
    transformed: dict[str, Any],
) -> None:
    statements = role_statements(transformed)
    assert all(statement["Effect"] == "Allow" for statement in statements)
    assert not any("NotAction" in s or "NotResource" in s for s in statements)
    actions = {action for statement in statements for action in as_list(statement["Action"])}
    assert actions == {
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    for statement in statements:
        for resource in as_list(statement["Resource"]):
            # A wildcard anywhere in a literal ARN widens it; references name one resource.
            assert "*" not in str(resource), statement


def test_salt_reads_are_limited_to_salt_keys(transformed: dict[str, Any]) -> None:
    table_arn = {"Fn::GetAtt": ["HitsTable", "Arn"]}
    dynamodb = [
        statement
        for statement in role_statements(transformed)
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
    ]
    assert all(as_list(statement["Resource"]) == [table_arn] for statement in dynamodb)

    readers = [s for s in dynamodb if "dynamodb:GetItem" in as_list(s["Action"])]
    assert readers, "the salt must be readable"
    for statement in readers:
        assert sorted(as_list(statement["Action"])) == ["dynamodb:GetItem", "dynamodb:PutItem"]
        assert statement["Condition"] == {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{SALT_KEY_PREFIX}*"]}
        }
    unconditioned = [s for s in dynamodb if "Condition" not in s]
    assert [as_list(s["Action"]) for s in unconditioned] == [["dynamodb:PutItem"]]

    # The condition's pattern is the item contract's: it matches salt keys and no hit key.
    pattern = readers[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"][0]
    assert fnmatch(salt_key("2026-11-23"), pattern)
    assert not fnmatch("3f2a9c0d1b4e5f60718293a4b5c6d7e8", pattern)


def test_the_function_logs_to_its_own_group_with_retention_at_warn(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    groups = resources_of_type(transformed, "AWS::Logs::LogGroup")
    assert list(groups) == ["BeaconLogGroup"]
    assert groups["BeaconLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    defaults = parameter_defaults(template)
    assert defaults["LogRetentionDays"] == "30"

    logging_config = the_function(transformed)["LoggingConfig"]
    assert logging_config["LogGroup"] == {"Ref": "BeaconLogGroup"}
    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["ApplicationLogLevel"] == {"Ref": "LogLevel"}
    assert defaults["LogLevel"] == "WARN"
    # Lambda's system logs have no ERROR level, so that choice is capped at WARN.
    assert logging_config["SystemLogLevel"] == {
        "Fn::If": ["SystemLogLevelCapped", "WARN", {"Ref": "LogLevel"}]
    }
    assert condition_holds(template, "SystemLogLevelCapped", {"LogLevel": "ERROR"})
    assert not condition_holds(template, "SystemLogLevelCapped", {"LogLevel": "DEBUG"})

    log_statements = [
        s for s in role_statements(transformed) if as_list(s["Action"])[0].startswith("logs:")
    ]
    assert [s["Resource"] for s in log_statements] == [{"Fn::GetAtt": ["BeaconLogGroup", "Arn"]}]


def test_the_stage_throttles_with_both_limits(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    stages = resources_of_type(transformed, "AWS::ApiGatewayV2::Stage")
    assert len(stages) == 1
    (stage,) = stages.values()
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ThrottleBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottleRateLimit"},
    }
    assert "RouteSettings" not in stage["Properties"], "a route must not escape the limits"
    for name in ("ThrottleBurstLimit", "ThrottleRateLimit"):
        # A limit of 0 answers every request with 429.
        assert template["Parameters"][name]["MinValue"] >= 1
    defaults = parameter_defaults(template)
    assert (defaults["ThrottleRateLimit"], defaults["ThrottleBurstLimit"]) == ("50", "100")


def test_only_the_four_beacon_routes_and_no_cors(transformed: dict[str, Any]) -> None:
    apis = resources_of_type(transformed, "AWS::ApiGatewayV2::Api")
    assert list(apis) == ["BeaconApi"]
    properties = apis["BeaconApi"]["Properties"]
    body = properties["Body"]
    routes = {(path, method) for path, operations in body["paths"].items() for method in operations}
    assert routes == {
        ("/c.css", "get"),
        ("/c.css", "head"),
        ("/c.gif", "get"),
        ("/c.gif", "head"),
    }
    assert "CorsConfiguration" not in properties
    assert "x-amazon-apigateway-cors" not in body
    assert not resources_of_type(transformed, "AWS::ApiGatewayV2::Route")
    assert not resources_of_type(transformed, "AWS::ApiGateway::RestApi")
    for operations in body["paths"].values():
        for operation in operations.values():
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["payloadFormatVersion"] == "2.0"
            assert "${BeaconFunction.Arn}" in integration["uri"]["Fn::Sub"]


def test_the_table_survives_the_stack_and_expires_its_items(transformed: dict[str, Any]) -> None:
    tables = resources_of_type(transformed, "AWS::DynamoDB::Table")
    assert list(tables) == ["HitsTable"]
    table = tables["HitsTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # Encrypted with the AWS-owned key: no KMS key to pay for or to lose.
    assert properties["SSESpecification"] == {"SSEEnabled": False}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["TableName"] == {"Fn::Sub": "${AWS::StackName}-hits"}


def test_reserved_concurrency_is_left_out_unless_asked_for(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    assert the_function(transformed)["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    # Reserving 0 would stop the function entirely; the default leaves the property out.
    assert parameter_defaults(template)["ReservedConcurrency"] == "0"
    assert not condition_holds(template, "HasReservedConcurrency", {})
    assert condition_holds(template, "HasReservedConcurrency", {"ReservedConcurrency": "5"})


def test_the_function_is_a_small_arm64_python_lambda(transformed: dict[str, Any]) -> None:
    function = the_function(transformed)
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["MemorySize"] == 128
    module, _, attribute = function["Handler"].rpartition(".")
    assert (module, attribute) == ("lambdactr.function.app", "handler")
    assert (ROOT / "src" / (module.replace(".", "/") + ".py")).is_file()


def test_the_timeout_outlasts_every_dynamodb_call_of_a_hit(transformed: dict[str, Any]) -> None:
    # The client's own settings, so that a longer timeout in store.py fails here first.
    settings = vars(CLIENT_CONFIG)
    attempts = settings["retries"]["total_max_attempts"]
    connect, read = settings["connect_timeout"], settings["read_timeout"]
    per_call = attempts * (connect + read) + (attempts - 1) * RETRY_BACKOFF_SECONDS
    timeout = the_function(transformed)["Timeout"]
    assert DYNAMODB_CALLS_PER_HIT * per_call <= timeout < HTTP_API_INTEGRATION_TIMEOUT_SECONDS


def test_the_environment_comes_from_the_parameters_and_parses(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    variables = the_function(transformed)["Environment"]["Variables"]
    assert variables == {
        "TABLE_NAME": {"Ref": "HitsTable"},
        "ALLOWED_HOSTS": {"Ref": "AllowedHosts"},
        "RETENTION_DAYS": {"Ref": "RetentionDays"},
        "RESPECT_DNT": {"Ref": "RespectDnt"},
        "POWERTOOLS_SERVICE_NAME": "lambdactr",
        "POWERTOOLS_METRICS_NAMESPACE": "Lambdactr",
    }
    defaults = parameter_defaults(template)
    environment = {name: resolve(value, defaults) for name, value in variables.items()}
    assert Config.from_env(environment) == Config(
        table_name=f"{STACK_NAME}-hits", allowed_hosts=(), retention_days=400, respect_dnt=True
    )
    custom = {**defaults, "AllowedHosts": "example.org,*.example.org", "RespectDnt": "false"}
    environment = {name: resolve(value, custom) for name, value in variables.items()}
    config = Config.from_env(environment)
    assert config.allowed_hosts == ("example.org", "*.example.org")
    assert config.respect_dnt is False


def _base_url(output: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    text, variables = output["Value"]["Fn::Sub"]
    assert variables["Base"] == {
        "Fn::If": [
            "HasCustomDomain",
            {"Fn::Sub": "https://${DomainName}"},
            {"Fn::GetAtt": ["BeaconApi", "ApiEndpoint"]},
        ]
    }
    return text, variables


def test_the_outputs_give_the_urls_the_table_and_a_snippet_to_paste(
    transformed: dict[str, Any],
) -> None:
    outputs = transformed["Outputs"]
    assert {"CssBeaconUrl", "GifBeaconUrl", "TableName", "Snippet"} <= set(outputs)
    assert outputs["TableName"]["Value"] == {"Ref": "HitsTable"}
    assert _base_url(outputs["CssBeaconUrl"])[0] == "${Base}/c.css"
    assert _base_url(outputs["GifBeaconUrl"])[0] == "${Base}/c.gif"

    text, _ = _base_url(outputs["Snippet"])
    pasted = text.replace("${Base}", "https://stats.example.org")
    # The same tags `lambdactr snippet` prints, referrer policy included.
    assert pasted.splitlines() == snippet("https://stats.example.org").splitlines()
    assert pasted.count('referrerpolicy="no-referrer-when-downgrade"') == 2


@pytest.mark.parametrize(
    ("parameters", "domain", "dns_record"),
    [
        ({}, False, False),
        ({"DomainName": "stats.example.org"}, False, False),
        (
            {
                "DomainName": "stats.example.org",
                "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
            },
            True,
            False,
        ),
        (
            {
                "DomainName": "stats.example.org",
                "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
                "HostedZoneId": "Z0123456789ABCDEFGHIJ",
            },
            True,
            True,
        ),
    ],
)
def test_the_custom_domain_exists_only_when_given(
    template: dict[str, Any],
    transformed: dict[str, Any],
    parameters: dict[str, str],
    domain: bool,
    dns_record: bool,
) -> None:
    resources = transformed["Resources"]
    assert resources["BeaconDomain"]["Condition"] == "HasCustomDomain"
    assert resources["BeaconDomainMapping"]["Condition"] == "HasCustomDomain"
    assert resources["BeaconDomainRecord"]["Condition"] == "HasHostedZone"
    assert condition_holds(template, "HasCustomDomain", parameters) is domain
    assert condition_holds(template, "HasHostedZone", parameters) is dns_record

    mapping = resources["BeaconDomainMapping"]["Properties"]
    assert mapping["ApiId"] == {"Ref": "BeaconApi"}
    (stage_id,) = resources_of_type(transformed, "AWS::ApiGatewayV2::Stage")
    assert mapping["Stage"] == {"Ref": stage_id}


@pytest.mark.parametrize(
    ("parameters", "accepted"),
    [
        ({}, True),
        ({"DomainName": "stats.example.org"}, False),
        (
            {
                "DomainName": "stats.example.org",
                "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
            },
            True,
        ),
    ],
)
def test_a_domain_without_a_certificate_is_refused_not_ignored(
    template: dict[str, Any], parameters: dict[str, str], accepted: bool
) -> None:
    rule = template["Rules"]["CustomDomainNeedsCertificate"]
    applies = holds(template, rule["RuleCondition"], parameters)
    satisfied = all(holds(template, check["Assert"], parameters) for check in rule["Assertions"])
    assert (not applies or satisfied) is accepted
