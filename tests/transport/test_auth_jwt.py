"""Signed JWT client assertions (RFC 7523) and the keys that sign them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from carecert.adapters.auth import (
    MAX_ASSERTION_LIFETIME,
    JWTAssertionSigner,
    SigningKey,
    load_private_key,
)
from carecert.adapters.errors import ConfigurationError

CLIENT_ID = "client-5b1e"
KEY_ID = "signing-key-2"
TOKEN_URL = "https://auth.example.test/oauth2/token"
NOW = 1_900_000_000.0


def write_pem(path: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(scope="module")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_private() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def rsa_path(tmp_path: Path, rsa_private: rsa.RSAPrivateKey) -> Path:
    return write_pem(tmp_path / "rsa.pem", rsa_private)


@pytest.fixture
def ec_path(tmp_path: Path, ec_private: ec.EllipticCurvePrivateKey) -> Path:
    return write_pem(tmp_path / "ec.pem", ec_private)


def public_jwk(key: SigningKey) -> RSAKey | ECKey:
    public = key.as_pem(private=False)
    return (
        RSAKey.import_key(public)
        if isinstance(key, RSAKey)
        else ECKey.import_key(public)
    )


def make_signer(
    key: SigningKey, algorithm: str, **options: object
) -> JWTAssertionSigner:
    return JWTAssertionSigner(
        provider_id="acme",
        client_id=CLIENT_ID,
        private_key=key,
        key_id=KEY_ID,
        algorithm=algorithm,
        clock=lambda: NOW,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512", "ES256"])
def test_assertion_header_and_claims(
    algorithm: str, rsa_path: Path, ec_path: Path
) -> None:
    path = ec_path if algorithm == "ES256" else rsa_path
    key = load_private_key("acme", path, algorithm=algorithm)
    signer = make_signer(key, algorithm)

    token = jwt.decode(signer.sign(TOKEN_URL), public_jwk(key), algorithms=[algorithm])

    assert token.header["alg"] == algorithm
    assert token.header["kid"] == KEY_ID
    assert token.header["typ"] == "JWT"
    assert token.claims["iss"] == CLIENT_ID
    assert token.claims["sub"] == CLIENT_ID
    assert token.claims["aud"] == TOKEN_URL
    assert token.claims["iat"] == int(NOW)
    assert token.claims["exp"] == int(NOW) + MAX_ASSERTION_LIFETIME
    assert uuid.UUID(token.claims["jti"]).version == 4


def test_assertion_lifetime_configurable(rsa_path: Path) -> None:
    key = load_private_key("acme", rsa_path)
    signer = make_signer(key, "RS256", lifetime=60)

    claims = jwt.decode(signer.sign(TOKEN_URL), public_jwk(key)).claims

    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize("lifetime", [0, -5, MAX_ASSERTION_LIFETIME + 1, 3600])
def test_assertion_lifetime_bounds(rsa_path: Path, lifetime: int) -> None:
    key = load_private_key("acme", rsa_path)

    with pytest.raises(ConfigurationError, match="lifetime"):
        make_signer(key, "RS256", lifetime=lifetime)


def test_jti_unique_per_assertion(rsa_path: Path) -> None:
    key = load_private_key("acme", rsa_path)
    signer = make_signer(key, "RS256")

    jtis = {
        jwt.decode(signer.sign(TOKEN_URL), public_jwk(key)).claims["jti"]
        for _ in range(50)
    }

    assert len(jtis) == 50


def test_extra_claims_added(rsa_path: Path) -> None:
    key = load_private_key("acme", rsa_path)
    signer = make_signer(key, "RS256")

    claims = jwt.decode(
        signer.sign(TOKEN_URL, {"scope": "read"}), public_jwk(key)
    ).claims

    assert claims["scope"] == "read"
    assert claims["iss"] == CLIENT_ID


def test_signature_fails_with_other_key(rsa_path: Path) -> None:
    key = load_private_key("acme", rsa_path)
    other = RSAKey.generate_key(2048)

    with pytest.raises(Exception, match="bad_signature"):
        jwt.decode(make_signer(key, "RS256").sign(TOKEN_URL), public_jwk(other))


def test_algorithm_key_mismatch_rejected(rsa_path: Path, ec_path: Path) -> None:
    rsa_key = load_private_key("acme", rsa_path)
    ec_key = load_private_key("acme", ec_path, algorithm="ES256")

    with pytest.raises(ConfigurationError, match="ES256 needs an EC key"):
        make_signer(rsa_key, "ES256")
    with pytest.raises(ConfigurationError, match="RS256 needs an RSA key"):
        make_signer(ec_key, "RS256")


@pytest.mark.parametrize("algorithm", ["HS256", "none", "PS256"])
def test_unsupported_algorithm_rejected(rsa_path: Path, algorithm: str) -> None:
    key = load_private_key("acme", rsa_path)

    with pytest.raises(ConfigurationError, match="is not supported"):
        make_signer(key, algorithm)
    with pytest.raises(ConfigurationError, match="is not supported"):
        load_private_key("acme", rsa_path, algorithm=algorithm)


# Key loading


def test_rsa_file_rejected_for_es256(rsa_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not a PEM EC P-256 private key"):
        load_private_key("acme", rsa_path, algorithm="ES256")


def test_ec_curve_other_than_p256_rejected(tmp_path: Path) -> None:
    path = write_pem(tmp_path / "p384.pem", ec.generate_private_key(ec.SECP384R1()))

    with pytest.raises(ConfigurationError, match="curve P-384"):
        load_private_key("acme", path, algorithm="ES256")


def test_missing_key_file_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="absent.pem") as raised:
        load_private_key("acme", tmp_path / "absent.pem")

    assert str(raised.value).startswith("acme: cannot read private_key_path")


def test_public_key_file_rejected(
    tmp_path: Path, rsa_private: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "public.pem"
    path.write_bytes(
        rsa_private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )

    with pytest.raises(ConfigurationError, match="contains a public key"):
        load_private_key("acme", path)


def test_garbage_key_content_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pem"
    path.write_text(
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"
    )

    with pytest.raises(ConfigurationError, match="not a PEM RSA private key") as raised:
        load_private_key("acme", path)

    assert "c2VjcmV0" not in str(raised.value)
