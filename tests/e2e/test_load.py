"""Load without loss: 5,000 mixed requests at concurrency 50 against `lambdactr serve`."""

from __future__ import annotations

import pytest

from tests.support.load import plan, run_load, summary
from tests.support.serve import StartServe

pytestmark = pytest.mark.slow


def test_mixed_load_stores_exactly_the_countable_hits_and_never_a_5xx(
    serve_factory: StartServe,
) -> None:
    serve = serve_factory()
    result = run_load("127.0.0.1", serve.port, plan(5000), concurrency=50)
    stored = len(serve.hits())
    print(summary(result, stored))
    assert result.server_errors == 0
    assert result.unexpected == []
    assert set(result.statuses) == {200, 404}
    assert stored == result.expected_stored
    # The plan is a real mix, not all of one kind.
    assert 2000 < result.expected_stored < 4000
    assert result.statuses[404] > 300
