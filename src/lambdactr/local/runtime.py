"""What `serve` and `invoke` share: the Lambda's environment, its DynamoDB, and the handler."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from ..aws import (
    CLIENT_CONFIG,
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    UNREACHABLE_ERRORS,
    give_up_when_unreachable,
    has_credentials,
    is_local_endpoint,
    salts_table,
    unreachable_message,
)
from ..function.store import FALLBACK_REGION, error_code
from . import marker, state
from .embedded import EmbeddedDynamoDB
from .event import Handler, LocalContext

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

DEFAULT_STATE_DIR = ".lambdactr"


class LocalError(Exception):
    """A problem the operator can fix; its message says how."""


def add_state_dir_option(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(DEFAULT_STATE_DIR),
        help="where the embedded DynamoDB's table is saved between runs (default: %(default)s)",
    )


def add_local_options(parser: argparse._ActionsContainer) -> None:
    """`--local`: the table `lambdactr serve` keeps in --state-dir, found as `invoke` finds it."""
    parser.add_argument(
        "--local",
        action="store_true",
        help="use the local table: that of the `lambdactr serve` running from --state-dir, or"
        " else the one it saved there (--endpoint-url still wins)",
    )
    add_state_dir_option(parser)


def configure_environment(
    *, table: str, salts: str, endpoint: str, region: str | None, profile: str | None
) -> None:
    """Set what the Lambda reads at import: its tables, its DynamoDB, a region and credentials.

    `lambdactr.function.app` builds its config and its DynamoDB client when it is first imported, so
    this must run before that.
    """
    import botocore.session
    from botocore.exceptions import BotoCoreError

    os.environ["TABLE_NAME"] = table
    os.environ["SALTS_TABLE"] = salts
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    if profile:
        os.environ["AWS_PROFILE"] = profile
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
    try:
        session = botocore.session.Session()
        if not session.get_config_variable("region"):
            os.environ["AWS_DEFAULT_REGION"] = FALLBACK_REGION
        if is_local_endpoint(endpoint) and not has_credentials(session):
            os.environ["AWS_ACCESS_KEY_ID"] = FAKE_ACCESS_KEY
            os.environ["AWS_SECRET_ACCESS_KEY"] = FAKE_SECRET_KEY
            os.environ.pop("AWS_SESSION_TOKEN", None)
    except BotoCoreError as error:
        raise LocalError(f"AWS configuration: {error}") from error


def boto3_client(endpoint: str) -> DynamoDBClient:
    """The operator's client for the table set up by `configure_environment`."""
    import boto3

    client = boto3.client("dynamodb", endpoint_url=endpoint, config=CLIENT_CONFIG)
    give_up_when_unreachable(client)
    return client


def program_name(*, from_anywhere: bool = False) -> str:
    """How to run `lambdactr` again from the current directory (or any), as this one was run.

    A virtualenv's console script is not on PATH unless it was activated, so a bare `lambdactr`
    in a printed command would fail with "command not found".
    """
    launched = Path(sys.argv[0])
    if launched.name != "lambdactr":
        return shlex.join([sys.executable, "-m", "lambdactr.cli"])
    on_path = shutil.which("lambdactr")
    if on_path is not None and Path(on_path).resolve() == launched.resolve():
        return "lambdactr"
    if from_anywhere:
        return str(launched.absolute())
    try:
        return str(launched.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(launched.absolute())


def load_handler() -> Handler:
    """The Lambda's handler, imported now that the environment is set, with a local context."""
    from ..function import app

    def invoke(event: dict[str, Any]) -> Any:
        return app.handler(event, cast("Any", LocalContext()))

    return invoke


class SerialHandler:
    """The handler, called one request at a time, as in one Lambda container.

    The handler's Powertools resolver keeps the request being answered in a module global
    (`resolver.current_event`), so concurrent calls would read each other's events. Lambda never
    runs two requests in one container at once; the local server queues them the same way.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        # Held while the table is saved, too, so that no hit is half written at that moment.
        self.lock = threading.Lock()
        # How many events the handler was given: serve's autosave saves when this changes.
        self.calls = 0

    def __call__(self, event: dict[str, Any]) -> Any:
        with self.lock:
            self.calls += 1
            return self._handler(event)


@dataclass
class Database:
    endpoint: str
    table: str
    # The daily salt's table, beside the hits table in the same DynamoDB.
    salts_table: str
    client: DynamoDBClient
    created: bool
    # Set when the tables live in the embedded DynamoDB and are saved here between runs: the
    # hits table's file; the salts table's lies beside it.
    state_file: Path | None = None
    loaded: int = 0
    embedded: EmbeddedDynamoDB | None = None
    # Set when another process (a running `lambdactr serve`) holds the tables.
    shared_with_pid: int | None = None

    def save(self) -> int:
        """Save both tables; return how many hits-table items were saved."""
        if self.state_file is None:
            return 0
        salts_file = state.state_file(self.state_file.parent, self.salts_table)
        with state.signals_deferred():
            state.save_table(self.client, self.salts_table, salts_file)
            return state.save_table(self.client, self.table, self.state_file)


def describe_local_table(database: Database) -> str:
    """Where the local table came from, in the words of one stderr line."""
    if database.shared_with_pid is not None:
        return f"table {database.table} of lambdactr serve (pid {database.shared_with_pid})"
    if database.state_file is not None:
        if not database.state_file.exists():
            return (
                f"table {database.table}: none saved in {database.state_file.parent}/ yet"
                " (`make serve`, then open http://127.0.0.1:3000/)"
            )
        return f"table {database.table} saved in {database.state_file}"
    return f"table {database.table} at {database.endpoint}"


@contextlib.contextmanager
def open_database(
    args: argparse.Namespace, *, db_port: int, share_running_serve: bool
) -> Iterator[Database]:
    """The tables the handler will write to (hits and salts), configured in the environment.

    With `--endpoint-url` (or AWS_ENDPOINT_URL_DYNAMODB) that DynamoDB is used as it is.
    Otherwise the tables live in an embedded DynamoDB on `db_port`, loaded from `--state-dir`
    first; the caller saves them. With `share_running_serve`, a `lambdactr serve` already
    running from the same state directory lends its tables instead.
    """
    table: str = args.table
    salts = salts_table(args)
    state_dir: Path = args.state_dir

    def client_for(endpoint: str, profile: str | None) -> DynamoDBClient:
        configure_environment(
            table=table, salts=salts, endpoint=endpoint, region=args.region, profile=profile
        )
        return boto3_client(endpoint)

    if args.endpoint_url:
        client = client_for(args.endpoint_url, args.profile)
        created = _ensure(client, table, args.endpoint_url)
        _ensure(client, salts, args.endpoint_url)
        yield Database(args.endpoint_url, table, salts, client, created)
        return

    running = marker.running_serve(state_dir)
    if running is not None:
        if not share_running_serve:
            raise LocalError(
                f"lambdactr serve (pid {running.pid}) is already running with its table in"
                f" {state_dir}/; stop it first, or give this one another --state-dir"
            )
        if (running.table, running.salts_table) == (table, salts):
            client = client_for(running.endpoint, args.profile)
            yield Database(
                running.endpoint, table, salts, client, created=False, shared_with_pid=running.pid
            )
            return

    embedded = EmbeddedDynamoDB("127.0.0.1", db_port)
    try:
        endpoint = embedded.start()
    except OSError as error:
        raise LocalError(
            f"cannot start the embedded DynamoDB on 127.0.0.1:{db_port}: {error.strerror};"
            " choose another --db-port"
        ) from error
    try:
        client = client_for(endpoint, None)
        created = _ensure(client, table, endpoint)
        _ensure(client, salts, endpoint)
        state_file = state.state_file(state_dir, table)
        try:
            state.load_table(client, salts, state.state_file(state_dir, salts))
            loaded = state.load_table(client, table, state_file)
        except state.StateError as error:
            raise LocalError(str(error)) from error
        yield Database(endpoint, table, salts, client, created, state_file, loaded, embedded)
    finally:
        embedded.stop()


def _ensure(client: DynamoDBClient, table: str, endpoint: str) -> bool:
    from botocore.exceptions import BotoCoreError

    try:
        return ensure_table(client, table)
    except UNREACHABLE_ERRORS as error:
        raise LocalError(unreachable_message(client, error)) from error
    except (BotoCoreError, ClientError) as error:
        raise LocalError(f"cannot use table {table} at {endpoint}: {error}") from error


def print_error(message: str) -> None:
    print(f"lambdactr: {message}", file=sys.stderr)


# What an endpoint without TTL (dynalite, some emulators) answers to the TTL calls.
_NO_TTL_CODES = frozenset({"UnknownOperationException", "NotImplementedException"})


def print_warning(message: str) -> None:
    print(f"lambdactr: warning: {message}", file=sys.stderr)


def ensure_table(
    client: DynamoDBClient, table: str, warn: Callable[[str], None] = print_warning
) -> bool:
    """Create the table as the template does (hash key pk, on demand, TTL on ttl) if missing.

    An endpoint without TTL support only gets a warning, and so does an existing table whose
    TTL is off: either way expired hits and salts stay until someone deletes them.
    """
    try:
        client.describe_table(TableName=table)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
    else:
        _check_ttl(client, table, warn)
        return False
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    try:
        client.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": state.TTL_ATTRIBUTE},
        )
    except ClientError as error:
        if error_code(error) not in _NO_TTL_CODES:
            raise
        warn(_no_ttl_message(table, error))
    return True


def _check_ttl(client: DynamoDBClient, table: str, warn: Callable[[str], None]) -> None:
    try:
        description = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    except ClientError as error:
        warn(_no_ttl_message(table, error))
        return
    status = description.get("TimeToLiveStatus", "DISABLED")
    if (
        status in ("ENABLED", "ENABLING")
        and description.get("AttributeName") == state.TTL_ATTRIBUTE
    ):
        return
    warn(
        f"table {table} has TTL {status.lower()}"
        + (f" on {description['AttributeName']!r}" if description.get("AttributeName") else "")
        + f", not on {state.TTL_ATTRIBUTE!r}: expired hits and daily salts are never deleted."
        f" Turn it on: aws dynamodb update-time-to-live --table-name {table}"
        f" --time-to-live-specification Enabled=true,AttributeName={state.TTL_ATTRIBUTE}"
    )


def _no_ttl_message(table: str, error: ClientError) -> str:
    return (
        f"cannot use TTL on table {table} here ({error_code(error) or error}): expired hits and"
        " daily salts stay until deleted by hand"
    )
