"""Which database a command talks to, and how to connect to it.

Every command takes `--dsn` (declared once, in pyctl.commands); `resolve_dsn`
turns it into a URL: the given one, else DATABASE_URL, else the embedded
cluster under `.pyctl/` (started when needed).
"""
from __future__ import annotations

import os
import sys
from urllib.parse import quote, urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pyctl.errors import PyctlError

#: seconds to wait for a server before giving up with one clear line
CONNECT_TIMEOUT = 10


def resolve_dsn(dsn: str | None = None, *, start: bool = True) -> str:
    """The DSN to use: `dsn`, else $DATABASE_URL, else the embedded cluster's
    URL (starting that cluster when `start` is true and it is not running)."""
    if dsn:
        return dsn
    env = os.environ.get("DATABASE_URL")
    if env:
        return env
    from pyctl.cluster import Cluster

    cluster = Cluster()
    if not cluster.is_running():
        if not start:
            raise PyctlError("no --dsn, no DATABASE_URL, and the embedded cluster is not running "
                             "(start it with `pyctl db start`)")
        cluster.start(echo=lambda msg: print(msg, file=sys.stderr))
    return cluster.url()


def parse(dsn: str) -> dict[str, str]:
    """The connection parameters of a URL or key=value DSN."""
    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    except psycopg.Error as e:
        raise PyctlError(f"invalid DSN {redact(dsn)!r}: {' '.join(str(e).split())}") from None


def redact(dsn: str) -> str:
    """`dsn` with any password replaced by ***, for messages and reports."""
    try:
        params = conninfo_to_dict(dsn)
    except Exception:
        return "<unparsable dsn>"
    if "password" not in params:
        return dsn
    params["password"] = "***"
    return to_url(params)


def to_url(params: dict, scheme: str = "postgresql") -> str:
    """A URL carrying every parameter in its query string (works for unix
    socket hosts and options alike)."""
    return f"{scheme}:///?{urlencode({k: str(v) for k, v in params.items()}, quote_via=quote)}"


def yoyo_url(dsn: str, settings: dict[str, str] | None = None) -> str:
    """The DSN as a yoyo URL for psycopg 3 (`postgresql+psycopg://`), with
    `settings` added to its session options."""
    return to_url(with_settings(parse(dsn), settings), scheme="postgresql+psycopg")


def with_settings(params: dict[str, str], settings: dict[str, str] | None) -> dict[str, str]:
    """Connection parameters whose `options` also set `settings` (-c name=value)."""
    if not settings:
        return params
    extra = " ".join(f"-c {k}={v}" for k, v in settings.items())
    params = dict(params)
    params["options"] = f"{params['options']} {extra}" if params.get("options") else extra
    return params


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    params = parse(dsn)
    params["dbname"] = dbname
    return to_url(params)


def connect(dsn: str, *, autocommit: bool = False, settings: dict[str, str] | None = None,
            **kwargs) -> psycopg.Connection:
    """Open a connection (with `settings` as session options); a failure
    becomes one PyctlError line."""
    kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT)
    if settings:
        kwargs["options"] = with_settings(parse(dsn), settings)["options"]
    try:
        return psycopg.connect(dsn, autocommit=autocommit, **kwargs)
    except psycopg.Error as e:
        msg = " ".join(str(e).split()) or type(e).__name__
        if "unsupported startup parameter" in msg:  # pgbouncer's 08P01 (the SQLSTATE is not passed on)
            msg += (" | 08P01: a connection pooler refuses this startup parameter; remove it from the DSN"
                    " (pyctl needs none) or connect to the server directly")
        raise PyctlError(f"cannot connect to {redact(dsn)}: {msg}") from None
