"""Every answer is readable, complete and never repeats a claim the facts sheet marks wrong."""

from __future__ import annotations

import re

import pytest
import textstat

from core.content_store import Content
from tests.conftest import TEST_DATA, read_yaml
from tests.contract import topics_citing_nothing

MAX_GRADE = 8.0
COVERAGE = read_yaml(TEST_DATA / "answer_coverage.yml")

# Claims shared/clinical-facts.md marks wrong, and promises we never make.
FORBIDDEN = {
    "no adverse or side effects": r"\bno (adverse|side)[ -]effects?\b",
    "no abuse potential": r"\bno potential for (drug )?abuse\b",
    "not addictive": (
        r"\b(not|non)[ -]addictive\b|\bdoes not cause (any )?(dependence|addiction)\b"
    ),
    "approved for depression (racemic ketamine)": (
        r"ketamine (is|was) (fda[- ])?approved for depression"
    ),
    "20.4% have chronic back pain": r"20\.4",
    "relief for 4 weeks": r"up to 4 weeks",
    "promise of benefit": (
        r"\b(guarantee[ds]?|cures?|will (definitely )?(fix|stop|end) your pain)\b"
    ),
    "generally safe": r"\bgenerally (considered )?(to be )?safe\b|\bcompletely safe\b",
}


def answer_text(content: Content, topic: str) -> str:
    return " ".join(content.render(topic).messages)


@pytest.mark.parametrize("topic", sorted(COVERAGE))
def test_answer_reads_at_or_below_grade_8(content: Content, topic: str) -> None:
    grade = textstat.flesch_kincaid_grade(answer_text(content, topic))
    assert grade <= MAX_GRADE, f"{topic} reads at grade {grade}"


@pytest.mark.parametrize("topic", sorted(COVERAGE))
def test_answer_covers_what_the_topic_needs(content: Content, topic: str) -> None:
    text = answer_text(content, topic)
    missing = [p for p in COVERAGE[topic] if not re.search(p, text, re.IGNORECASE)]
    assert not missing, f"{topic} does not say: {missing}"


@pytest.mark.parametrize("claim", sorted(FORBIDDEN))
def test_no_answer_repeats_a_wrong_claim(content: Content, claim: str) -> None:
    pattern = re.compile(FORBIDDEN[claim], re.IGNORECASE)
    texts = [answer_text(content, t) for t in content.answers]
    texts += [content.reply(name) for name in content.replies]
    offending = [t for t in texts if pattern.search(t)]
    assert not offending, f"'{claim}' found in: {offending}"


def test_forbidden_patterns_catch_the_seed_claims() -> None:
    seed_claims = [
        "Its onset is quicker, and there are no adverse effects.",
        "So, there is no potential for drug abuse.",
        "20.4 percent of the U.S. population is suffering from chronic back pain.",
    ]
    for claim in seed_claims:
        assert any(re.search(p, claim, re.IGNORECASE) for p in FORBIDDEN.values()), claim


def test_every_answer_cites_sources_that_resolve(content: Content) -> None:
    for topic, answer in content.answers.items():
        if topic not in topics_citing_nothing():
            assert answer.sources, f"{topic} cites nothing"
        for source in answer.sources:
            assert content.sources[source.id].title == source.title
