"""Waiting in tests for a condition, never for a time: poll until it holds, with a generous
deadline (CI shares a busy 2-core machine), and fail saying what never happened."""

import time


def until(condition, what: str = "the condition", *, seconds: float = 60.0, every=0.05):
    """Poll `condition()` until it answers something true, and answer that; raise
    AssertionError naming `what` if it has not by the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(every)
