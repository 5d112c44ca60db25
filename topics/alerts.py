"""The `alerts` topic: what wirewatch tells desks and on-call, with the evidence behind it."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ALERTS = "alerts"
SCHEMA_VERSION = 1

AlertKind = Literal[
    "story.emerging",
    "story.escalating",
    "story.merged",
    "figures.conflict",
    "figures.updated",
    "figures.disputed",
    "figures.inconsistent",
]
Severity = Literal["info", "warning", "critical"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ArticleRef(_Record):
    """One member article of a story, as an alert cites it."""

    article_id: str
    source: str
    published_at: AwareDatetime
    title: str


class ClaimEvidence(_Record):
    """One source's claim about a figure, with everything an editor needs to check it."""

    article_id: str
    source: str
    published_at: AwareDatetime
    value_text: str = Field(description="The figure as written.")
    low: float | None
    high: float | None
    qualifier: str
    thing: str | None
    action: str | None
    claimant: str | None
    sentence: str
    role: str = Field(default="total", description="What the figure is to the event (a total).")
    section: str = Field(default="body", description="title, lead or body of its article.")
    confidence: float = Field(default=1.0, description="How sure extraction is of the role.")
    perpetrator: str | None = Field(
        default=None,
        description="'included'/'excluded' when the article says whether the "
        "figure counts the attacker; null when it does not say.",
    )


class Alert(_Record):
    """One alert. `id` is stable: the same evidence always gives the same id."""

    schema_version: int = SCHEMA_VERSION
    id: str
    kind: AlertKind
    story_id: str
    severity: Severity
    summary: str = Field(description="One line a person can read.")
    event_time: AwareDatetime = Field(description="published_at of the article that triggered it.")
    sources: list[str] = Field(default_factory=list)
    articles: list[ArticleRef] = Field(default_factory=list)
    figure: str | None = Field(default=None, description="The figure in words, for figure alerts.")
    claims: list[ClaimEvidence] = Field(default_factory=list)
    supersedes: str | None = Field(default=None, description="Id of the alert this one updates.")
    related_story_ids: list[str] = Field(
        default_factory=list, description="Other stories involved, e.g. those merged into this one."
    )
