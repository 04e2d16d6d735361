"""template.yaml: it lints clean, and its CloudFormation keeps the promises the README makes."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

import pytest

from lambdactr.function.config import Config
from lambdactr.function.item import COUNTER_KEY_PREFIX, SALT_KEY_PREFIX, counter_key
from lambdactr.function.store import CLIENT_CONFIG, WORST_CALL_SECONDS
from lambdactr.snippet import snippet
from tests.support.paths import ROOT, TEMPLATE
from tests.support.stack import (
    FUNCTION_ID,
    STACK_NAME,
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
        "dynamodb:UpdateItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    for statement in statements:
        for resource in as_list(statement["Resource"]):
            # A wildcard anywhere in a literal ARN widens it; references name one resource.
            assert "*" not in str(resource), statement


def dynamodb_statements(transformed: dict[str, Any], table: str) -> list[dict[str, Any]]:
    arn = {"Fn::GetAtt": [table, "Arn"]}
    return [
        statement
        for statement in role_statements(transformed)
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
        and arn in as_list(statement["Resource"])
    ]


def test_the_salt_is_read_and_written_in_its_own_table_only(transformed: dict[str, Any]) -> None:
    dynamodb = [
        statement
        for statement in role_statements(transformed)
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
    ]
    salts = dynamodb_statements(transformed, "SaltsTable")
    hits = dynamodb_statements(transformed, "HitsTable")
    assert len(salts) + len(hits) == len(dynamodb), "every DynamoDB grant names one table"
    for statement in dynamodb:
        assert len(as_list(statement["Resource"])) == 1, "one table per statement"
    # Today's salt is read, created and replaced: nothing else, and nothing of the hits.
    assert sorted(a for s in salts for a in as_list(s["Action"])) == [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    ]
    # The hits table is written to; the function never reads a hit back.
    assert ["dynamodb:PutItem"] in [as_list(s["Action"]) for s in hits]


def test_badge_counters_are_the_only_items_the_function_may_update_or_read_in_the_hits_table(
    transformed: dict[str, Any],
) -> None:
    hits = dynamodb_statements(transformed, "HitsTable")
    readers = [
        s for s in hits if {"dynamodb:UpdateItem", "dynamodb:GetItem"} & set(as_list(s["Action"]))
    ]
    assert len(readers) == 1
    (statement,) = readers
    assert sorted(as_list(statement["Action"])) == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    assert statement["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{COUNTER_KEY_PREFIX}*"]}
    }
    # The pattern is the item contract's: counter keys, and neither hits nor salts.
    pattern = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"][0]
    assert fnmatch(counter_key("blog.example.org", "/posts/hello/"), pattern)
    assert fnmatch(counter_key("", "/"), pattern)
    assert not fnmatch("3f2a9c0d1b4e5f60718293a4b5c6d7e8", pattern)
    assert not fnmatch(f"{SALT_KEY_PREFIX}2026-11-23", pattern)


def allows_put(condition: dict[str, Any], pk: str | None) -> bool:
    """Evaluate the hits-table PutItem condition for an item with this partition key, as IAM
    does: dynamodb:LeadingKeys holds the item's key (absent when the request names none)."""
    keys = [] if pk is None else [pk]
    for operator, tests in condition.items():
        ((context_key, patterns),) = tests.items()
        assert context_key == "dynamodb:LeadingKeys"
        patterns = as_list(patterns)
        if operator == "ForAllValues:StringNotLike":
            if not all(not any(fnmatch(key, p) for p in patterns) for key in keys):
                return False
        elif operator == "Null":
            # "false": the key must be present.
            if (patterns == ["false"]) != bool(keys):
                return False
        else:
            raise AssertionError(f"unexpected condition operator {operator}")
    return True


def test_the_hits_table_refuses_salt_keys(transformed: dict[str, Any]) -> None:
    # Old versions kept the salt in the hits table, which point-in-time recovery keeps for 35
    # days; the role can no longer put one there.
    writers = [
        s
        for s in dynamodb_statements(transformed, "HitsTable")
        if "dynamodb:PutItem" in as_list(s["Action"])
    ]
    assert writers
    for statement in writers:
        condition = statement["Condition"]
        assert condition["ForAllValues:StringNotLike"] == {
            "dynamodb:LeadingKeys": [f"{SALT_KEY_PREFIX}*"]
        }
        assert not allows_put(condition, f"{SALT_KEY_PREFIX}2026-11-23")
        assert not allows_put(condition, SALT_KEY_PREFIX)
        assert not allows_put(condition, None)
        assert allows_put(condition, "3f2a9c0d1b4e5f60718293a4b5c6d7e8")


def test_the_salts_table_keeps_no_copy_of_any_salt(transformed: dict[str, Any]) -> None:
    table = resources_of_type(transformed, "AWS::DynamoDB::Table")["SaltsTable"]
    # Nothing worth keeping: it goes with the stack, and a replacement starts empty.
    assert table["DeletionPolicy"] == "Delete"
    assert table["UpdateReplacePolicy"] == "Delete"
    properties = table["Properties"]
    assert properties["TableName"] == {"Fn::Sub": "${AWS::StackName}-salts"}
    # No point-in-time recovery, so no restore or S3 export brings back a replaced salt; no
    # stream, so no reader sees one go by.
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": False}
    assert "StreamSpecification" not in properties
    assert "KinesisStreamSpecification" not in properties
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties.get("DeletionProtectionEnabled", False) is False


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


def test_only_the_beacon_and_badge_routes_and_no_cors(transformed: dict[str, Any]) -> None:
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
        ("/c.svg", "get"),
        ("/c.svg", "head"),
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
    assert sorted(tables) == ["HitsTable", "SaltsTable"]
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
    # A badge's counter call is a fifth, made only while this much time is left: the handler
    # must reckon with the same worst case.
    assert per_call == WORST_CALL_SECONDS


def test_the_environment_comes_from_the_parameters_and_parses(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    variables = the_function(transformed)["Environment"]["Variables"]
    assert variables == {
        "TABLE_NAME": {"Ref": "HitsTable"},
        "SALTS_TABLE": {"Ref": "SaltsTable"},
        "ALLOWED_HOSTS": {"Ref": "AllowedHosts"},
        "RETENTION_DAYS": {"Ref": "RetentionDays"},
        "RESPECT_DNT": {"Ref": "RespectDnt"},
        "TRUST_CLOUDFRONT_HEADERS": {"Ref": "TrustCloudFrontHeaders"},
        "POWERTOOLS_SERVICE_NAME": "lambdactr",
        "POWERTOOLS_METRICS_NAMESPACE": "Lambdactr",
        # For `sam local --env-vars`; empty by default, which the function takes as unset.
        "AWS_ENDPOINT_URL_DYNAMODB": {"Ref": "DynamoDBEndpointUrl"},
    }
    defaults = parameter_defaults(template)
    assert defaults["DynamoDBEndpointUrl"] == ""
    environment = {name: resolve(value, defaults) for name, value in variables.items()}
    assert Config.from_env(environment) == Config(
        table_name=f"{STACK_NAME}-hits",
        salts_table_name=f"{STACK_NAME}-salts",
        allowed_hosts=(),
        retention_days=400,
        respect_dnt=True,
        # Without CloudFront in front, anyone can send CloudFront-Viewer-Country.
        trust_cloudfront_headers=False,
    )
    custom = {
        **defaults,
        "AllowedHosts": "example.org,*.example.org",
        "RespectDnt": "false",
        "TrustCloudFrontHeaders": "true",
    }
    environment = {name: resolve(value, custom) for name, value in variables.items()}
    config = Config.from_env(environment)
    assert config.allowed_hosts == ("example.org", "*.example.org")
    assert config.respect_dnt is False
    assert config.trust_cloudfront_headers is True


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
    assert {
        "CssBeaconUrl",
        "GifBeaconUrl",
        "SvgBadgeUrl",
        "TableName",
        "Snippet",
        "SnippetImg",
    } <= set(outputs)
    assert outputs["TableName"]["Value"] == {"Ref": "HitsTable"}
    assert _base_url(outputs["CssBeaconUrl"])[0] == "${Base}/c.css"
    assert _base_url(outputs["GifBeaconUrl"])[0] == "${Base}/c.gif"
    assert _base_url(outputs["SvgBadgeUrl"])[0] == "${Base}/c.svg"

    # Each output is exactly one tag, the one `lambdactr snippet --tag` prints, and says that
    # one tag per page is enough.
    for output, tag in (("Snippet", "link"), ("SnippetImg", "img")):
        text, _ = _base_url(outputs[output])
        pasted = text.replace("${Base}", "https://stats.example.org")
        assert pasted == snippet("https://stats.example.org", tag)
        assert "two would count each view twice" in outputs[output]["Description"]


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
