"""The reconnection delays (revokd_verifier._backoff), with the jitter's random source pinned at its two
ends so the bounds themselves are seen: short after a healthy stream is lost, growing on repeated
failures, and a server's ``retry:`` clamped both ways (the same rules as the Node verifier)."""

from __future__ import annotations

from collections.abc import Callable

from revokd_verifier._backoff import MIN_RETRY_MS, QUICK_ATTEMPTS, ReconnectBackoff


def lowest() -> float:
    return 0.0


def highest() -> float:
    return 0.999999


def delays(backoff: ReconnectBackoff, n: int, start: Callable[[], None]) -> list[float]:
    """The delays before ``n`` attempts that all fail, the first one right after ``start``."""
    start()
    out: list[float] = []
    for i in range(n):
        if i > 0:
            backoff.failed()
        out.append(backoff.next_delay_ms())
    return out


def test_after_a_healthy_stream_is_lost_quick_attempts_within_retry_then_doubling_to_the_cap() -> None:
    for rand in (lowest, highest):
        backoff = ReconnectBackoff(initial_ms=100, max_ms=5000, rand=rand)
        backoff.server_retry(250)
        seen = delays(backoff, QUICK_ATTEMPTS + 6, backoff.lost_healthy)
        assert all(125 <= d <= 250 for d in seen[:QUICK_ATTEMPTS]), seen
        ceilings = [500, 1000, 2000, 4000, 5000, 5000]
        assert all(c / 2 <= d <= c for d, c in zip(seen[QUICK_ATTEMPTS:], ceilings, strict=True)), seen


def test_failures_with_no_healthy_stream_before_them_grow_from_the_first() -> None:
    backoff = ReconnectBackoff(initial_ms=100, max_ms=5000, rand=highest)
    assert [round(d) for d in delays(backoff, 4, backoff.failed)] == [200, 400, 800, 1600]


def test_healthy_loss_resets_growth_and_an_unproven_stream_resets_it_without_hurrying() -> None:
    backoff = ReconnectBackoff(initial_ms=100, max_ms=5000, rand=highest)
    for _ in range(8):
        backoff.failed()
    backoff.lost_healthy()
    assert round(backoff.next_delay_ms()) == 100
    for _ in range(8):
        backoff.failed()
    backoff.lost_unproven()
    assert [round(d) for d in delays(backoff, 3, lambda: None)] == [100, 200, 400]


def test_retry_zero_is_clamped_to_the_floor_and_still_jittered_a_huge_retry_to_the_cap() -> None:
    low = ReconnectBackoff(initial_ms=100, max_ms=5000, rand=lowest)
    high = ReconnectBackoff(initial_ms=100, max_ms=5000, rand=highest)
    for backoff in (low, high):
        backoff.server_retry(0)
        backoff.lost_healthy()
    assert low.next_delay_ms() == MIN_RETRY_MS / 2
    assert high.next_delay_ms() > MIN_RETRY_MS * 0.99
    high.server_retry(10**9)
    high.lost_healthy()
    assert high.next_delay_ms() <= 5000
