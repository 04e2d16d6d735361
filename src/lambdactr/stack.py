"""What the CLI reads from a deployed stack: outputs, parameters, the function's log group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws import operator_client
from .function.store import FALLBACK_REGION

TABLE_OUTPUT = "TableName"
# Present when the stack was deployed with Analytics=true.
BUCKET_OUTPUT = "ExportBucket"
DATABASE_OUTPUT = "AnalyticsDatabase"
HITS_TABLE_OUTPUT = "AnalyticsTable"
SIGNATURES_TABLE_OUTPUT = "SignaturesTable"
REFERRERS_TABLE_OUTPUT = "ReferrersTable"
WORKGROUP_OUTPUT = "AnalyticsWorkgroup"
ANALYTICS_OUTPUTS = (
    BUCKET_OUTPUT,
    DATABASE_OUTPUT,
    HITS_TABLE_OUTPUT,
    SIGNATURES_TABLE_OUTPUT,
    REFERRERS_TABLE_OUTPUT,
    WORKGROUP_OUTPUT,
)
LOG_GROUP_TYPE = "AWS::Logs::LogGroup"
FUNCTION_TYPE = "AWS::Lambda::Function"


class StackError(Exception):
    """The stack cannot be read, or lacks what the command needs; the message says which."""


@dataclass(frozen=True, slots=True)
class Stack:
    name: str
    outputs: dict[str, str]
    parameters: dict[str, str]

    @property
    def table_name(self) -> str:
        name = self.outputs.get(TABLE_OUTPUT)
        if not name:
            found = ", ".join(sorted(self.outputs)) or "none"
            raise StackError(f"stack {self.name!r} has no {TABLE_OUTPUT} output (outputs: {found})")
        return name


def read_stack(session: Any, name: str, region: str) -> Stack:
    """The stack `name` as `session` sees it in `region`."""
    cloudformation = operator_client(session, "cloudformation", region)
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        raise StackError(f"stack {name!r}: {error}") from error
    except BotoCoreError as error:
        raise StackError(str(error)) from error
    outputs: dict[str, str] = {}
    parameters: dict[str, str] = {}
    for stack in stacks:
        for output in stack.get("Outputs", []):
            if output.get("OutputKey") and output.get("OutputValue") is not None:
                outputs[output["OutputKey"]] = output["OutputValue"]
        for parameter in stack.get("Parameters", []):
            if parameter.get("ParameterKey") and parameter.get("ParameterValue") is not None:
                parameters[parameter["ParameterKey"]] = parameter["ParameterValue"]
    return Stack(name, outputs, parameters)


def function_log_group(session: Any, name: str, region: str) -> str:
    """The counter's log group: the stack's own, or else Lambda's default for its function."""
    cloudformation = operator_client(session, "cloudformation", region)
    resources: dict[str, list[str]] = {}
    try:
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
            for resource in page.get("StackResourceSummaries", []):
                physical = resource.get("PhysicalResourceId")
                if physical:
                    resources.setdefault(resource["ResourceType"], []).append(physical)
    except ClientError as error:
        raise StackError(f"stack {name!r}: {error}") from error
    except BotoCoreError as error:
        raise StackError(str(error)) from error
    groups = resources.get(LOG_GROUP_TYPE, [])
    if len(groups) == 1:
        return groups[0]
    functions = resources.get(FUNCTION_TYPE, [])
    if len(functions) == 1:
        return f"/aws/lambda/{functions[0]}"
    raise StackError(
        f"stack {name!r} has {len(groups)} log groups and {len(functions)} functions;"
        " cannot tell which holds the counter's log"
    )


def session(profile: str | None, region: str | None) -> Any:
    import boto3

    return boto3.Session(profile_name=profile, region_name=region)


def client(boto_session: Any, service: str) -> Any:
    """An operator's client of `service` in the session's region: it fails fast when unreachable."""
    return operator_client(boto_session, service, boto_session.region_name or FALLBACK_REGION)


def stack_outputs(boto_session: Any, stack: str, required: tuple[str, ...]) -> dict[str, str]:
    """The stack's outputs; a missing one of `required` is an error that names the fix."""
    region = boto_session.region_name or FALLBACK_REGION
    outputs = read_stack(boto_session, stack, region).outputs
    missing = [name for name in required if name not in outputs]
    if missing:
        hint = (
            " (deploy it with the parameter Analytics=true)"
            if set(missing) & set(ANALYTICS_OUTPUTS)
            else ""
        )
        raise StackError(f"stack {stack!r} has no {', '.join(missing)} output{hint}")
    return outputs
