"""RS256 session JWTs and the JWKS that verifies them (decisions D11, D12, D17).

Times come from the caller (the fake's clock), never from PyJWT's own reading of the time.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .ids import Ids
from .models import App, Json, Session

SESSION_CLAIM_NS = "https://streambird.io/jwt/session"
# A session's JWT is handed out again while the session is unchanged and the JWT has at least
# (1 - 1/REUSE_FRACTION) of its lifetime left: an RSA signature is most of a verify's cost.
REUSE_FRACTION = 10
REUSE_CACHE_SIZE = 10_000
ISSUER_HOST = "api.moonkey.fun"


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    """One RSA key with its id, its public JWK and its (self-signed) certificate."""

    kid: str
    private_key: rsa.RSAPrivateKey
    jwk: Json
    retired_at: int | None = None


def _make_jwk(kid: str, key: rsa.RSAPrivateKey, now: _dt.datetime) -> Json:
    public = key.public_key()
    numbers = public.public_numbers()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "moonkey-mock " + kid)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(int.from_bytes(hashlib.sha256(kid.encode()).digest()[:16], "big"))
        .not_valid_before(now - _dt.timedelta(days=1))
        .not_valid_after(now + _dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "kty": "RSA",
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
        "key_ops": ["verify"],
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
        "x5c": [base64.b64encode(der).decode()],
        "x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode(),
    }


class KeySet:
    """The signing keys: the newest signs, older ones stay published until their JWTs expire.

    Args:
        ids: source of ``jwk_…`` ids.
        now: the fake's time at creation (certificate validity); None: no key yet (restore).
        pem_file: load the first key from this PEM file instead of generating one.
    """

    def __init__(self, ids: Ids, now: _dt.datetime | None, pem_file: str | None = None) -> None:
        self._ids = ids
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._issued: OrderedDict[str, tuple[object, int, int, str]] = OrderedDict()
        self._verified: OrderedDict[str, Json] = OrderedDict()
        # Told of each rotation (a durable store saves the keys).
        self.listeners: list[Callable[[KeySet], None]] = []
        # Reads the keys another process may have rotated (a shared store): tried on a JWT
        # whose kid is unknown here.
        self.refresh: Callable[[], str | None] | None = None
        if now is not None:
            key = _load_pem(pem_file) if pem_file else _generate()
            self._add(key, now)

    def export(self) -> str:
        """Every key (private part included) as JSON, for a durable store."""
        with self._lock:
            return json.dumps([_export_key(k) for k in self._keys])

    @classmethod
    def restore(cls, ids: Ids, exported: str) -> KeySet:
        """The key set :meth:`export` wrote (same kids, JWKs and private keys)."""
        keys = cls(ids, None)
        keys._keys = [_import_key(raw) for raw in json.loads(exported)]
        return keys

    def _add(self, key: rsa.RSAPrivateKey, now: _dt.datetime) -> SigningKey:
        kid = self._ids.new("jwk_")
        signing = SigningKey(kid=kid, private_key=key, jwk=_make_jwk(kid, key, now))
        self._keys.append(signing)
        return signing

    @property
    def current(self) -> SigningKey:
        """The key that signs new JWTs."""
        return self._keys[-1]

    def rotate(self, now: _dt.datetime, max_ttl_seconds: int) -> SigningKey:
        """Start signing with a new key; the old one stays published for ``max_ttl_seconds``."""
        with self._lock:
            retire = int(now.timestamp()) + max_ttl_seconds
            self._keys = [
                SigningKey(k.kid, k.private_key, k.jwk, k.retired_at or retire) for k in self._keys
            ]
            added = self._add(_generate(), now)
        for listener in self.listeners:
            listener(self)
        return added

    def jwks(self, now: float) -> Json:
        """The published key set (current key plus retired keys whose JWTs may still live)."""
        live = [k for k in self._keys if k.retired_at is None or k.retired_at > now]
        return {"keys": [dict(k.jwk) for k in reversed(live)]}

    def sign(self, claims: Json) -> str:
        """An RS256 JWS of ``claims`` with the current key's ``kid``."""
        key = self.current
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def session_jwt(self, app: App, session: Session, now: int) -> str:
        """The session's JWT at ``now``: the one issued lately if nothing it states changed.

        Reused only while the session's token, expiry and factors, the app's lifetime setting
        and the signing key are the same, and within the first tenth of the JWT's lifetime.
        """
        ttl, kid = app.jwt_ttl_seconds, self.current.kid
        stamp = (session.token, session.expires_at, session.factors, ttl, app.app_id, kid)
        window = max(1, app.jwt_ttl_seconds // REUSE_FRACTION)
        with self._lock:
            hit = self._issued.get(session.session_id)
            if hit is not None and hit[0] == stamp and hit[1] <= now < min(hit[1] + window, hit[2]):
                self._issued.move_to_end(session.session_id)
                return hit[3]
        claims = session_claims(app, session, now)
        token = self.sign(claims)
        with self._lock:
            self._issued[session.session_id] = (stamp, now, int(claims["exp"]), token)
            self._issued.move_to_end(session.session_id)
            if len(self._issued) > REUSE_CACHE_SIZE:
                self._issued.popitem(last=False)
        return token

    def decode(self, token: str) -> Json | None:
        """Claims of a JWT signed by one of our keys, or None (signature only; no time checks).

        Checked signatures are remembered (bounded): the same JWT verified again costs a lookup.
        """
        with self._lock:
            known = self._verified.get(token)
            if known is not None:
                self._verified.move_to_end(token)
                return dict(known)
        claims = self._check(token)
        if claims is not None:
            with self._lock:
                self._verified[token] = claims
                if len(self._verified) > REUSE_CACHE_SIZE:
                    self._verified.popitem(last=False)
            return dict(claims)
        return None

    def _check(self, token: str) -> Json | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        key = next((k for k in self._keys if k.kid == header.get("kid")), None)
        if key is None and self.refresh is not None:
            saved = self.refresh()
            if saved is not None:
                loaded = [_import_key(raw) for raw in json.loads(saved)]
                with self._lock:
                    self._keys = loaded
                key = next((k for k in loaded if k.kid == header.get("kid")), None)
        if key is None or header.get("alg") != "RS256":
            return None
        try:
            claims: Json = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        return claims


def issuer(app: App) -> str:
    """The ``iss`` claim of an app's JWTs (reference §5: host/app id)."""
    return f"{ISSUER_HOST}/{app.app_id}"


def session_claims(app: App, session: Session, now: int) -> Json:
    """The D11 claim set of a session JWT issued at ``now``."""
    view = session.to_json(include_token=False)
    return {
        "iss": issuer(app),
        "sub": session.user_id,
        "iat": now,
        "nbf": now,
        "exp": min(now + app.jwt_ttl_seconds, session.expires_at),
        "jti": session.session_id,
        "session": view,
        SESSION_CLAIM_NS: view,
    }


def valid_at(claims: Json, now: float) -> bool:
    """Whether ``now`` lies inside the JWT's ``nbf``..``exp`` window."""
    try:
        return float(claims["nbf"]) <= now < float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        return False


def _export_key(key: SigningKey) -> Json:
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {"kid": key.kid, "pem": pem.decode(), "jwk": key.jwk, "retired_at": key.retired_at}


def _import_key(raw: Json) -> SigningKey:
    private = _parse_pem(str(raw["pem"]).encode(), f"stored key {raw['kid']}")
    return SigningKey(str(raw["kid"]), private, dict(raw["jwk"]), raw.get("retired_at"))


def _generate() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _load_pem(path: str) -> rsa.RSAPrivateKey:
    return _parse_pem(Path(path).read_bytes(), path)


@functools.lru_cache(maxsize=8)
def _parse_pem(data: bytes, path: str) -> rsa.RSAPrivateKey:
    """A parsed key, cached by content (parsing checks the key: slow enough to matter)."""
    key: Any = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key")
    return key
