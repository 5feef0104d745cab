"""robots.txt rules for article pages, read from real answers (see test_collect for the fetching)."""

import pytest

from briefing.gather.fetch import FetchPolicy, FetchResult
from briefing.gather.robots import robots_url, site_rules

OURS = FetchPolicy().user_agent
ROBOTS = "https://news.example/robots.txt"


def answer(status: int | None, body: str = "", error: str | None = None) -> FetchResult:
    return FetchResult(url=ROBOTS, final_url=ROBOTS, status=status, body=body.encode(), etag=None,
                       last_modified=None, content_type="text/plain", retry_after=None, error=error,
                       attempts=1, elapsed=0.01)


def test_robots_txt_lives_at_the_root_of_the_site_and_port():
    assert robots_url("https://news.example:8443/2026/12/story.html?x=1#top") == "https://news.example:8443/robots.txt"


def test_a_group_for_briefing_by_name_applies_to_us_and_not_to_others():
    rules = site_rules(ROBOTS, answer(200, "User-agent: briefing\nDisallow: /\n\nUser-agent: *\nAllow: /\n"))
    assert not rules.allows("https://news.example/story", OURS)
    assert rules.allows("https://news.example/story", "OtherBot/2.0")


def test_disallowed_paths_only():
    rules = site_rules(ROBOTS, answer(200, "User-agent: *\nDisallow: /members/\n"))
    assert rules.allows("https://news.example/world/story", OURS)
    assert not rules.allows("https://news.example/members/story", OURS)


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_robots_txt_that_answers_4xx_sets_no_rules(status):
    assert site_rules(ROBOTS, answer(status, error=f"HTTP {status}")).allows("https://news.example/a", OURS)


@pytest.mark.parametrize("status, error", [(429, "HTTP 429"), (500, "HTTP 500"), (None, "timed out after 30 s")])
def test_a_robots_txt_that_is_unreachable_forbids_everything_and_says_why(status, error):
    rules = site_rules(ROBOTS, answer(status, error=error))
    assert not rules.allows("https://news.example/a", OURS)
    assert rules.unreadable == error
