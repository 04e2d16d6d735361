"""Coverage-guided fuzzing of the pure core: any request, through `hit_from_request` and `fit`.

Run it with `make fuzz` (FUZZ_SECONDS bounds the run). Each input is decoded into a beacon
request and a config; whenever the request makes a hit, the item the handler would store must
be at most 1 KB, valid UTF-8 and printable, survive the round trip through DynamoDB's format,
and hold no address and nothing from a header that is never kept. Any broken rule, or any
exception, is a finding: libFuzzer saves the input under the artifact prefix.
"""

from __future__ import annotations

import ipaddress
import sys
import unicodedata
from urllib.parse import quote

import atheris

with atheris.instrument_imports():
    from lambdactr.function.config import Config
    from lambdactr.function.hit import (
        KEPT_HEADERS,
        NEVER_STORED_HEADERS,
        BeaconRequest,
        Hit,
        hit_from_request,
    )
    from lambdactr.function.item import MAX_ITEM_BYTES, fit, from_dynamodb, item_size, to_dynamodb

READ_HEADERS = (
    *KEPT_HEADERS,
    "user-agent",
    "accept-language",
    "referer",
    "cloudfront-viewer-country",
)
PARAMS = ("p", "r", "t", "utm_source", "utm_medium", "utm_campaign", "x")
PAGES = ("/", "/posts/a/", "https://blog.example.org/a/?utm_source=s", "//b.example/", "http://")
HOSTS = ("blog.example.org", "*.example.org", "*.")
# Values the code branches on, for the fuzzer to start from and grow.
HEADER_VALUES = (
    "1",
    "prefetch",
    "preview",
    "prefetch;prerender",
    "en-US,en;q=0.9",
    "https://blog.example.org/posts/a/?utm_source=x&utm_medium=y&utm_campaign=z",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0",
    '"Chromium";v="142", "Google Chrome";v="142"',
    "GB",
)
# The only times the handler passes on: API Gateway's timeEpoch within these, else its clock.
EARLIEST_MS = 1_500_000_000_000
LATEST_MS = 4_000_000_000_000
# The marker is built at run time, so no input can hold it unless the harness put it there.
MARKER = "FORBIDDEN" + "-" + "7f3a"
# Control, format and separator characters: what clean() strips from every stored value.
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def text(fdp: atheris.FuzzedDataProvider, limit: int) -> str:
    # Repeating a short piece makes long values cheap, so that items reach the 1 KB bound.
    piece = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, limit))
    return piece * fdp.ConsumeIntInRange(1, 64)


def address(fdp: atheris.FuzzedDataProvider) -> str:
    shape = fdp.ConsumeIntInRange(0, 2)
    if shape == 0:
        return str(ipaddress.IPv4Address(fdp.ConsumeBytes(4).ljust(4, b"\x01")))
    if shape == 1:
        return str(ipaddress.IPv6Address(fdp.ConsumeBytes(16).ljust(16, b"\x01")))
    return text(fdp, 64)


def query(fdp: atheris.FuzzedDataProvider) -> str:
    shape = fdp.ConsumeIntInRange(0, 2)
    if shape == 0:
        return text(fdp, 3000)
    if shape == 1:
        # Every field a query can fill, at once: with crowded headers, more than 1 KB to trim.
        parts = [quote(text(fdp, 20), errors="surrogatepass") for _ in range(8)]
        page = "https://{}/{}?utm_source={}&utm_medium={}&utm_campaign={}".format(*parts[:5])
        referrer = f"https://{parts[5]}/{parts[6]}"
        return f"p={quote(page)}&r={quote(referrer)}&t={parts[7]}"
    pairs = []
    for _ in range(fdp.ConsumeIntInRange(0, 6)):
        name = fdp.PickValueInList(list(PARAMS)) if fdp.ConsumeBool() else text(fdp, 8)
        value = (
            fdp.PickValueInList(list(PAGES)) + text(fdp, 300)
            if fdp.ConsumeBool()
            else text(fdp, 300)
        )
        pairs.append(f"{name}={value}")
    return "&".join(pairs)


def request_from(data: bytes) -> tuple[BeaconRequest, Config, list[str], str]:
    fdp = atheris.FuzzedDataProvider(data)
    config = Config(
        allowed_hosts=tuple(
            fdp.PickValueInList(list(HOSTS)) if fdp.ConsumeBool() else text(fdp, 20).lower()
            for _ in range(fdp.ConsumeIntInRange(0, 2))
        ),
        retention_days=fdp.ConsumeIntInRange(1, 100_000),
        respect_dnt=fdp.ConsumeBool(),
    )
    source_ip = address(fdp)
    forwarded_ip = address(fdp)
    headers: dict[str, str] = {}
    if fdp.ConsumeBool():
        # Every header that is kept, at once: the items that press on the 1 KB bound.
        headers.update((name, text(fdp, 40)) for name in READ_HEADERS)
    for _ in range(fdp.ConsumeIntInRange(0, 16)):
        name = (
            fdp.PickValueInList(list(READ_HEADERS)) if fdp.ConsumeBool() else text(fdp, 16).lower()
        )
        seed = fdp.PickValueInList(list(HEADER_VALUES)) if fdp.ConsumeBool() else ""
        headers[name] = seed + text(fdp, 400)
    readable = "\n".join([*headers, *headers.values()])
    for name in NEVER_STORED_HEADERS:
        if fdp.ConsumeBool():
            headers[name] = f"{forwarded_ip} {MARKER}-{name} {text(fdp, 40)}"
    raw_query = query(fdp)
    request = BeaconRequest(
        kind="css" if fdp.ConsumeBool() else "gif",
        method=fdp.PickValueInList(["GET", "GET", "HEAD", "POST"]),
        raw_query=raw_query,
        headers=headers,
        source_ip=source_ip,
        time_ms=fdp.ConsumeIntInRange(EARLIEST_MS, LATEST_MS),
    )
    secrets = [MARKER, source_ip, forwarded_ip]
    return request, config, secrets, readable + "\n" + raw_query


def check_item(item: dict[str, object], secrets: list[str], readable: str) -> None:
    size = item_size(item)  # type: ignore[arg-type]
    assert size <= MAX_ITEM_BYTES, f"{size} bytes: {item!r}"
    values: list[str] = []
    for name, value in item.items():
        if isinstance(value, dict):
            values += [*value.keys(), *value.values()]
        elif isinstance(value, str):
            values.append(value)
        else:
            assert isinstance(value, int), f"{name}={value!r}"
    for value in values:
        value.encode("utf-8")  # a lone surrogate here would be refused by DynamoDB
        assert not any(unicodedata.category(c) in UNPRINTABLE_CATEGORIES for c in value), (
            f"unprintable character in {value!r}"
        )
    assert from_dynamodb(to_dynamodb(item)) == item  # type: ignore[arg-type]
    assert str(item["path"]).startswith("/")
    stored = "\n".join(values)
    for secret in secrets:
        # An address short enough to occur by chance, or one the visitor typed into the page's
        # own URL, proves nothing either way.
        if len(secret) >= 7 and secret not in readable:
            assert secret not in stored, f"{secret!r} stored: {item!r}"


def test_one_input(data: bytes) -> None:
    request, config, secrets, readable = request_from(data)
    outcome = hit_from_request(request, config)
    if not isinstance(outcome, Hit):
        return
    item = fit({"pk": "0" * 32, **outcome.fields, "vid": "0" * 16})
    check_item(item, secrets, readable)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
