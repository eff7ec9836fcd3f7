"""Single sign-on with OpenID Connect: authorization code flow with PKCE (S256), via Authlib.

Works with any standard provider (Google Workspace, Microsoft Entra ID, ...): the app reads the
provider's discovery document, sends the browser to its authorization endpoint with a random
state, nonce and PKCE verifier (kept server-side in the sidecar, bound to the browser by a
cookie holding the state), exchanges the code for tokens, and accepts the ID token only if its
signature verifies against the provider's published keys and its issuer, audience, nonce and
expiry are right. The signed-in e-mail must be verified and belong to a monitor of district.yaml.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import JoseError

from dashboards.review.sidecar import now_text, parse_time, transaction

PENDING_FOR = timedelta(minutes=10)
SCOPES = "openid email profile"


class OidcError(Exception):
    """The sign-in cannot be completed; the message is safe to show."""


@dataclass
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    timeout: float = 10.0

    def __post_init__(self) -> None:
        self._metadata: dict[str, Any] | None = None
        self._keys: Any = None

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            self._metadata = response.json()
        return self._metadata

    def _session(self) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=SCOPES,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
        )

    def start(self, sidecar: Path, now: datetime) -> tuple[str, str]:
        """The provider's URL to send the browser to, and the state to bind in a cookie."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(64)
        url, _ = self._session().create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=state,
            nonce=nonce,
            code_verifier=verifier,
        )
        with transaction(sidecar) as con:
            con.execute(
                "DELETE FROM oidc_pending WHERE created_at < ?", [now_text(now - PENDING_FOR)]
            )
            con.execute(
                "INSERT INTO oidc_pending VALUES (?, ?, ?, ?)",
                [state, nonce, verifier, now_text(now)],
            )
        return url, state

    def finish(self, sidecar: Path, state: str, code: str, now: datetime) -> dict[str, Any]:
        """Exchange the code; return the verified ID token's claims."""
        with transaction(sidecar) as con:
            row = con.execute("SELECT * FROM oidc_pending WHERE state = ?", [state]).fetchone()
            con.execute("DELETE FROM oidc_pending WHERE state = ?", [state])  # single use
        if row is None or now - parse_time(row["created_at"]) > PENDING_FOR:
            raise OidcError("the sign-in took too long or was already used; please start again")
        token = self._session().fetch_token(
            self.metadata()["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=row["verifier"],
        )
        if "id_token" not in token:
            raise OidcError("the provider sent no ID token")
        claims = self._verify(token["id_token"], row["nonce"])
        if "email" not in claims and self.metadata().get("userinfo_endpoint"):
            # Providers may keep scope claims out of the ID token (OIDC Core 5.4): ask userinfo,
            # and take its answer only for the same subject.
            info = requests.get(
                self.metadata()["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {token['access_token']}"},
                timeout=self.timeout,
            )
            info.raise_for_status()
            extra = info.json()
            if extra.get("sub") != claims.get("sub"):
                raise OidcError("the provider's user information is for another subject")
            claims.update({k: extra[k] for k in ("email", "email_verified") if k in extra})
        return claims

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        if self._keys is None:
            keys = requests.get(self.metadata()["jwks_uri"], timeout=self.timeout)
            keys.raise_for_status()
            self._keys = JsonWebKey.import_key_set(keys.json())
        options = {
            "iss": {"essential": True, "value": self.metadata()["issuer"]},
            "aud": {"essential": True, "value": self.client_id},
            "nonce": {"essential": True, "value": nonce},
            "exp": {"essential": True},
        }
        try:
            claims = jwt.decode(id_token, self._keys, claims_options=options)
            claims.validate(leeway=60)
        except JoseError as exc:
            raise OidcError(f"the ID token was not valid ({exc.error})") from exc
        return dict(claims)
