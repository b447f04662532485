"""Declare which operations a provider adapter implements.

An adapter lists its public operations in ``operations``: None marks one it
implements, and a string gives the reason it does not. A method for an
operation that is not implemented calls ``not_implemented`` and so raises
OperationNotSupportedError naming the provider, the operation and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

from carecert.adapters.errors import OperationNotSupportedError

__all__ = ["OperationSupport", "not_implemented"]


class OperationSupport:
    """Mixin for HealthcareProvider subclasses that declares their operations.

    Each key of ``operations`` must name a method of the class, and each value
    must be None or a non-empty reason. Both are checked when a subclass is
    defined, so a misspelt operation fails at import.
    """

    operations: ClassVar[Mapping[str, str | None]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for operation, reason in cls.operations.items():
            if not callable(getattr(cls, operation, None)):
                raise TypeError(
                    f"{cls.__name__}.operations declares {operation!r}, but "
                    f"{cls.__name__} has no method of that name."
                )
            if reason is not None and (not isinstance(reason, str) or not reason):
                raise TypeError(
                    f"{cls.__name__}.operations[{operation!r}] must be None "
                    f"(implemented) or a non-empty reason, got {reason!r}."
                )

    @classmethod
    def supports(cls, operation: str) -> bool:
        """Tell whether ``operation`` is declared and implemented."""
        return operation in cls.operations and cls.operations[operation] is None

    @classmethod
    def unsupported_operations(cls) -> dict[str, str]:
        """Return each operation that is not implemented, with its reason."""
        return {
            operation: reason
            for operation, reason in cls.operations.items()
            if reason is not None
        }


def not_implemented(provider: Any, operation: str) -> NoReturn:
    """Raise OperationNotSupportedError for ``operation`` of ``provider``.

    ``provider`` is an adapter instance or class. The error names its provider
    id (from ``info``, or the class name when it has none) and the declared
    reason. Raises ValueError if the operation is declared as implemented,
    because that is a bug in the adapter.
    """
    provider_class = provider if isinstance(provider, type) else type(provider)
    declared: Mapping[str, str | None] = getattr(provider_class, "operations", {})
    info = getattr(provider, "info", None)
    provider_id = getattr(info, "id", None) or provider_class.__name__
    if operation in declared and declared[operation] is None:
        raise ValueError(
            f"{provider_class.__name__}.operations declares {operation!r} as "
            "implemented, so not_implemented() must not be called for it."
        )
    reason = declared.get(operation) or (
        f"{provider_class.__name__}.operations does not declare it"
    )
    raise OperationNotSupportedError(provider_id, operation, reason)
