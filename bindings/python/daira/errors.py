"""daira's exceptions: one class per status code, all deriving from :class:`daira.Error`.

Where a builtin exception means the same thing, the class also derives from it, so code that
already catches the builtin keeps working::

    try:
        p.users.get(42)
    except daira.NotFound:          # also a KeyError (and so a LookupError)
        ...
    except daira.InvalidArgument as e:   # also a ValueError
        print(e.field, e.violations)

==================  ======================  =================================================
class               also a                  meaning (abseil's guide)
==================  ======================  =================================================
Cancelled           --                      the operation was cancelled
Unknown             --                      an error with no better code
InvalidArgument     ValueError              the caller's input is wrong (``field`` names it)
DeadlineExceeded    TimeoutError            the request ran out of time
NotFound            KeyError (LookupError)  the thing asked for does not exist
AlreadyExists       --                      a unique key is taken (``field`` names it)
PermissionDenied    --                      the caller may not do this
ResourceExhausted   --                      a pool/quota is exhausted; back off
FailedPrecondition  --                      fix the state first (e.g. "platform is closed")
Aborted             --                      a conflict; retry the whole transaction
OutOfRange          --                      past the end of a valid range
Unimplemented       NotImplementedError     not supported (yet) by this backend
Internal            --                      a bug or broken invariant in daira
Unavailable         ConnectionError         the backend cannot be reached; retry the call
DataLoss            --                      stored data is corrupt
Unauthenticated     --                      no valid credentials / token
==================  ======================  =================================================
"""

from __future__ import annotations

import enum
from typing import Optional, Sequence, Tuple

__all__ = [
    "StatusCode",
    "Error",
    "Cancelled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
]


class StatusCode(enum.IntEnum):
    """absl::StatusCode values (the same numbers as the C ABI's daira_code)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class Error(Exception):
    """Base class of every error daira raises.

    Attributes:
        code: the :class:`StatusCode`.
        message: daira's message, ``"<operation>: <field> <what is wrong> (got <value>)"``.
        field: the name of the field at fault (from the status payload), or ``None``.
        violations: every validation failure as ``(field, message)`` pairs (InvalidArgument from
            request validation lists them all); empty otherwise.
        sqlstate: the database's SQLSTATE (Postgres) or ``"sqlite:<code>"``, or ``None``.
    """

    code: StatusCode = StatusCode.UNKNOWN

    def __init__(
        self,
        message: str = "",
        *,
        field: Optional[str] = None,
        violations: Sequence[Tuple[str, str]] = (),
        sqlstate: Optional[str] = None,
    ) -> None:
        # One positional argument only: several builtins here (TimeoutError, ConnectionError) are
        # OSErrors, which would read two arguments as (errno, strerror).
        super().__init__(message)
        self.message = message
        self.field = field
        self.violations = list(violations)
        self.sqlstate = sqlstate

    def __str__(self) -> str:  # KeyError would otherwise print the message quoted
        return self.message

    def __repr__(self) -> str:
        extra = f", field={self.field!r}" if self.field else ""
        return f"daira.{type(self).__name__}({self.message!r}{extra})"

    def __reduce__(self):
        return (_rebuild, (int(self.code), self.message, self.field, self.violations, self.sqlstate))


class Cancelled(Error):
    code = StatusCode.CANCELLED


class Unknown(Error):
    code = StatusCode.UNKNOWN


class InvalidArgument(Error, ValueError):
    code = StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(Error, TimeoutError):
    code = StatusCode.DEADLINE_EXCEEDED


class NotFound(Error, KeyError):
    code = StatusCode.NOT_FOUND


class AlreadyExists(Error):
    code = StatusCode.ALREADY_EXISTS


class PermissionDenied(Error):
    code = StatusCode.PERMISSION_DENIED


class ResourceExhausted(Error):
    code = StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(Error):
    code = StatusCode.FAILED_PRECONDITION


class Aborted(Error):
    code = StatusCode.ABORTED


class OutOfRange(Error):
    code = StatusCode.OUT_OF_RANGE


class Unimplemented(Error, NotImplementedError):
    code = StatusCode.UNIMPLEMENTED


class Internal(Error):
    code = StatusCode.INTERNAL


class Unavailable(Error, ConnectionError):
    code = StatusCode.UNAVAILABLE


class DataLoss(Error):
    code = StatusCode.DATA_LOSS


class Unauthenticated(Error):
    code = StatusCode.UNAUTHENTICATED


_BY_CODE = {
    cls.code: cls
    for cls in (
        Cancelled,
        Unknown,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        DataLoss,
        Unauthenticated,
    )
}


def _from_status(code, message, field, violations, sqlstate):
    """Called by the native module: the exception for a non-OK status."""
    cls = _BY_CODE.get(code, Unknown)
    return cls(message, field=field, violations=violations, sqlstate=sqlstate)


def _rebuild(code, message, field, violations, sqlstate):
    return _from_status(code, message, field, violations, sqlstate)
