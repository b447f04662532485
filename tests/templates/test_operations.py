"""OperationSupport declarations and the not_implemented helper."""

from __future__ import annotations

from typing import ClassVar

import pytest

from carecert.adapters.errors import OperationNotSupportedError, ProviderError
from carecert.adapters.operations import OperationSupport, not_implemented
from carecert.adapters.provider import (
    AuthMethod,
    HealthcareProvider,
    ProviderInfo,
    ProviderType,
)

INFO = ProviderInfo(
    id="example",
    name="Example",
    type=ProviderType.MOCK,
    country="FR",
    regions=("FR",),
    compliance=("RGPD",),
    primary_auth=AuthMethod.API_KEY,
    secondary_auth=None,
    mfa_required=False,
    mfa_kind=None,
    hosts=(),
)


class ExampleProvider(OperationSupport, HealthcareProvider):
    info = INFO
    operations: ClassVar[dict[str, str | None]] = {
        "read": None,
        "write": "the example service is read-only",
    }

    def read(self) -> str:
        return "ok"

    def write(self) -> None:
        not_implemented(self, "write")

    def delete(self) -> None:
        not_implemented(self, "delete")


def test_supports_reads_declarations() -> None:
    assert ExampleProvider.supports("read")
    assert not ExampleProvider.supports("write")
    assert not ExampleProvider.supports("delete")


def test_unsupported_operations_listed() -> None:
    assert ExampleProvider.unsupported_operations() == {
        "write": "the example service is read-only"
    }


def test_unimplemented_call_raises() -> None:
    with pytest.raises(OperationNotSupportedError) as raised:
        ExampleProvider({}).write()

    error = raised.value
    assert error.provider == "example"
    assert error.operation == "write"
    assert error.reason == "the example service is read-only"
    assert str(error) == (
        "example write: not supported by this adapter: the example service is read-only"
    )


def test_error_is_provider_and_not_implemented() -> None:
    with pytest.raises(ProviderError):
        ExampleProvider({}).write()
    with pytest.raises(NotImplementedError):
        ExampleProvider({}).write()


def test_undeclared_operation_reason() -> None:
    with pytest.raises(OperationNotSupportedError) as raised:
        ExampleProvider({}).delete()

    assert raised.value.operation == "delete"
    assert "ExampleProvider.operations does not declare it" in str(raised.value)


def test_implemented_operation_is_bug() -> None:
    with pytest.raises(ValueError, match="declares 'read' as implemented"):
        not_implemented(ExampleProvider({}), "read")


def test_class_accepted_as_provider() -> None:
    with pytest.raises(OperationNotSupportedError) as raised:
        not_implemented(ExampleProvider, "write")

    assert raised.value.provider == "example"


def test_class_without_info_named_by_class() -> None:
    class Bare(OperationSupport):
        operations: ClassVar[dict[str, str | None]] = {"run": "not yet"}

        def run(self) -> None:
            not_implemented(self, "run")

    with pytest.raises(OperationNotSupportedError) as raised:
        Bare().run()

    assert raised.value.provider == "Bare"


def test_misspelt_operation_rejected_at_definition() -> None:
    with pytest.raises(TypeError, match="declares 'raed'"):

        class Misspelt(OperationSupport):
            operations: ClassVar[dict[str, str | None]] = {"raed": None}

            def read(self) -> None:
                pass


@pytest.mark.parametrize("reason", ["", 42])
def test_bad_reason_rejected_at_definition(reason: object) -> None:
    with pytest.raises(TypeError, match="must be None"):

        class BadReason(OperationSupport):
            operations: ClassVar[dict[str, object]] = {"read": reason}

            def read(self) -> None:
                pass
