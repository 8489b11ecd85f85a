"""The Grafana dashboard only queries metrics the service exports (names drift otherwise, silently)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import bot.app  # noqa: F401 - registers every metric of the service

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "civicbot.json"
_NAME = re.compile(r"\bcivicbot_[a-z_]+")
_SUFFIX = re.compile(r"_(bucket|count|sum|total)$")


def test_every_dashboard_query_names_an_exported_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {
        _SUFFIX.sub("", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in _NAME.findall(target["expr"])
    }
    exported = {metric.name for metric in REGISTRY.collect()}
    assert queried, "the dashboard queries nothing"
    assert queried <= exported, sorted(queried - exported)
    assert {
        "civicbot_outbox_messages",
        "civicbot_webhook_seconds",
        "civicbot_scheduler_leader",
        "civicbot_provider_answers",
        "civicbot_delivery_pacing_wait_seconds",
    } <= queried
