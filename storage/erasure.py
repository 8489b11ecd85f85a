"""Personal data declared next to each table, so erasure reaches every domain without knowing them.

A model module registers what must go when a person is erased (`/delete`, a DPO request, retention):
rows to delete, or columns to overwrite. `contacts.privacy.erase` applies every registration, so a new
table holding names or free text cannot be forgotten by erasure as long as it registers here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


@dataclass(frozen=True)
class PersonalData:
    """Rows of `model` whose `contact_column` is the person (and `where`, if given): delete them, or
    overwrite `overwrite`. Registrations run in the order they were made."""

    model: type[Any]
    contact_column: InstrumentedAttribute[Any]
    overwrite: Mapping[str, Any] = field(default_factory=dict)
    where: ColumnElement[bool] | None = None

    @property
    def deletes_rows(self) -> bool:
        return not self.overwrite


REGISTRY: list[PersonalData] = []


def personal_data(
    model: type[Any],
    contact_column: InstrumentedAttribute[Any],
    overwrite: Mapping[str, Any] | None = None,
    *,
    where: ColumnElement[bool] | None = None,
) -> None:
    REGISTRY.append(PersonalData(model, contact_column, dict(overwrite or {}), where))


async def forget(session: AsyncSession, contact_id: int) -> None:
    """Apply every registration to one person (inside the caller's transaction)."""
    for item in REGISTRY:
        if item.deletes_rows:
            statement: Any = delete(item.model).where(item.contact_column == contact_id)
        else:
            statement = update(item.model).where(item.contact_column == contact_id).values(**item.overwrite)
        if item.where is not None:
            statement = statement.where(item.where)
        await session.execute(statement, execution_options={"synchronize_session": False})
