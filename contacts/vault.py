"""Sealing of special-category data and keyed hashing of addresses (PRIVACY.md, requirements 3 and 7)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)


class DataVault:
    """Encrypts special data at rest and derives opt-out hashes that cannot be reversed without the key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._hash_key = hashlib.sha256(b"civicbot-optout:" + key).digest()
        self._reference_key = hashlib.sha256(b"civicbot-reference:" + key).digest()

    @classmethod
    def from_key_or_file(cls, key: str | None, state_dir: Path) -> DataVault:
        """Use the configured key; otherwise keep one in `state_dir/data.key` (created 0600 on first use)."""
        if key:
            return cls(key.encode())
        path = state_dir / "data.key"
        if not path.exists():
            state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
            log.warning("DATA_KEY is not set: generated %s; back it up or special data is lost", path)
        return cls(path.read_bytes().strip())

    def seal(self, data: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode())

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
