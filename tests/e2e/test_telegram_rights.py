"""The rights of /mydata through `civicbot serve` and the fake Bot API: the reference code and username staff
can find a person by, and withdrawing the sensitive answers with the button /mydata shows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from channels.i18n import t
from contacts.conversation import WITHDRAW, WITHDRAWN
from contacts.registry import find_by_username
from storage.db import create_engine, session_factory
from storage.models import AuditEntry, SpecialProfile
from tests.e2e.people import Person, buttons
from tests.e2e.service import RunningService
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.slow


async def test_mydata_shows_the_reference_and_withdraws_the_sensitive_answers(
    service: RunningService, telegram: FakeTelegram, database_url: str
) -> None:
    person = Person(telegram, 7101, language_code="hy")
    telegram.register_user(7101, "Ani", language_code="hy", username="Ani_Marneuli")
    await person.sign_up("hy", "marneuli")
    await person.say("/profile")
    for data in ("prof:start", "age:25-34", "gen:woman", "spc:yes", "grp:yes", "grp:no"):
        await person.press(data)
    await person.press("grp:na")

    mydata = (await person.say("/mydata"))[0]
    assert "7101" in mydata and "@ani_marneuli" in mydata
    assert buttons(telegram.messages(person.id)[-1]) == [WITHDRAW]
    assert (await person.press(WITHDRAW))[0] == t("hy", WITHDRAWN)
    again = await person.say("/mydata")
    assert again and buttons(telegram.messages(person.id)[-1]) == []

    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(SpecialProfile)) == 0
        assert (
            await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "contact.special_data_withdrawn")
            )
            == 1
        )
        identity = await find_by_username(session, "@ANI_marneuli")
        assert identity is not None and identity.address == "7101"
    await engine.dispose()
