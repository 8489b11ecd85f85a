"""Inbound for people in a browser: the staff console (/console), public pages and the chat simulator.

Server-rendered Jinja2 with htmx for live parts; routes call the same domain services as the CLI.
Nothing here opens a connection or reads settings at import time: routes reach the running service
through `request.app.state.service` (see `web.service`).
"""
