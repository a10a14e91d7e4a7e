"""The demo's Audible section plugged into the demo fixture: one run shows A1 and both directions of A4."""

from __future__ import annotations

import httpx

from bookrelay.app import run_progress
from bookrelay.config import Config
from bookrelay.sandbox.demo_audible import (
    ABS_CASES_SUPERSEDED,
    DEMO_AUDIBLE_EXPECTED,
    demo_audible_disabled,
    demo_audible_login,
    demo_audible_section,
)
from bookrelay.sandbox.demo_data import DEMO_ABS_KEY, DEMO_HARDCOVER_TOKEN, demo_fixture
from bookrelay.sandbox.server import build_sandbox
from bookrelay.store.facade import Store
from bookrelay.sync import audible_auth
from tests.sync.harness import FAST_LIMITS


def _first_action(item: object) -> str:
    actions = item.actions  # type: ignore[attr-defined]
    first = actions[0]
    rule = getattr(first, "rule", None)
    return f"{type(first).__name__}:{rule}" if rule else type(first).__name__


async def test_A1_A4_demo_audible_section_on_the_demo_catalogue(store: Store) -> None:
    fixture = demo_fixture()
    fixture["hardcover"]["limits"] = dict(FAST_LIMITS)
    section = demo_audible_section(fixture)
    fixture["audible"] = section
    audible_auth.save_auth(store, "demo", demo_audible_login(section))
    (disabled,) = demo_audible_disabled(section)
    store.links.upsert("demo", "audible", disabled, sync_enabled=False)
    config = Config.model_validate(
        {
            "global": {
                "timezone": "UTC",
                "hardcover": {
                    "url": "http://sandbox/hardcover/v1/graphql",
                    **{k: v for k, v in FAST_LIMITS.items() if k != "max_top_level"},
                },
                "audible": {"url": "http://sandbox/audible"},
            },
            "users": [
                {
                    "id": "demo",
                    "hardcover": {"token": DEMO_HARDCOVER_TOKEN},
                    "audiobookshelf": {"url": "http://sandbox/abs", "api_key": DEMO_ABS_KEY},
                    "audible": {"locale": "us"},
                }
            ],
        }
    )
    sandbox = build_sandbox(fixture)
    (report,) = await run_progress(
        config, ["demo"], transport=httpx.ASGITransport(app=sandbox.app), store=store, keep_plan=True
    )
    assert report.error is None and report.notes == []
    asins = {item["title"]: item["asin"] for item in section["accounts"][0]["library"]}
    planned = {(p.item_id, p.title): _first_action(p) for p in report.plan}
    audible_actions = {
        title: planned.get((asins[title], title), "disabled") for title in DEMO_AUDIBLE_EXPECTED
    }
    assert audible_actions == DEMO_AUDIBLE_EXPECTED
    abs_actions = {title: a for (item_id, title), a in planned.items() if item_id not in asins.values()}
    for title, action in ABS_CASES_SUPERSEDED.items():
        assert abs_actions[title] == action
    assert report.disabled == 1 and report.held["A4"] == 2
    assert not any(title == "Babel" and item_id == asins["Babel"] for item_id, title in planned)
