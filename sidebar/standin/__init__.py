"""A stand-in for WeCom's servers, for tests and local runs (never used in production code
paths: the app reaches it only through the WECOM_* URLs)."""
