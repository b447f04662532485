"""Exceptions raised by carecert's record, replay and conformance harness.

Each message names the file, the place in it and what to do next::

    CarecertError                      (carecert.adapters.errors)
    ├── CassetteError                  a cassette cannot be used
    │   ├── CassetteFormatError        corrupt JSON or wrong structure
    │   ├── CassetteSecretError        a credential was found in a cassette
    │   └── UnrecordedRequestError     no recorded response matches a request
    ├── NetworkBlockedError            a test tried to reach a non-loopback host
    └── SpecError                      an OpenAPI description is invalid
    AssertionError
    └── ConformanceFailure             an exchange does not match its OpenAPI
                                       description, reported as a test failure

Messages never contain the secret values they report.
"""

from __future__ import annotations

import os
from typing import Any

from carecert.adapters.errors import CarecertError

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "CassetteSecretError",
    "ConformanceFailure",
    "NetworkBlockedError",
    "SpecError",
    "UnrecordedRequestError",
]

RECORD_NEW_HINT = "run with --record-mode=once"
RECORD_EXISTING_HINT = (
    "run with --record-mode=new_episodes (adds the missing exchanges) or "
    "--record-mode=all (records the whole cassette again)"
)
MAX_SHOWN_VALUE = 200
"""Characters of a received value that a ConformanceFailure shows."""


class CassetteError(CarecertError):
    """A cassette file cannot be loaded, saved or replayed."""

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        self.path = os.fspath(path)
        super().__init__(message)


class CassetteFormatError(CassetteError):
    """A cassette is not valid JSON or does not have the cassette structure.

    ``line`` and ``column`` (1-based) locate a JSON syntax error, and
    ``location`` names a structural one, such as ``interactions[2].request.uri``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        location: str | None = None,
    ) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        self.location = location
        if line is not None:
            place = f" at line {line}, column {column}"
        elif location is not None:
            place = f" at {location}"
        else:
            place = ""
        super().__init__(
            path,
            f"Cassette {os.fspath(path)} is invalid{place}: {problem}. Re-record it "
            "with --record-mode=all against the simulator, or restore it from git.",
        )


class CassetteSecretError(CassetteError):
    """A cassette contains a credential that scrubbing should have replaced.

    ``location`` is the place, such as
    ``interactions[2].response.headers.Set-Cookie``, and ``kind`` names what
    was found. The exception never stores the secret value itself.
    """

    def __init__(self, path: str | os.PathLike[str], location: str, kind: str) -> None:
        self.location = location
        self.kind = kind
        super().__init__(
            path,
            f"Cassette {os.fspath(path)} contains a secret at {location}: {kind}. "
            'Replace the value with "<scrubbed>" or delete the cassette and record '
            "it again through carecert, which scrubs credentials. Rotate the "
            "credential if it was real.",
        )


class UnrecordedRequestError(CassetteError):
    """The cassette has no unplayed recorded response for a request.

    ``reason`` is vcrpy's classification when known: ``cassette_not_found``,
    ``already_played``, ``no_match`` or ``nothing_similar``.
    """

    _REASONS = {
        "cassette_not_found": "the cassette does not exist",
        "already_played": "the matching recorded response was already played",
        "no_match": "no recorded request matches it",
        "nothing_similar": "no recorded request matches it",
    }

    def __init__(
        self,
        path: str | os.PathLike[str],
        method: str,
        url: str,
        *,
        record_mode: str = "none",
        reason: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.record_mode = record_mode
        self.reason = reason
        detail = self._REASONS.get(reason or "", "no recorded request matches it")
        if reason == "cassette_not_found":
            hint = RECORD_NEW_HINT
        else:
            hint = RECORD_EXISTING_HINT
        super().__init__(
            path,
            f"No recorded response for {method} {url} in cassette "
            f"{os.fspath(path)}: {detail}. {_MODE_LIMITS.get(record_mode, '')}"
            f"To record the request from the simulator, {hint}.",
        )


_MODE_LIMITS = {
    "none": "Record mode 'none' only replays. ",
    "once": "Record mode 'once' records only into a cassette that does not exist. ",
}


class NetworkBlockedError(CarecertError):
    """A connection to a host outside the loopback range was attempted.

    Raised before any DNS look-up or packet, so nothing leaves the machine.
    It is not an OSError, so HTTP clients do not retry it or wrap it as a
    connection error.
    """

    def __init__(self, host: str, port: int | None, action: str = "connect") -> None:
        self.host = host
        self.port = port
        self.action = action
        target = host if port is None else f"{host}:{port}"
        super().__init__(
            f"Network access blocked: {action} to {target} is not allowed, because "
            "carecert replays cassettes by default and only loopback hosts "
            "(127.0.0.0/8, ::1, localhost) and unix sockets may be reached. To "
            "record new traffic, point the provider at its simulator on 127.0.0.1 "
            "and run with --record-mode=once (new cassettes) or new_episodes "
            "(existing ones). To allow another host, pass it in "
            "block_network(allow_hosts=...)."
        )


class SpecError(CarecertError):
    """An OpenAPI description cannot be loaded or is invalid.

    ``pointer`` is a JSON pointer into the file, such as
    ``/paths/~1Patient/get``, or empty for the whole document. ``line`` and
    ``column`` (1-based) locate a syntax error in the file. ``lenient_helps``
    is False where load_spec(path, lenient=True) would fail the same way.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        pointer: str,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        lenient_helps: bool = True,
    ) -> None:
        self.path = os.fspath(path)
        self.pointer = pointer
        self.problem = problem
        self.line = line
        self.column = column
        places = []
        if line is not None:
            places.append(f"line {line}" + (f", column {column}" if column else ""))
        if pointer:
            places.append(pointer)
        place = f" at {', '.join(places)}" if places else ""
        advice = (
            f"Fix {self.path}, or point the provider's ProviderInfo.openapi at a "
            "valid OpenAPI 3.0 file."
        )
        if lenient_helps:
            advice += (
                " Code that checks traffic against a published description it "
                "cannot fix may load it with load_spec(path, lenient=True)."
            )
        super().__init__(
            f"OpenAPI description {self.path} is invalid{place}: {problem}. {advice}"
        )


class ConformanceFailure(AssertionError):
    """An HTTP exchange does not match the provider's OpenAPI description.

    ``part`` is ``"request"`` or ``"response"``, and ``location`` is where the
    mismatch is, such as ``$.identifier[0].value``, ``header X-Request-ID``,
    ``status`` or ``url``. ``expected`` is what the description allows and
    ``received`` what the exchange contained. For response failures,
    ``status`` is the status code of the exchange and ``checked_against``
    names the documented response its body was checked against, such as
    ``GET /Patient/{id} responses "404" in pds.yaml``. ``advice`` is the next
    step for the user.
    """

    def __init__(
        self,
        *,
        cassette: str | os.PathLike[str] | None,
        exchange_index: int | None,
        method: str,
        url: str,
        part: str,
        location: str,
        expected: Any,
        received: Any,
        message: str,
        status: int | None = None,
        checked_against: str | None = None,
        advice: str | None = None,
    ) -> None:
        self.cassette = os.fspath(cassette) if cassette is not None else None
        self.exchange_index = exchange_index
        self.method = method
        self.url = url
        self.part = part
        self.location = location
        self.expected = expected
        self.received = received
        self.message = message
        self.status = status
        self.checked_against = checked_against
        self.advice = advice
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [self.message]
        if self.cassette is not None:
            exchange = (
                ""
                if self.exchange_index is None
                else f" (exchange {self.exchange_index})"
            )
            lines.append(f"Cassette: {self.cassette}{exchange}")
        lines += [
            f"Request: {self.method.upper()} {self.url}",
            f"Part: {self.part}",
        ]
        if self.status is not None:
            lines.append(f"Status: {self.status}")
        if self.checked_against is not None:
            lines.append(f"Checked against: {self.checked_against}")
        lines += [
            f"Location: {self.location}",
            f"Expected: {_shorten(self.expected)}",
            f"Received: {_shorten(self.received)}",
        ]
        if self.advice is not None:
            lines.append(f"Next step: {self.advice}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments need a helper so failures survive pickling,
        # which pytest-xdist uses to send reports between processes.
        return (_rebuild_failure, (self.__dict__.copy(),))


def _rebuild_failure(fields: dict[str, Any]) -> ConformanceFailure:
    names = (
        "cassette",
        "exchange_index",
        "method",
        "url",
        "part",
        "location",
        "expected",
        "received",
        "message",
        "status",
        "checked_against",
        "advice",
    )
    return ConformanceFailure(**{name: fields.get(name) for name in names})


def _shorten(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= MAX_SHOWN_VALUE:
        return text
    return f"{text[:MAX_SHOWN_VALUE]}... ({len(text)} characters)"
