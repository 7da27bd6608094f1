"""One error type for the controller, and one way to print a database error."""
from __future__ import annotations

import re


class PyctlError(Exception):
    """An expected failure: printed as one line, no traceback."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def speak_flags(text: str, flags: dict[str, str] | None) -> str:
    """`text` with the SQL parameter names a command's flags stand for
    replaced by those flags (p_tier_cap -> --tier-cap), so that a message
    meant for SQL callers reads right on the command line."""
    if not flags:
        return text
    text = re.sub(r"\bp_\w+\b", lambda m: flags.get(m.group(0), m.group(0)), text)
    # "leave --tier-cap NULL" is "leave out --tier-cap" to a shell user
    return re.sub(r"\b([Ll]eave) (--[\w-]+) NULL\b", r"\1 out \2", text)


def format_db_error(e, flags: dict[str, str] | None = None) -> str:
    """`SQLSTATE: message | detail: ... | hint: ...` on one line, for a
    psycopg error; `flags` maps SQL parameter names to the command line's
    flags (see speak_flags)."""
    diag = getattr(e, "diag", None)
    code = getattr(e, "sqlstate", None) or "?????"
    msg = (getattr(diag, "message_primary", None) or str(e) or type(e).__name__).strip()
    msg = speak_flags(" ".join(msg.split()), flags)
    parts = [f"{code}: {msg}"]
    detail = getattr(diag, "message_detail", None)
    hint = getattr(diag, "message_hint", None)
    if detail:
        parts.append(f"detail: {speak_flags(' '.join(detail.split()), flags)}")
    if hint:
        parts.append(f"hint: {speak_flags(' '.join(hint.split()), flags)}")
    if code == "?????":
        parts = [f"cannot connect or run: {msg}"]
    return " | ".join(parts)
