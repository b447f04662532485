"""Exceptions raised by carecert's adapters.

Every error that reaches a caller is one of these, with the httpx or library
error chained as ``__cause__``::

    CarecertError
    ├── ConfigurationError          a provider config key is missing or invalid
    ├── InvalidIdentifierError      an identifier fails its format or check digit
    ├── UnknownProviderError        the registry has no provider with that id
    ├── ProviderError               a call to a provider failed
    │   ├── AuthenticationError     the token endpoint or the provider rejected us
    │   ├── RateLimitedError        HTTP 429
    │   ├── ProviderUnavailableError  5xx, timeout or connection failure
    │   ├── InvalidResponseError    the response does not parse or map
    │   ├── ResourceNotFoundError   HTTP 404 for the requested resource
    │   └── OperationNotSupportedError  the adapter does not implement the operation
    └── ComplianceError             a compliance guard stopped the call
        ├── ConsentRequiredError    no valid consent for patient and purpose
        ├── SecondFactorRequiredError  user-restricted access without MFA
        └── RetentionViolationError  deleting an audit record too early

Messages never contain secrets, tokens, keys or patient data other than the
identifier the caller passed in.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "CarecertError",
    "ComplianceError",
    "ConfigurationError",
    "ConsentRequiredError",
    "InvalidIdentifierError",
    "InvalidResponseError",
    "OperationNotSupportedError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "ResourceNotFoundError",
    "RetentionViolationError",
    "SecondFactorRequiredError",
    "UnknownProviderError",
]


class CarecertError(Exception):
    """Base class of every carecert error."""


class ConfigurationError(CarecertError):
    """A provider configuration key is missing or has an invalid value."""


class InvalidIdentifierError(CarecertError, ValueError):
    """An identifier failed its format or check-digit rule before any request."""

    def __init__(self, kind: str, value: str, reason: str) -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        super().__init__(f"Invalid {kind} {value!r}: {reason}.")


class UnknownProviderError(CarecertError, KeyError):
    """The registry has no provider under the requested id."""

    def __init__(self, provider_id: str, known: list[str]) -> None:
        self.provider_id = provider_id
        self.known = known
        listed = ", ".join(sorted(known)) or "none"
        super().__init__(
            f"No provider is registered as {provider_id!r}. Registered: {listed}. "
            "Register it with ProviderRegistry.register_provider() first."
        )

    def __str__(self) -> str:
        # KeyError quotes its argument; show the sentence as written.
        return str(self.args[0])


class ProviderError(CarecertError):
    """A call to a provider failed; names the provider and the operation."""

    def __init__(self, provider: str, operation: str, message: str) -> None:
        self.provider = provider
        self.operation = operation
        super().__init__(f"{provider} {operation}: {message}")


class AuthenticationError(ProviderError):
    """The provider or its token endpoint rejected carecert's credentials."""


class RateLimitedError(ProviderError):
    """The provider returned HTTP 429."""

    def __init__(
        self,
        provider: str,
        operation: str,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(provider, operation, message)


class ProviderUnavailableError(ProviderError):
    """The provider returned 5xx, timed out or could not be reached."""


class InvalidResponseError(ProviderError):
    """The provider's response could not be parsed or mapped."""


class ResourceNotFoundError(ProviderError):
    """The provider has no resource for the requested identifier."""


class ComplianceError(CarecertError):
    """A compliance guard stopped a call before anything was sent."""


class ConsentRequiredError(ComplianceError):
    """No valid consent record covers this patient and purpose."""


class SecondFactorRequiredError(ComplianceError):
    """A user-restricted operation was attempted without a verified second factor."""


class RetentionViolationError(ComplianceError):
    """An audit record was to be deleted before its retention period ended."""


class OperationNotSupportedError(ProviderError, NotImplementedError):
    """A call to an operation that the adapter declares as not implemented.

    It is also a NotImplementedError, so callers that probe for optional
    operations can catch either.
    """

    def __init__(self, provider: str, operation: str, reason: str) -> None:
        self.reason = reason
        super().__init__(
            provider, operation, f"not supported by this adapter: {reason}"
        )
