"""One error type for the controller, and one way to print a database error."""
from __future__ import annotations


class PyctlError(Exception):
    """An expected failure: printed as one line, no traceback."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def format_db_error(e) -> str:
    """`SQLSTATE: message (hint: ...)` on one line, for a psycopg error."""
    diag = getattr(e, "diag", None)
    code = getattr(e, "sqlstate", None) or "?????"
    msg = (getattr(diag, "message_primary", None) or str(e) or type(e).__name__).strip()
    msg = " ".join(msg.split())
    parts = [f"{code}: {msg}"]
    detail = getattr(diag, "message_detail", None)
    hint = getattr(diag, "message_hint", None)
    if detail:
        parts.append(f"detail: {' '.join(detail.split())}")
    if hint:
        parts.append(f"hint: {' '.join(hint.split())}")
    if code == "?????":
        parts = [f"cannot connect or run: {msg}"]
    return " | ".join(parts)
