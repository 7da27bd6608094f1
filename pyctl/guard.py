"""Tool canon guard (docs/reference/operations.md): Python's way into
`shq.fn_validate_tool_invocation`.

The rules live in the database; this module only calls them and turns a
violation into an exception.

    from pyctl.guard import ToolCanonGuard, InteractionType, ToolCanonViolationError

    guard = ToolCanonGuard(conn)
    result = guard.validate("TOOL-008", "company-target", InteractionType.ENRICH,
                            gate_state={"domain_verified": True, "mx_present": True})
    if not result.is_valid:
        raise ToolCanonViolationError(result.violation)
    guard.check(...)            # the same, raising ToolCanonViolationError itself

The decorator blocks the wrapped call unless the invocation is valid:

    @enforce_tool_canon("TOOL-008", "company-target", InteractionType.ENRICH)
    def call_hunter_api(domain, gate_state, *, conn):
        ...

    call_hunter_api("acme.test", {"domain_verified": True, "mx_present": True}, conn=conn)

Where the decorator gets its connection, first found: `conn=` given to the
decorator itself (a connection or a zero-argument callable returning one;
`guard.enforce(...)` passes the guard's); the wrapped call's argument named
`conn` or `connection` (positional or keyword); any argument of the call
that is a psycopg connection; the provider installed with
`set_connection_provider(fn)`. With none it raises ToolCanonUnavailableError
and the call does not run (fail closed). `gate_state`, `api_key_present` and
`human_approval_ref` are read from the call's arguments of those names
(their defaults included) when the wrapped function has them; `api_key_present` otherwise defaults to True,
or, with `api_key_env="HUNTER_API_KEY"`, to whether that environment
variable is set and non-empty.

Every violation is appended to shq.tool_violations by the database. The
guard runs the validation in `conn.transaction()`: on an autocommit
connection, or one not inside a transaction, the violation row is committed
at once; inside a caller's transaction it is a savepoint, kept or rolled
back with that transaction.
"""
from __future__ import annotations

import enum
import functools
import inspect
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import psycopg
from psycopg.types.json import Jsonb

__all__ = [
    "ToolTier", "InteractionType", "ViolationSeverity", "ViolationDisposition",
    "ToolViolation", "ValidationResult", "ToolCanonError", "ToolCanonViolationError",
    "ToolCanonUnavailableError", "ToolCanonGuard", "enforce_tool_canon", "set_connection_provider",
]


class ToolTier(str, enum.Enum):
    TIER_0 = "TIER_0"  # free
    TIER_1 = "TIER_1"  # cheap
    TIER_2 = "TIER_2"  # surgical


class InteractionType(str, enum.Enum):
    READ = "READ"
    WRITE = "WRITE"
    ENRICH = "ENRICH"
    VALIDATE = "VALIDATE"


class ViolationSeverity(str, enum.Enum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class ViolationDisposition(str, enum.Enum):
    PARK = "PARK"
    RETRY = "RETRY"
    ARCHIVE = "ARCHIVE"
    IGNORE = "IGNORE"


@dataclass(frozen=True)
class ToolViolation:
    """One violation, as the database reported (and logged) it."""

    code: str
    severity: ViolationSeverity
    disposition: ViolationDisposition
    message: str
    tool_id: str | None = None
    hub_id: str | None = None
    interaction_type: str | None = None

    def __str__(self) -> str:
        return f"{self.code} ({self.severity.value}, {self.disposition.value}): {self.message}"


@dataclass(frozen=True)
class ValidationResult:
    """The row of shq.fn_validate_tool_invocation."""

    is_valid: bool
    violation_code: str | None
    severity: str | None
    disposition: str | None
    message: str
    tool_id: str | None = None
    hub_id: str | None = None
    interaction_type: str | None = None

    def __getitem__(self, key: str) -> Any:
        """Row-style access too: result["violation_code"]."""
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    @property
    def violation(self) -> ToolViolation | None:
        if self.is_valid:
            return None
        return ToolViolation(self.violation_code or "", ViolationSeverity(self.severity),
                             ViolationDisposition(self.disposition), self.message,
                             self.tool_id, self.hub_id, self.interaction_type)


class ToolCanonError(Exception):
    """Base class: the tool invocation must not happen."""


class ToolCanonViolationError(ToolCanonError):
    """The invocation broke the tool canon; `.violation` says how."""

    def __init__(self, violation: ToolViolation | ValidationResult):
        if isinstance(violation, ValidationResult):
            violation = violation.violation
        self.violation = violation
        super().__init__(str(violation))

    @property
    def code(self) -> str:
        return self.violation.code

    violation_code = code

    @property
    def severity(self) -> str:
        return self.violation.severity.value

    @property
    def disposition(self) -> str:
        return self.violation.disposition.value


class ToolCanonUnavailableError(ToolCanonError):
    """The guard could not run (no database connection): the call is blocked."""


def _value(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else v


class ToolCanonGuard:
    """Pre-invocation validation against shq.tool_registry (via the database)."""

    SQL = ("SELECT is_valid, violation_code, severity, disposition, message"
           " FROM shq.fn_validate_tool_invocation(%s::text, %s::text, %s::text, %s::jsonb, %s::boolean, %s::text)")

    def __init__(self, conn):
        self.conn = conn

    def validate(self, tool_id: str, hub_id: str, interaction_type: str | InteractionType,
                 gate_state: Mapping[str, Any] | None = None, api_key_present: bool = True,
                 human_approval_ref: str | None = None) -> ValidationResult:
        """Validate one invocation; a violation is logged by the database and
        returned (not raised)."""
        itype = _value(interaction_type)
        gate = {str(k): _value(v) for k, v in dict(gate_state or {}).items()}
        with self.conn.transaction():
            row = self.conn.execute(self.SQL, (tool_id, _value(hub_id), itype, Jsonb(gate),
                                               api_key_present, human_approval_ref)).fetchone()
        return ValidationResult(bool(row[0]), row[1], row[2], row[3], row[4], tool_id, _value(hub_id), itype)

    def check(self, *args, **kwargs) -> ValidationResult:
        """Like validate(), but raise ToolCanonViolationError on a violation."""
        result = self.validate(*args, **kwargs)
        if not result.is_valid:
            raise ToolCanonViolationError(result)
        return result

    def enforce(self, tool_id: str, hub_id: str, interaction_type: str | InteractionType, **kwargs):
        """enforce_tool_canon(...) validating on this guard's connection."""
        return enforce_tool_canon(tool_id, hub_id, interaction_type, conn=self.conn, **kwargs)


# ------------------------------------------------------------------ decorator
_provider: Callable[[], Any] | None = None


def set_connection_provider(provider: Callable[[], Any] | None) -> None:
    """Install (or with None remove) the zero-argument callable that gives
    decorated functions their connection when they have no `conn` argument."""
    global _provider
    _provider = provider


def _looks_like_connection(v: Any) -> bool:
    return isinstance(v, psycopg.Connection)


def enforce_tool_canon(tool_id: str, hub_id: str, interaction_type: str | InteractionType, *,
                       api_key_env: str | None = None, conn: Any = None):
    """Decorator: validate the invocation before every call; on a violation
    raise ToolCanonViolationError and do not call the function.

    The connection, first found: `conn` given here (a connection, or a
    zero-argument callable returning one); the call's argument named `conn`
    or `connection`; any argument of the call that is a psycopg connection;
    the provider of set_connection_provider(). None: ToolCanonUnavailableError."""

    def decorate(fn):
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)  # a wrong call fails here, before anything runs
            bound.apply_defaults()
            values = dict(bound.arguments)
            for name, param in sig.parameters.items():  # **kwargs of the wrapped function count too
                if param.kind is inspect.Parameter.VAR_KEYWORD:
                    values.update(values.pop(name, {}) or {})
            c = conn() if callable(conn) and not _looks_like_connection(conn) else conn
            if c is None:
                c = values.get("conn") or values.get("connection")
            if c is None:
                c = next((v for v in values.values() if _looks_like_connection(v)), None)
            if c is None and _provider is not None:
                c = _provider()
            if c is None:
                raise ToolCanonUnavailableError(
                    f"tool {tool_id}: no database connection to validate the invocation "
                    "(pass conn=... or call pyctl.guard.set_connection_provider)")
            if "api_key_present" in values:
                key = bool(values["api_key_present"])
            elif api_key_env:
                key = bool(os.environ.get(api_key_env))
            else:
                key = True
            ToolCanonGuard(c).check(tool_id, hub_id, interaction_type,
                                    gate_state=values.get("gate_state") or {},
                                    api_key_present=key,
                                    human_approval_ref=values.get("human_approval_ref"))
            return fn(*args, **kwargs)

        wrapper.tool_canon = (tool_id, _value(hub_id), _value(interaction_type))
        return wrapper

    return decorate
