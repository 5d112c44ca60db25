"""The labelled figure case set at the issue's targets (fixed cases, not timings)."""

import pytest

from tests.cases.figure_cases import KINDS, run_cases, scores

OUTCOMES = run_cases()
SCORES = scores(OUTCOMES)


def test_the_case_set_is_big_enough_and_covers_every_kind() -> None:
    assert len(OUTCOMES) >= 60
    for kind in KINDS:
        assert any(kind in o.expected for o in OUTCOMES), kind
    assert sum(1 for o in OUTCOMES if not o.expected) >= 20


def test_no_alert_on_compatible_wording_or_traps() -> None:
    noisy = [(o.name, o.summaries) for o in OUTCOMES if not o.expected and o.fired]
    assert noisy == []


@pytest.mark.parametrize("kind", KINDS)
def test_precision_at_least_095(kind: str) -> None:
    precision, _, tp, fp, _ = SCORES[kind]
    assert precision >= 0.95, f"{kind}: tp {tp}, fp {fp}"


@pytest.mark.parametrize("kind", KINDS)
def test_recall_at_least_090(kind: str) -> None:
    _, recall, tp, _, fn = SCORES[kind]
    assert recall >= 0.90, f"{kind}: tp {tp}, fn {fn}"
