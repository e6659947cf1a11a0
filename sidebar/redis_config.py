"""Reading the Redis Sentinel settings (docs/deploying.md, "Redis with Sentinel") into what
django-redis takes: its Sentinel connection factory, which asks the sentinels for the current
master on every new connection, so a failover is followed without a restart."""

from django.core.exceptions import ImproperlyConfigured

SENTINEL_PORT = 26379  # Redis Sentinel's own default
# Sentinels answer in microseconds; a dead one should cost little before the next is asked.
SENTINEL_SOCKET_TIMEOUT = 0.5


def sentinel_address(text: str) -> tuple[str, int]:
    """`host:port` (or `host`, or `[ipv6]:port`) from REDIS_SENTINELS, as (host, port)."""
    text = text.strip()
    host, port = text, str(SENTINEL_PORT)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(
            f"REDIS_SENTINELS has {text!r}, which is not host:port (e.g. 10.0.0.5:26379)."
        )
    return host, int(port)


def sentinel_options(sentinels: list[tuple[str, int]], password: str = "") -> dict:
    """django-redis OPTIONS that reach the master through `sentinels`. The master's own
    password stays in REDIS_URL; `password` is the sentinels' (REDIS_SENTINEL_PASSWORD)."""
    sentinel_kwargs = {
        "socket_connect_timeout": SENTINEL_SOCKET_TIMEOUT,
        "socket_timeout": SENTINEL_SOCKET_TIMEOUT,
    }
    if password:
        sentinel_kwargs["password"] = password
    return {
        "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
        "SENTINELS": sentinels,
        "SENTINEL_KWARGS": sentinel_kwargs,
    }
