"""Staff members' names, where WeCom gives a userid (docs/wecom.md, "Staff names").

`user/get` names one member at a time (there is no batch form; `user/list` needs a
department), so names are cached per app for a day and read many at a time in one round
trip. A customer group's member list already carries its members' names (`need_name`), so
panels take those first and ask here only for the rest. What people see never waits on a
failing WeCom: `shown` falls back to the userid, asks WeCom for a few names per call at
most, stops asking at the first network failure, and remembers for ten minutes that WeCom
refused to name a member.
"""

from collections.abc import Iterable

from django.core.cache import caches

from sidebar.exceptions import WeComAPIError, WeComError

# Names change rarely; a renamed member shows their new name within a day.
NAME_SECONDS = 24 * 3600
# The most user/get calls one `shown` makes; the others show their userid this time.
MOST_FETCHED = 5
# WeCom refusing to name a member (outside the app's visible range, unknown, left the corp)
# is remembered this long: a group with such a member would otherwise ask on every panel.
REFUSED_SECONDS = 600
REFUSING_ERRCODES = {
    60011,  # no privilege: outside the app's visible range
    60111,  # userid not found
    40003,  # invalid userid
    46004,  # the member does not exist
}


def _key(client, userid: str) -> str:
    return f"staff:{client.app.scope}:{userid}"


def keys(*, client, userids) -> list[str]:
    """The cache keys of these members' names (services.forget_cached_lookups drops them)."""
    return [_key(client, userid) for userid in userids]


def name(client, userid: str) -> str:
    """The member's name in WeCom ('' when WeCom gives none). Raises WeComError: for a
    message that names its sender, a failure is worth explaining, not papering over."""
    cache = caches["default"]
    found = cache.get(_key(client, userid))
    if found is None:
        found = _fetch(client, userid)
        cache.set(_key(client, userid), found, timeout=NAME_SECONDS)
    return found


def shown(client, userids: Iterable[str]) -> dict[str, str]:
    """{userid: what to show for them}: their name, else the userid itself. Never raises."""
    return {userid: found or userid for userid, found in _known(client, userids).items()}


def known(client, userid: str) -> str:
    """The member's name as far as it can be learnt now: cached, else asked once ('' when
    WeCom gives none or cannot be asked just now). Never raises."""
    return _known(client, [userid]).get(userid, "")


def _known(client, userids: Iterable[str]) -> dict[str, str]:
    """{userid: name or ''} for the non-empty userids, asking WeCom for MOST_FETCHED at most."""
    wanted = [userid for userid in dict.fromkeys(userids) if userid]
    if not wanted:
        return {}
    cache = caches["default"]
    keys = {userid: _key(client, userid) for userid in wanted}
    cached = cache.get_many(keys.values())
    names = {userid: cached.get(key) for userid, key in keys.items()}
    missing = [userid for userid, found in names.items() if found is None]
    for userid in missing[:MOST_FETCHED]:
        try:
            names[userid] = _fetch(client, userid)
        except WeComAPIError as exc:
            if exc.errcode in REFUSING_ERRCODES:  # no name for a while: not asked again
                cache.set(keys[userid], "", timeout=REFUSED_SECONDS)
            continue  # rate-limited, busy, ...: no name this time
        except WeComError:
            break  # WeCom unreachable: no more waiting on it in this call
        cache.set(keys[userid], names[userid], timeout=NAME_SECONDS)
    return {userid: names[userid] or "" for userid in wanted}


def _fetch(client, userid: str) -> str:
    return str(client.get_user(userid).get("name") or "").strip()
