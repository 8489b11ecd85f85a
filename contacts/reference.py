"""A person's reference code: what a Telegram-only citizen reads out to staff on the phone.

Staff cannot find a Telegram user by phone number (we never learn it) and a user id is neither known to
the person nor safe to read out. `/mydata` therefore shows a short code, e.g. `7KD4-M2QX`: 8 characters
of Crockford base32 (no I, L, O, U, so it survives being read aloud and typed back) taken from a keyed
digest of the person's row id. It is stable for the person, never stored, and cannot be guessed from ids
without the data key; `civicbot privacy show|erase --ref CODE` finds the person by computing the code
of each non-erased row (tens of thousands of keyed hashes: well under a second, for a rare request).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contacts.vault import DataVault
from storage.models import Contact, ContactStatus

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def reference_code(vault: DataVault, contact_id: int) -> str:
    """`XXXX-XXXX`: 40 bits of the keyed digest in Crockford base32."""
    bits = int.from_bytes(vault.reference_digest(contact_id)[:5], "big")
    chars = [ALPHABET[(bits >> shift) & 31] for shift in range(5 * (LENGTH - 1), -1, -5)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def normalize_code(text: str) -> str | None:
    """The code as typed or heard ("7kd4 m2qx", "7KD4M2QX", "7KD4-M2OX"); None when it cannot be one."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_READ_AS)
    if len(letters) != LENGTH or any(ch not in ALPHABET for ch in letters):
        return None
    return letters[:4] + "-" + letters[4:]


async def find_by_reference(session: AsyncSession, vault: DataVault, code: str) -> Contact | None:
    wanted = normalize_code(code)
    if wanted is None:
        return None
    ids = (await session.scalars(select(Contact.id).where(Contact.status != ContactStatus.ERASED))).all()
    for contact_id in ids:
        if reference_code(vault, contact_id) == wanted:
            return await session.get(Contact, contact_id)
    return None
