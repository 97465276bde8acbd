"""Every answer is readable, complete and never repeats a claim the facts sheet marks wrong."""

from __future__ import annotations

import re

import pytest
import textstat

from core.content_store import Content
from tests.conftest import TEST_DATA, read_yaml
from tests.contract import topics_citing_nothing

MAX_GRADE = 8.0
# Spanish has no grade level: Fernandez-Huerta (1959) and Szigriszt-Pazos
# (1993, the INFLESZ scale) read syllables per word and words per sentence.
# 70 and 65 are where "fairly easy" starts on each: about the English grade 7-8.
MIN_FERNANDEZ_HUERTA = 70.0
MIN_SZIGRISZT_PAZOS = 65.0
SPANISH = type(textstat.textstat)()  # its own instance: the module's stays English
SPANISH.set_lang("es")
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
# The same claims as Spanish would make them.
FORBIDDEN_ES = {
    "no adverse or side effects": r"\bsin (ningún |ningun )?efectos? (adversos?|secundarios?)\b|"
    r"\bno (tiene|causa|produce) (ningún |ningun )?efectos? (adversos?|secundarios?)\b",
    "no abuse potential": (r"\bno (hay|tiene) (ningún |ningun )?potencial de (abuso|adicción)"),
    "not addictive": (
        r"\bno (es|resulta) adictiv[ao]\b|\bno (causa|crea|produce) (dependencia|adicción)"
    ),
    "approved for depression (racemic ketamine)": (
        r"la ketamina (está|fue|esta) aprobada (por la fda )?para (la )?depresión"
    ),
    "20.4% have chronic back pain": r"20[.,]4",
    "relief for 4 weeks": r"hasta 4 semanas",
    "promise of benefit": r"\b(garantiza\w*|cura(rá)? su dolor|le quitará el dolor para siempre)\b",
    "generally safe": r"\bgeneralmente (se considera )?segur[ao]\b|\bcompletamente segur[ao]\b",
}


def answer_text(content: Content, topic: str, language: str = "en") -> str:
    return " ".join(content.render(topic, language).messages)


@pytest.mark.parametrize("topic", sorted(COVERAGE))
def test_answer_reads_at_or_below_grade_8(content: Content, topic: str) -> None:
    grade = textstat.flesch_kincaid_grade(answer_text(content, topic))
    assert grade <= MAX_GRADE, f"{topic} reads at grade {grade}"


@pytest.mark.parametrize("topic", sorted(COVERAGE))
def test_spanish_answer_reads_fairly_easy(content: Content, topic: str) -> None:
    text = answer_text(content, topic, "es")
    huerta, szigriszt = SPANISH.fernandez_huerta(text), SPANISH.szigriszt_pazos(text)
    assert huerta >= MIN_FERNANDEZ_HUERTA and szigriszt >= MIN_SZIGRISZT_PAZOS, (
        f"{topic}: Fernandez-Huerta {huerta}, Szigriszt-Pazos {szigriszt}"
    )


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


@pytest.mark.parametrize("claim", sorted(FORBIDDEN_ES))
def test_no_spanish_answer_repeats_a_wrong_claim(content: Content, claim: str) -> None:
    pattern = re.compile(FORBIDDEN_ES[claim], re.IGNORECASE)
    texts = [answer_text(content, t, "es") for t in content.answers]
    texts += [content.reply(name, "es") for name in content.replies]
    offending = [t for t in texts if pattern.search(t)]
    assert not offending, f"'{claim}' found in: {offending}"


def test_spanish_forbidden_patterns_catch_the_claims_in_spanish() -> None:
    claims = [
        "Su efecto es más rápido y no tiene efectos adversos.",
        "Así que no hay potencial de abuso.",
        "La ketamina no es adictiva.",
        "El 20,4 por ciento de la población tiene dolor de espalda crónico.",
        "El alivio dura hasta 4 semanas.",
        "Le garantizamos resultados.",
    ]
    for claim in claims:
        assert any(re.search(p, claim, re.IGNORECASE) for p in FORBIDDEN_ES.values()), claim


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
