"""Sealing of special-category data and keyed hashing of addresses (PRIVACY.md, requirements 3 and 7)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)


def parse_keys(text: str) -> list[bytes]:
    """Keys from DATA_KEY (comma-separated) or the key file (one a line), newest first."""
    return [part.strip().encode() for part in text.replace(",", "\n").splitlines() if part.strip()]


class DataVault:
    """Encrypts special data at rest and derives opt-out hashes that cannot be reversed without the key.

    Keys come newest first: sealing uses the first, opening tries each (rotation, see `rotate`). Hashes and
    reference codes derive from the last, oldest key: they must never change, since an opt-out hash
    cannot be recomputed without the phone number it hides.
    """

    def __init__(self, key: bytes | Sequence[bytes]) -> None:
        keys = [key] if isinstance(key, bytes) else list(key)
        if not keys:
            raise ValueError("DATA_KEY holds no key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self.key_count = len(keys)
        root = keys[-1]
        self._hash_key = hashlib.sha256(b"civicbot-optout:" + root).digest()
        self._reference_key = hashlib.sha256(b"civicbot-reference:" + root).digest()

    @classmethod
    def from_key_or_file(cls, key: str | None, state_dir: Path) -> DataVault:
        """Use the configured key; otherwise keep one in `state_dir/data.key` (created 0600 on first use)."""
        if key:
            return cls(parse_keys(key))
        path = state_dir / "data.key"
        if not path.exists():
            state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
            log.warning("DATA_KEY is not set: generated %s; back it up or special data is lost", path)
        return cls(parse_keys(path.read_text()))

    def seal(self, data: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode())

    def rotate(self, token: bytes) -> bytes:
        """The same sealed data, sealed again with the newest key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise ValueError("special data cannot be decrypted with any key in DATA_KEY") from exc

    def unseal(self, token: bytes) -> dict[str, Any]:
        try:
            value = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ValueError("special data cannot be decrypted with this DATA_KEY") from exc
        return value if isinstance(value, dict) else {}

    def address_hash(self, channel: str, address: str) -> str:
        return hmac.new(self._hash_key, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()

    def reference_digest(self, contact_id: int) -> bytes:
        """A keyed digest of a person's row id: their reference code, unguessable without the key."""
        return hmac.new(self._reference_key, f"contact:{contact_id}".encode(), hashlib.sha256).digest()
