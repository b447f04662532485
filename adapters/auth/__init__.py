"""Authentication shared by carecert's provider adapters.

OAuth 2.0 client credentials and SAML 2.0 bearer grants with token caching
(``OAuth2TokenSource``, ``OAuth2BearerAuth``), client authentication by
secret or private-key JWT (``TokenEndpointAuth``, ``JWTAssertionSigner``),
API keys alone or with a signed JWT (``ApiKeyAuth``, ``ApiKeyJwtAuth``) and
mutual TLS (``build_mutual_tls_context``). authlib, joserfc, signxml and
cryptography do the protocol work.
"""

from carecert.adapters.auth.api_key import ApiKeyAuth, ApiKeyJwtAuth
from carecert.adapters.auth.bearer import OAuth2BearerAuth
from carecert.adapters.auth.client_auth import CLIENT_AUTH_METHODS, TokenEndpointAuth
from carecert.adapters.auth.jwt_assertion import (
    CLIENT_ASSERTION_TYPE,
    MAX_ASSERTION_LIFETIME,
    JWTAssertionSigner,
    PrivateKeyJwtClientAuth,
)
from carecert.adapters.auth.keys import (
    JWS_ALGORITHMS,
    SigningKey,
    load_certificate_pem,
    load_private_key,
)
from carecert.adapters.auth.mtls import build_mutual_tls_context
from carecert.adapters.auth.saml import (
    SAML2_BEARER_GRANT_TYPE,
    Saml2BearerGrant,
    SamlAssertionSigner,
    encode_assertion,
)
from carecert.adapters.auth.token import (
    REFRESH_MARGIN,
    ClientCredentialsGrant,
    Grant,
    OAuth2TokenSource,
)

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "CLIENT_AUTH_METHODS",
    "JWS_ALGORITHMS",
    "MAX_ASSERTION_LIFETIME",
    "REFRESH_MARGIN",
    "SAML2_BEARER_GRANT_TYPE",
    "ApiKeyAuth",
    "ApiKeyJwtAuth",
    "ClientCredentialsGrant",
    "Grant",
    "JWTAssertionSigner",
    "OAuth2BearerAuth",
    "OAuth2TokenSource",
    "PrivateKeyJwtClientAuth",
    "Saml2BearerGrant",
    "SamlAssertionSigner",
    "SigningKey",
    "TokenEndpointAuth",
    "build_mutual_tls_context",
    "encode_assertion",
    "load_certificate_pem",
    "load_private_key",
]
