"""HTTP sessions for calls to other services (WeCom, Juzi): pooled connections, no automatic
retries (each client decides what is worth retrying), and our own User-Agent."""

import requests
from requests.adapters import HTTPAdapter

USER_AGENT = "sidebar/0.1 (WeCom chat-toolbar app)"


def pooled_session(*, pool_maxsize: int = 32) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session
