"""The emerging-story detector: distinct sources and arrival velocity in event time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from detectors.story import Finding, Member, StorySnapshot, evidence_key, stable_id
from topics import Alert, ArticleRef

KIND: Final = "story.emerging"
ESCALATING: Final = "story.escalating"


@dataclass(frozen=True)
class _Burst:
    """The first point in event time where a window of arrivals holds enough sources."""

    end: int
    refs: list[ArticleRef]


@dataclass(frozen=True)
class EmergingStoryDetector:
    """`story.emerging` once, when `min_sources` outlets report a story within `window` (a
    velocity of at least min_sources per window); then at most one `story.escalating`, when a
    later window holds `escalation_factor` times as many sources (and `escalation_min_extra`
    more). A story with no arrival for `quiet_after` is closed: it can no longer escalate.
    """

    min_sources: int = 3
    window: timedelta = timedelta(hours=12)
    escalation_factor: float = 2.0
    escalation_min_extra: int = 3
    quiet_after: timedelta = timedelta(hours=24)

    def check(self, story: StorySnapshot) -> Finding | None:
        members = _ordered(story)
        burst = self._first_burst(members, self.min_sources, start=0)
        if burst is None:
            return None
        return self._finding(story.story_id, KIND, members[burst.end], burst.refs)

    def check_all(self, story: StorySnapshot) -> list[Finding]:
        """Emerging and, after it, escalating: what the story warrants as of its snapshot."""
        members = _ordered(story)
        burst = self._first_burst(members, self.min_sources, start=0)
        if burst is None:
            return []
        found = [self._finding(story.story_id, KIND, members[burst.end], burst.refs)]
        need = max(
            int(len(burst.refs) * self.escalation_factor + 0.999),
            len(burst.refs) + self.escalation_min_extra,
        )
        jump = self._first_burst(members, need, start=burst.end + 1)
        if jump is not None and not self._quiet_between(members, burst.end, jump.end):
            found.append(self._finding(story.story_id, ESCALATING, members[jump.end], jump.refs))
        return found

    def is_closed(self, story: StorySnapshot, now: datetime) -> bool:
        """True once the story has been quiet for `quiet_after` in event time."""
        if not story.members:
            return True
        return now - max(m.published_at for m in story.members) > self.quiet_after

    def _quiet_between(self, members: list[Member], first: int, last: int) -> bool:
        return any(
            b.published_at - a.published_at > self.quiet_after
            for a, b in zip(members[first:last], members[first + 1 : last + 1], strict=True)
        )

    def _first_burst(self, members: list[Member], need: int, start: int) -> _Burst | None:
        # Slide the window's end over arrivals in event time; the first end that completes the
        # source count is where the story emerged (or escalated).
        lo = 0
        for end in range(len(members)):
            last = members[end]
            while last.published_at - members[lo].published_at > self.window:
                lo += 1
            if end < start:
                continue
            first_by_source: dict[str, ArticleRef] = {}
            for m in members[lo : end + 1]:
                if m.thin:
                    continue  # a stub page says nothing an outlet reported
                first_by_source.setdefault(
                    m.source,
                    ArticleRef(
                        article_id=m.article_id,
                        source=m.source,
                        published_at=m.published_at,
                        title=m.title,
                    ),
                )
            if len(first_by_source) >= need:
                refs = sorted(first_by_source.values(), key=lambda r: r.published_at)
                return _Burst(end=end, refs=refs)
        return None

    @staticmethod
    def _finding(story_id: str, kind: str, last: Member, refs: list[ArticleRef]) -> Finding:
        span = refs[-1].published_at - refs[0].published_at
        hours = span.total_seconds() / 3600
        word = "Emerging" if kind == KIND else "Escalating"
        # A story emerges (and escalates) once: the evidence key is the kind alone, carried
        # over when stories merge. The id names the articles it emerged with, not the story.
        alert = Alert(
            id=stable_id("al", kind, [r.article_id for r in refs]),
            kind=KIND if kind == KIND else ESCALATING,
            story_id=story_id,
            severity="info" if kind == KIND else "warning",
            summary=f'{word} story: {len(refs)} sources in {hours:.1f} h — "{refs[0].title}"',
            event_time=last.published_at,
            sources=[r.source for r in refs],
            articles=refs,
        )
        return Finding(alert=alert, topic=kind, evidence=evidence_key(kind))


def _ordered(story: StorySnapshot) -> list[Member]:
    return sorted(story.members, key=lambda m: (m.published_at, m.article_id))
