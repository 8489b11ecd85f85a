"""The Twilio webhooks: signatures checked against the public URL, re-sends handled once, status callbacks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from storage.models import ChannelIdentity, Contact, IdentityStatus, InboundEvent
from storage.models.deliveries import Delivery, DeliveryStatus
from tests.fakes.twilio_inbound import inbound_params
from tests.fakes.twilio_models import FakeMessage, new_sid
from tests.fakes.twilio_segments import count_segments
from tests.handlers.sms.harness import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE, SENDER, SmsHarness

PHONE = "+995599123456"


async def _count(sms: SmsHarness, model: type[object]) -> int:
    async with sms.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _deliveries(sms: SmsHarness) -> list[Delivery]:
    async with sms.sessions() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


def _form(body: str, phone: str = PHONE) -> dict[str, str]:
    message = FakeMessage(
        sid=new_sid("SM"),
        account_sid=ACCOUNT_SID,
        to=SENDER,
        from_=phone,
        messaging_service_sid=None,
        body=body,
        segmentation=count_segments(body),
        direction="inbound",
        status="received",
        date_created=datetime.now(UTC),
    )
    return inbound_params(message)


async def test_a_wrong_signature_gets_403_changes_nothing_and_is_logged(
    sms: SmsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="handlers.sms.webhook"):
        result = await sms.send(PHONE, "salam", signature="bm90IHRoZSBzaWduYXR1cmU=")
    await sms.deliver()

    assert result.status == 403
    assert await sms.contact(PHONE) is None
    assert await _count(sms, InboundEvent) == 0
    assert await _count(sms, Delivery) == 0
    assert sms.fake.sent_to(PHONE) == []
    assert "invalid signature" in caplog.text


async def test_a_signature_over_the_address_the_app_sees_is_refused_behind_a_proxy(sms: SmsHarness) -> None:
    """Twilio signs the public URL; a request signed for the internal address was not sent by Twilio."""
    url = f"{sms.local_url}/twilio/sms"
    params = _form("salam")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    async with httpx.AsyncClient() as client:
        response = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})

    assert response.status_code == 403
    assert await sms.contact(PHONE) is None


async def test_a_request_without_signature_is_refused(sms: SmsHarness) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{sms.local_url}/twilio/sms", data=_form("salam"))
        callback = await client.post(f"{sms.local_url}/twilio/status", data={"MessageSid": "SM1"})

    assert (response.status_code, callback.status_code) == (403, 403)


async def test_a_valid_signature_on_the_public_url_is_accepted_and_answered_with_empty_twiml(
    sms: SmsHarness,
) -> None:
    params = _form("salam")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_BASE}/twilio/sms", params)
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{sms.local_url}/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert await sms.contact(PHONE) is not None
    assert [d.status for d in await _deliveries(sms)] == [DeliveryStatus.PENDING]  # waits in the outbox


async def test_a_repeated_message_sid_is_handled_once(sms: SmsHarness) -> None:
    first = await sms.send(PHONE, "salam")
    again = await sms.fake.replay(first.message_sid)
    await sms.deliver()

    assert (first.status, again.status) == (200, 200)
    assert await _count(sms, InboundEvent) == 1
    assert len(await _deliveries(sms)) == 1
    assert len(sms.fake.sent_to(PHONE)) == 1


async def test_a_message_from_our_own_number_is_never_answered(sms: SmsHarness) -> None:
    result = await sms.send(SENDER, "You have successfully been unsubscribed.")
    await sms.deliver()

    assert result.status == 200
    assert await _count(sms, Contact) == 0
    assert await _count(sms, Delivery) == 0


async def test_status_callbacks_move_the_reply_to_delivered(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")

    (row,) = await _deliveries(sms)
    assert row.status == DeliveryStatus.DELIVERED
    assert row.provider_message_id == sms.fake.sent_to(PHONE)[0].sid
    statuses = [c.params["MessageStatus"] for c in sms.fake.callbacks]
    assert statuses == ["sent", "delivered"]
    assert {c.response_status for c in sms.fake.callbacks} == {204}


@pytest.mark.parametrize(
    ("status", "code", "row_status", "identity"),
    [
        pytest.param(
            "undelivered", 30005, DeliveryStatus.UNDELIVERED, IdentityStatus.UNREACHABLE, id="unknown"
        ),
        pytest.param(
            "undelivered", 30006, DeliveryStatus.UNDELIVERED, IdentityStatus.UNREACHABLE, id="landline"
        ),
        pytest.param("undelivered", 30003, DeliveryStatus.UNDELIVERED, IdentityStatus.ACTIVE, id="phone-off"),
        pytest.param("failed", 30008, DeliveryStatus.FAILED, IdentityStatus.ACTIVE, id="unknown-error"),
    ],
)
async def test_undelivered_and_failed_callbacks(
    sms: SmsHarness, status: str, code: int, row_status: DeliveryStatus, identity: IdentityStatus
) -> None:
    sms.fake.set_outcome(PHONE, status, code)

    await sms.text(PHONE, "salam")

    (row,) = await _deliveries(sms)
    assert row.status == row_status
    assert row.last_error is not None and str(code) in row.last_error
    async with sms.sessions() as session:
        found = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.address == PHONE))
    assert found is not None and found.status == identity


async def test_a_forged_status_callback_changes_nothing(sms: SmsHarness) -> None:
    await sms.text(PHONE, "salam")
    (row,) = await _deliveries(sms)
    form = {
        "MessageSid": row.provider_message_id or "",
        "MessageStatus": "failed",
        "ErrorCode": "30005",
        "To": PHONE,
    }
    signature = RequestValidator("someone-elses-token").compute_signature(
        f"{PUBLIC_BASE}/twilio/status", form
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{sms.local_url}/twilio/status", data=form, headers={"X-Twilio-Signature": signature}
        )

    assert response.status_code == 403
    (after,) = await _deliveries(sms)
    assert after.status == DeliveryStatus.DELIVERED


async def test_without_twilio_settings_the_webhooks_do_not_exist() -> None:
    from types import SimpleNamespace

    from fastapi import FastAPI

    from bot.settings import Settings, TwilioSettings
    from handlers.sms.webhook import router

    app = FastAPI()
    app.include_router(router)
    app.state.service = SimpleNamespace(settings=Settings(twilio=TwilioSettings(twilio_account_sid=None)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        sms = await client.post("/twilio/sms", data=_form("salam"))
        status = await client.post("/twilio/status", data={"MessageSid": "SM1"})

    assert (sms.status_code, status.status_code) == (404, 404)


async def test_a_message_whose_handling_failed_is_handled_when_twilio_sends_it_again(
    sms: SmsHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.sms.conversation import SmsConversation

    real = SmsConversation.handle
    calls: list[str] = []

    async def fail_once(self: SmsConversation, message: object) -> object:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return await real(self, message)  # type: ignore[arg-type]

    monkeypatch.setattr(SmsConversation, "handle", fail_once)
    first = await sms.send(PHONE, "salam")
    again = await sms.fake.replay(first.message_sid)
    await sms.deliver()

    assert (first.status, again.status) == (500, 200)
    assert await _count(sms, InboundEvent) == 1
    assert len(sms.fake.sent_to(PHONE)) == 1
