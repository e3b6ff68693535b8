"""Signed, expiring URLs (HMAC-SHA256), the local stand-in for Lizard's presigned S3 URLs.

Lizard hands out presigned S3 URLs: ``attachment_url`` to GET a result's file and
``upload_url`` to PUT one, both valid for 7 days (``X-Amz-Expires=604800``). The toolkit signs
its own URLs the same way: the query string carries ``expires`` (Unix time) and ``signature``,

.. math::

    \\mathrm{signature} = \\mathrm{base64url}\\big(\\mathrm{HMAC\\text{-}SHA256}(K,
    \\mathtt{METHOD \\backslash n path \\backslash n expires})\\big)

(RFC 2104), where :math:`K` is a 256-bit secret generated once into ``<data_dir>/secret.key``
(permissions 0600; never in the repository) and ``path`` is the URL path without host, so the
URL stays valid whatever host name the client used. A signature covers one method: a GET URL
does not allow a PUT (HEAD is allowed with a GET signature). Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from toolkit.errors import StoreError, ToolkitError

__all__ = ["Signer", "SignatureError", "load_secret", "DEFAULT_EXPIRY_S"]

#: lifetime of a signed URL: 7 days, as Lizard's presigned URLs
DEFAULT_EXPIRY_S = 7 * 86400

_SECRET_FILE = "secret.key"
_SECRET_BYTES = 32


class SignatureError(ToolkitError):
    """A signed URL was tampered with, is incomplete or has expired (403)."""

    status = 403


def load_secret(data_dir: str | os.PathLike[str]) -> bytes:
    """The signing secret of ``data_dir``, created on first use.

    The file ``<data_dir>/secret.key`` is created exclusively with permissions 0600 (two
    processes starting at once agree on one secret: the loser reads the winner's file).

    Raises
    ------
    StoreError
        The file cannot be created or read, or holds no usable secret.
    """
    path = Path(data_dir) / _SECRET_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create the signing secret {path}: {exc}") from exc
    else:
        tmp = secrets.token_hex(_SECRET_BYTES).encode("ascii")
        try:
            os.write(fd, tmp)
            os.fsync(fd)
        finally:
            os.close(fd)
    for _ in range(50):  # another process may be writing it right now
        try:
            text = path.read_bytes().strip()
        except OSError as exc:
            raise StoreError(f"cannot read the signing secret {path}: {exc}") from exc
        if len(text) >= 2 * _SECRET_BYTES:
            try:
                return bytes.fromhex(text.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                break
        time.sleep(0.01)
    raise StoreError(f"the signing secret {path} is damaged: delete it (signed URLs handed "
                     "out before become invalid) and restart")


class Signer:
    """Sign and verify URL paths with a secret.

    Parameters
    ----------
    secret : bytes
        The HMAC key (see :func:`load_secret`).
    clock : callable, optional
        Returns the current Unix time (tests pass a fake clock).
    """

    def __init__(self, secret: bytes, clock=time.time) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must have at least 16 bytes")
        self._secret = bytes(secret)
        self._clock = clock

    def _mac(self, method: str, path: str, expires: int) -> str:
        message = f"{method.upper()}\n{path}\n{int(expires)}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def query(self, method: str, path: str, expires_in: float = DEFAULT_EXPIRY_S) -> str:
        """The query string (``expires=...&signature=...``) signing ``method path``."""
        expires = int(self._clock() + expires_in)
        return urlencode({"expires": expires, "signature": self._mac(method, path, expires)})

    def sign(self, method: str, base: str, path: str,
             expires_in: float = DEFAULT_EXPIRY_S) -> str:
        """The full signed URL: ``base`` (scheme and host, no trailing slash) + ``path`` +
        the signed query."""
        return f"{base.rstrip('/')}{path}?{self.query(method, path, expires_in)}"

    def verify(self, method: str, path: str, expires: str | None,
               signature: str | None) -> None:
        """Check a signed request; return nothing when it is valid.

        ``HEAD`` is accepted with a ``GET`` signature.

        Raises
        ------
        SignatureError
            Missing or malformed parameters, a signature that does not match (tampered path,
            expiry, method or signature), or an expired URL.
        """
        if not expires or not signature:
            raise SignatureError("This URL is not signed: the query parameters 'expires' and "
                                 "'signature' are required.")
        try:
            when = int(expires)
        except ValueError:
            raise SignatureError("The signature of this URL is invalid.") from None
        methods = {method.upper()}
        if method.upper() == "HEAD":
            methods.add("GET")
        if not any(hmac.compare_digest(self._mac(m, path, when), str(signature))
                   for m in methods):
            raise SignatureError("The signature of this URL is invalid.")
        if self._clock() > when:
            raise SignatureError("This signed URL has expired: read the result again for a "
                                 "fresh URL.")
