"""What the operator's commands read from a deployed stack: its outputs, by name."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

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


class StackError(Exception):
    """The stack is missing, unreadable, or lacks an output (worded for the operator)."""


def session(profile: str | None, region: str | None) -> Any:
    import boto3

    return boto3.Session(profile_name=profile, region_name=region)


def client(boto_session: Any, service: str) -> Any:
    return boto_session.client(service, region_name=boto_session.region_name or FALLBACK_REGION)


def stack_outputs(boto_session: Any, stack: str, required: tuple[str, ...]) -> dict[str, str]:
    """The stack's outputs; a missing one of `required` is an error that names the fix."""
    cloudformation = client(boto_session, "cloudformation")
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise StackError(f"stack {stack!r}: {error}") from error
    except BotoCoreError as error:
        raise StackError(str(error)) from error
    outputs = {
        output["OutputKey"]: output["OutputValue"]
        for found in stacks
        for output in found.get("Outputs", [])
        if output.get("OutputKey") and output.get("OutputValue")
    }
    missing = [name for name in required if name not in outputs]
    if missing:
        hint = (
            " (deploy it with the parameter Analytics=true)"
            if set(missing) & set(ANALYTICS_OUTPUTS)
            else ""
        )
        raise StackError(f"stack {stack!r} has no {', '.join(missing)} output{hint}")
    return outputs
