"""The layout of DynamoDB's exports to S3, as the Analytics stack lays them out, on a local disk.

Each UTC day's incremental export goes to `hits/dt=YYYY-MM-DD/`, DynamoDB putting its data
files under `AWSDynamoDB/data/` and its manifests under `AWSDynamoDB/<ExportId>/`. Every data
file is gzipped DynamoDB JSON, one record a line:

- a full export's line: `{"Item": {...}}`;
- an incremental record: `{"Metadata": {"WriteTimestampMicros": {"N": ...}}, "Keys": {...},
  "NewImage": {...}}`, and a delete has no `NewImage`.

`lambdactr export --to-dir` writes a table in this layout, and the `duckdb` engine reads any
copy of it (`aws s3 sync s3://BUCKET/hits DIR/hits`), so both the Glue table and DuckDB read
`hits/dt=*/AWSDynamoDB/data/*.json.gz`.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

EXPORT_PREFIX = "hits"
DATA_FOLDER = "AWSDynamoDB/data"
DATA_SUFFIX = ".json.gz"
# Several files let DuckDB read (and gunzip) them on every core; DynamoDB splits its own too.
ITEMS_PER_FILE = 250_000
_PARTITION = re.compile(r"dt=(\d{4}-\d{2}-\d{2})")


def partition_prefix(day: str) -> str:
    """The S3 prefix (and local folder) of one UTC day's export: `hits/dt=YYYY-MM-DD/`."""
    return f"{EXPORT_PREFIX}/dt={day}/"


def export_id() -> str:
    """An id shaped like DynamoDB's (`<epoch ms>-<8 hex>`), for the manifest folder."""
    return f"{int(time.time() * 1000)}-{secrets.token_hex(4)}"


def data_files(root: Path) -> list[Path]:
    """Every export data file under `root`: a copy of the bucket, or of its `hits/` folder."""
    return sorted(path for path in root.rglob(f"*{DATA_SUFFIX}") if path.parent.name == "data")


# DynamoDB writes an export's summary manifest (`AWSDynamoDB/<ExportId>/manifest-summary.json`)
# when the export completes: a day's folder or data files alone only say that it started.
MANIFEST_SUMMARY = "manifest-summary.json"
# How `export --full` names the data files it files under a day (its manifests stay behind in
# the staging prefix): a full export holds every hit stored before it ran.
BACKFILL_FILE_PREFIX = "backfill-"


def day_of_key(key: str) -> str | None:
    """The day (`dt=`) an S3 key or local path is filed under."""
    match = _PARTITION.search(key)
    return match.group(1) if match else None


def partitions(root: Path) -> list[str]:
    """The days (`dt=`) that hold data under `root`, oldest first."""
    days = {match.group(1) for path in data_files(root) if (match := _PARTITION.search(str(path)))}
    return sorted(days)


def _encode(value: object) -> Any:
    # DynamoDB JSON writes binary values (B, BS) as base64.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} as DynamoDB JSON")


class ExportWriter:
    """Writes one export's data files and its manifest summary under `root`, in the layout above.

    `add_item` writes a full export's line; `add_new_image` and `add_delete` write incremental
    records. Attributes are DynamoDB JSON (`{"pk": {"S": ...}}`), as the low-level client
    returns them.
    """

    def __init__(
        self,
        root: Path,
        day: str,
        *,
        export_type: str = "FULL_EXPORT",
        items_per_file: int = ITEMS_PER_FILE,
        compresslevel: int = 6,
    ) -> None:
        self.id = export_id()
        self.day = day
        self.export_type = export_type
        self.folder = root / partition_prefix(day)
        self._data = self.folder / DATA_FOLDER
        self._data.mkdir(parents=True, exist_ok=True)
        self._items_per_file = items_per_file
        self._compresslevel = compresslevel
        self._file: IO[str] | None = None
        self._in_file = 0
        self._files = 0
        self.records = 0

    def add_item(self, attributes: Mapping[str, Any]) -> None:
        self._write({"Item": attributes})

    def add_new_image(
        self, keys: Mapping[str, Any], attributes: Mapping[str, Any], written_micros: int
    ) -> None:
        self._write({**_metadata(written_micros), "Keys": keys, "NewImage": attributes})

    def add_delete(self, keys: Mapping[str, Any], written_micros: int) -> None:
        self._write({**_metadata(written_micros), "Keys": keys})

    def _write(self, record: Mapping[str, Any]) -> None:
        if self._file is None or self._in_file >= self._items_per_file:
            self._close_file()
            path = self._data / f"{self.id}-{self._files:05d}{DATA_SUFFIX}"
            # Closed by _close_file, when the file is full or the writer closes.
            self._file = gzip.open(  # noqa: SIM115
                path, "wt", encoding="utf-8", compresslevel=self._compresslevel
            )
            self._files += 1
        self._file.write(json.dumps(record, separators=(",", ":"), default=_encode))
        self._file.write("\n")
        self._in_file += 1
        self.records += 1

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._in_file = 0

    def close(self) -> Path:
        """Finish the last data file and write the manifest summary; return the day's folder."""
        self._close_file()
        manifest = self.folder / "AWSDynamoDB" / self.id / "manifest-summary.json"
        manifest.parent.mkdir(parents=True, exist_ok=True)
        summary = {
            "version": "2023-08-01",
            "exportType": self.export_type,
            "outputFormat": "DYNAMODB_JSON",
            "itemCount": self.records,
            "dataFileCount": self._files,
            "outputView": "NEW_IMAGE" if self.export_type == "INCREMENTAL_EXPORT" else None,
        }
        manifest.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        return self.folder

    def __enter__(self) -> ExportWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _metadata(written_micros: int) -> dict[str, Any]:
    return {"Metadata": {"WriteTimestampMicros": {"N": str(written_micros)}}}
