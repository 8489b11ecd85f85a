"""compose.yaml describes the cluster the local script runs: 3 replicas behind nginx, PostgreSQL, Redis."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_three_replicas_share_postgres_redis_and_one_key_behind_nginx() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"postgres", "redis", "migrate", "civicbot", "nginx"} <= set(services)
    replica = services["civicbot"]
    assert replica["deploy"]["replicas"] == 3
    assert "ports" not in replica, "replicas are reached through nginx only"
    env = replica["environment"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://") and "@postgres:" in env["DATABASE_URL"]
    assert "DATA_KEY" in env, "replicas must seal special data with one key"
    assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    mounted = services["nginx"]["volumes"][0].split(":")[0]
    conf = (DEPLOY / mounted).read_text()
    assert re.search(r"server civicbot:8080\b", conf)
    assert "X-Request-ID $request_id" in conf


def test_the_image_ships_every_package() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    pyproject = (DEPLOY.parent / "pyproject.toml").read_text()
    packages = re.search(r"^packages = \[(.*)\]$", pyproject, re.M)
    assert packages is not None
    for package in re.findall(r'"([a-z_]+)"', packages.group(1)):
        assert f"COPY {package} {package}" in dockerfile, package
