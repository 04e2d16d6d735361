"""The deployed handler on a moto table, as the handler tests drive it (the `counter` fixture)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambdactr.function.config import default_salts_table
from lambdactr.function.item import PlainItem, from_dynamodb, is_counter_key, is_hit_key
from tests.support.function import SettableClock, json_lines

TABLE = "lambdactr-test-hits"
SALTS_TABLE = default_salts_table(TABLE)


@dataclass
class Counter:
    """The deployed handler, wired to a moto table through its one seam."""

    client: Any
    invoke_raw: Callable[[dict[str, Any]], dict[str, Any]]
    configure: Callable[..., None]
    # The handler's wall clock, which picks the day's salt: a test moves it to change days.
    clock: SettableClock
    log_stream: io.StringIO = field(default_factory=io.StringIO)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.invoke_raw(event)

    def log_lines(self) -> list[dict[str, Any]]:
        """What the handler logged, one JSON object a line, as CloudWatch would receive it."""
        return json_lines(self.log_stream.getvalue())

    def items(self) -> list[PlainItem]:
        scanned = self.client.scan(TableName=TABLE)["Items"]
        return [from_dynamodb(i) for i in scanned if is_hit_key(i["pk"]["S"])]

    def counters(self) -> dict[tuple[str, str], int]:
        """Every badge counter, by (site, path)."""
        scanned = self.client.scan(TableName=TABLE)["Items"]
        return {
            (i.get("site", {}).get("S", ""), i["path"]["S"]): int(i["n"]["N"])
            for i in scanned
            if is_counter_key(i["pk"]["S"])
        }

    def salt_items(self) -> list[dict[str, Any]]:
        """Everything in the salts table."""
        items: list[dict[str, Any]] = self.client.scan(TableName=SALTS_TABLE)["Items"]
        return items
