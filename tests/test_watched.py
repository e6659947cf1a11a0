"""Record versions kept in each process and told of every change over Redis
(sidebar.watched, sidebar.records.versions), against a real redis-server."""

import pytest
import redis
from django.core.cache import caches

from sidebar.records import versions
from tests.waiting import until

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched(redis_settings):
    """The app on Redis, this process listening for announcements; a raw client beside it,
    playing another process."""
    other = redis.Redis.from_url(redis_settings.url)
    versions.current("wmWarm")  # starts the listener
    until(lambda: versions._watched._live, "the listener subscribed")
    yield other
    other.close()


def read_from_redis(monkeypatch) -> list[list[str]]:
    calls = []
    cache = caches["default"]
    real = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: calls.append(keys) or real(keys))
    return calls


def set_elsewhere(other, target_id: str, token: str, *, announce: bool) -> None:
    """What another process's change does: the new token, then (with `announce`) the word."""
    key = versions.key_to_drop(target_id)
    other.set(caches["default"].make_key(key), caches["default"].client.encode(token))
    if announce:
        other.publish(versions._watched.channel(), key)


def test_a_version_once_read_is_not_asked_of_redis_again(watched, monkeypatch):
    first = versions.current("wmA")
    asked = read_from_redis(monkeypatch)
    assert [versions.current("wmA") for _ in range(5)] == [first] * 5
    assert asked == []


def test_a_change_another_process_announces_is_heard_at_once(watched, monkeypatch):
    first = versions.current("wmA")
    set_elsewhere(watched, "wmA", "changed-elsewhere", announce=False)
    assert versions.current("wmA") == first  # the copy: nobody said it changed
    set_elsewhere(watched, "wmA", "changed-elsewhere", announce=True)
    until(lambda: versions.current("wmA").startswith("changed-elsewhere/"), "heard")


def test_a_change_made_here_is_announced_after_the_commit(
    watched, django_capture_on_commit_callbacks
):
    first = versions.current("wmA")
    channel = watched.pubsub()
    channel.subscribe(versions._watched.channel())
    with django_capture_on_commit_callbacks(execute=True):
        versions.changed("wmA")
    messages = []

    def announced() -> bool:
        message = channel.get_message(timeout=0.1)
        if message is not None:
            messages.append(message)
        return any(m["type"] == "message" for m in messages)

    until(announced, "the announcement")
    said = next(x for x in messages if x["type"] == "message")
    assert said["data"] == versions.key_to_drop("wmA").encode()
    assert versions.current("wmA") not in (None, first)
    channel.close()


def test_without_a_subscription_every_read_goes_to_redis(watched, redis_settings, monkeypatch):
    versions.current("wmA")
    watched.client_kill_filter(_type="pubsub")  # the listener's connection drops
    until(lambda: not versions._watched._live, "the listener noticed")
    set_elsewhere(watched, "wmA", "unannounced", announce=False)
    assert versions.current("wmA").startswith("unannounced/")  # read through
    until(lambda: versions._watched._live, "the listener subscribed again")
    set_elsewhere(watched, "wmA", "after", announce=True)
    until(lambda: versions.current("wmA").startswith("after/"), "heard again")


def test_an_announcement_during_a_read_keeps_no_copy(watched, monkeypatch):
    """A read that an announcement overtook may hold the old value: it is not kept."""
    cache = caches["default"]
    real = cache.get_many
    asked = []

    def overtaken(keys):
        asked.append(keys)
        found = real(keys)
        if len(asked) == 1:
            versions._watched.forget([versions.key_to_drop("wmA")])  # told meanwhile
        return found

    monkeypatch.setattr(cache, "get_many", overtaken)
    versions.current("wmA")
    versions.current("wmA")
    versions.current("wmA")
    assert len(asked) == 2  # read again after the overtaken read; kept from the second
