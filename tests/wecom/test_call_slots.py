"""When a call finding every slot taken waits for one and when it is refused at once
(sidebar.wecom.api.CallSlots). The clock is the test's own, so "how long a call has been in
flight" is set, not slept for, and nothing here depends on how busy the machine is."""

import threading
import time
from contextlib import ExitStack

import pytest

from sidebar.exceptions import WeComOverloaded
from sidebar.wecom.api import CallSlots


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def wait_for_reads(self, count: int, thread: threading.Thread) -> None:
        """Until the clock has been read `count` times in all (a waiter reads it each time it
        wakes to look at the slots again, every 0.1 s at most) or `thread` has ended."""
        deadline = time.monotonic() + 60
        while self.reads < count and thread.is_alive():
            assert time.monotonic() < deadline, "the call never came back to look at the slots"
            time.sleep(0.01)


def start_call(stack: ExitStack, slots: CallSlots) -> ExitStack:
    """Take one slot until the returned stack is closed."""
    call = ExitStack()
    call.enter_context(slots.slot(priority=True, path="/cgi-bin/test"))
    stack.callback(call.close)
    return call


def ask_in_background(slots: CallSlots):
    """A further priority call, made in a thread: (thread, outcomes) with outcomes 'sent' or
    the exception it raised."""
    outcomes = []

    def call():
        try:
            with slots.slot(priority=True, path="/cgi-bin/test"):
                outcomes.append("sent")
        except Exception as exc:  # collected and asserted by the test
            outcomes.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread, outcomes


@pytest.fixture
def clock():
    return Clock()


def test_one_late_call_among_several_does_not_turn_a_burst_away(clock):
    """Three slots taken, one of them for 5 s: the fourth call waits for a slot (the clock
    never reaches its give-up time) and is sent as soon as a quick call finishes."""
    slots = CallSlots(3, wait=2.0, slow=1.0, clock=clock)
    with ExitStack() as stack:
        start_call(stack, slots)
        clock.now += 5.0
        quick = start_call(stack, slots)
        start_call(stack, slots)
        reads = clock.reads
        thread, outcomes = ask_in_background(slots)
        clock.wait_for_reads(reads + 6, thread)  # it has looked at the slots more than once
        assert thread.is_alive() and outcomes == []  # waiting, not refused
        quick.close()
        thread.join(timeout=60)
    assert outcomes == ["sent"]


@pytest.mark.parametrize("late", [2, 3])
def test_half_the_calls_in_flight_running_late_means_wecom_is_slow(clock, late):
    """When half or more of the calls in flight have run past `slow`, a call finding no slot
    is refused at once, without waiting for its give-up time (which this clock never
    reaches)."""
    slots = CallSlots(3, wait=2.0, slow=1.0, clock=clock)
    with ExitStack() as stack:
        for _ in range(late):
            start_call(stack, slots)
        clock.now += 1.5
        for _ in range(3 - late):
            start_call(stack, slots)
        thread, outcomes = ask_in_background(slots)
        thread.join(timeout=60)
    assert len(outcomes) == 1 and isinstance(outcomes[0], WeComOverloaded)


def test_a_burst_against_a_healthy_wecom_gives_up_after_the_wait(clock):
    """Every call in flight is quick but none finishes: the waiter is refused once its wait
    has run out on the clock."""
    slots = CallSlots(3, wait=2.0, slow=60.0, clock=clock)
    with ExitStack() as stack:
        for _ in range(3):
            start_call(stack, slots)
        reads = clock.reads
        thread, outcomes = ask_in_background(slots)
        clock.wait_for_reads(reads + 4, thread)  # its give-up time is set and it is waiting
        assert thread.is_alive() and outcomes == []
        clock.now += 2.5
        thread.join(timeout=60)
    assert len(outcomes) == 1 and isinstance(outcomes[0], WeComOverloaded)


def test_slow_recent_calls_mean_wecom_is_slow(clock):
    """Calls that took longer than `slow` on average: a call finding no slot is refused at
    once even though the calls in flight have only just begun."""
    slots = CallSlots(1, wait=2.0, slow=1.0, clock=clock)
    for _ in range(10):
        with slots.slot(priority=True, path="/cgi-bin/test"):
            clock.now += 3.0
    with ExitStack() as stack:
        start_call(stack, slots)
        thread, outcomes = ask_in_background(slots)
        thread.join(timeout=60)
    assert len(outcomes) == 1 and isinstance(outcomes[0], WeComOverloaded)
