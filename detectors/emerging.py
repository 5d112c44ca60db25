"""The emerging-story detector: enough distinct sources inside an event-time window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from detectors.story import Finding, StorySnapshot, stable_id
from topics import Alert, ArticleRef

KIND: Final = "story.emerging"


@dataclass(frozen=True)
class EmergingStoryDetector:
    """Fires once per story, the first time `min_sources` outlets report it within `window`."""

    min_sources: int = 3
    window: timedelta = timedelta(hours=12)

    def check(self, story: StorySnapshot) -> Finding | None:
        members = sorted(story.members, key=lambda m: (m.published_at, m.article_id))
        # Slide the window's end over arrivals in event time; the first end that completes
        # the source count is where the story emerged.
        for end, last in enumerate(members):
            in_window = [
                m for m in members[: end + 1] if last.published_at - m.published_at <= self.window
            ]
            first_by_source: dict[str, ArticleRef] = {}
            for m in in_window:
                first_by_source.setdefault(
                    m.source,
                    ArticleRef(
                        article_id=m.article_id,
                        source=m.source,
                        published_at=m.published_at,
                        title=m.title,
                    ),
                )
            if len(first_by_source) >= self.min_sources:
                refs = sorted(first_by_source.values(), key=lambda r: r.published_at)
                span = refs[-1].published_at - refs[0].published_at
                hours = span.total_seconds() / 3600
                alert = Alert(
                    id=stable_id("al", KIND, story.story_id),
                    kind=KIND,
                    story_id=story.story_id,
                    severity="info",
                    summary=(
                        f'Emerging story: {len(refs)} sources in {hours:.1f} h — "{refs[0].title}"'
                    ),
                    event_time=last.published_at,
                    sources=[r.source for r in refs],
                    articles=refs,
                )
                return Finding(alert=alert, topic=KIND)
        return None
