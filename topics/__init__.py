"""The Kafka contracts: topic names, record types and schema versions."""

from topics.alerts import ALERTS, Alert, AlertKind, ArticleRef, ClaimEvidence
from topics.articles import ARTICLES, Article, InvalidArticle, parse_article
from topics.deadletters import DEADLETTERS, DeadLetter, DeadLetterReason
from topics.signatures import (
    SIGNATURES,
    Actor,
    Count,
    DateMention,
    Location,
    Signature,
)

__all__ = [
    "ALERTS",
    "ARTICLES",
    "DEADLETTERS",
    "SIGNATURES",
    "Actor",
    "Alert",
    "AlertKind",
    "Article",
    "ArticleRef",
    "ClaimEvidence",
    "Count",
    "DateMention",
    "DeadLetter",
    "DeadLetterReason",
    "InvalidArticle",
    "Location",
    "Signature",
    "parse_article",
]
