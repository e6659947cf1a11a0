"""The bound on customer edits (sidebar/wecom/write_slots.py) on its own: slots across
holders, a turn per staff member and customer, leases that end, and the shared cache down."""

import threading
import time

import pytest
from django.core.cache import caches

from sidebar.exceptions import WeComWritesBusy
from sidebar.wecom.write_slots import WriteSlots

PATH = "/cgi-bin/externalcontact/remark"


class BrokenCache:
    """A shared cache that does not answer (Redis down, IGNORE_EXCEPTIONS off)."""

    def add(self, *args, **kwargs):
        raise ConnectionError("no Redis")

    get = delete = add


def most_at_once(slots: WriteSlots, pairs: list[tuple[str, str]], *, hold: float) -> tuple:
    """Run one edit per pair at once, each holding its slot for `hold` s: (the most that held
    a slot at the same time, the refusals)."""
    lock, inside, most, refused = threading.Lock(), [0], [0], []
    start = threading.Barrier(len(pairs))

    def edit(userid, external_userid):
        start.wait(timeout=30)
        try:
            with slots.slot(userid=userid, external_userid=external_userid, path=PATH):
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(hold)
                with lock:
                    inside[0] -= 1
        except WeComWritesBusy as exc:
            refused.append(exc)

    threads = [threading.Thread(target=edit, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return most[0], refused


def test_at_most_five_hold_a_slot_and_the_rest_wait_for_one():
    slots = WriteSlots(caches["wecom"], corp_id="wwA", lease=30, wait=20)
    pairs = [(f"staff{n}", "wmCustomer") for n in range(12)]
    assert most_at_once(slots, pairs, hold=0.1) == (5, [])


def test_one_staff_members_entry_is_edited_once_at_a_time():
    slots = WriteSlots(caches["wecom"], corp_id="wwA", lease=30, wait=20)
    assert most_at_once(slots, [("zhangsan", "wmCustomer")] * 3, hold=0.1) == (1, [])


def test_a_full_bound_is_refused_unsent_after_the_wait():
    slots = WriteSlots(caches["wecom"], corp_id="wwA", lease=30, wait=0.2)
    for n in range(5):
        assert caches["wecom"].add(f"{slots.prefix}:slot:{n}", "another process", timeout=30)
    with pytest.raises(WeComWritesBusy), slots.slot(userid="u", external_userid="wm", path=PATH):
        pass


def test_a_slot_whose_holder_died_is_free_when_its_lease_ends():
    slots = WriteSlots(caches["wecom"], corp_id="wwA", lease=1, wait=5)
    for n in range(5):
        caches["wecom"].add(f"{slots.prefix}:slot:{n}", "a dead process", timeout=1)
    started = time.monotonic()
    with slots.slot(userid="u", external_userid="wm", path=PATH):
        assert time.monotonic() - started < 5


def test_corps_do_not_share_slots():
    a = WriteSlots(caches["wecom"], corp_id="wwA", lease=30, wait=0.2)
    b = WriteSlots(caches["wecom"], corp_id="wwB", lease=30, wait=0.2)
    for n in range(5):
        caches["wecom"].add(f"{a.prefix}:slot:{n}", "busy", timeout=30)
    with b.slot(userid="u", external_userid="wm", path=PATH):
        pass


def test_without_the_shared_cache_the_bound_holds_in_this_process():
    slots = WriteSlots(BrokenCache(), corp_id="wwA", lease=30, wait=20)
    pairs = [(f"staff{n}", "wmCustomer") for n in range(8)] + [("staff0", "wmCustomer")] * 2
    most, refused = most_at_once(slots, pairs, hold=0.1)
    assert most == 5 and refused == []
