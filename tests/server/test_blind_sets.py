"""The blind sets, end to end over REST: the figures we claim, on language we did not write.

Each set in tests/data/blind/ was written by an independent writer who saw
neither the training data, the lexicon nor our other sets, and was never
trained or tuned on (tests/unit/test_consistency.py proves the first; the second
is a rule of the project: a miss here is fixed with new training data or
lexicon entries written from other sources, never by copying a message).
`a_*` was scored untuned first; `b_*` was first scored after the tuning.
`c_*` was written in a later session and scored untuned on its starting model.
The floors below are the figures measured when the sets were added, rounded
down: a change that loses what they measure fails the build. The full
reports, with every miss, go to results/blind_*.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from core.settings import PROJECT_ROOT
from tests.conftest import TEST_DATA
from tools.evaluate_cases import evaluate, load_cases, summary

pytestmark = pytest.mark.server

BLIND = TEST_DATA / "blind"


@dataclass(frozen=True)
class Floors:
    emergency_recall: float
    emergency_category: float
    disclosure_recall: float
    out_of_scope: float
    topics: float
    max_false_alarms: float


# Each family of sets keeps the floors measured when it was added, rounded
# down by about a point: retraining on a little more data moves these
# figures by up to a point either way. The targets are higher (100% of
# emergencies and disclosures, at most 0.5% false alarms): see BENCHMARKS.md.
FLOORS = {
    # Sets A and B, 1,234 non-safety messages, 381 emergencies, 168
    # disclosures. Measured at their end of tuning: 94.2%, 93.2%, 87.5%,
    # 96.8%, 94.4%, false alarms 4.3%.
    ("a_", "b_"): Floors(0.93, 0.92, 0.86, 0.95, 0.93, 0.05),
    # Set C, 609 non-safety messages, 209 emergencies, 114 disclosures.
    # Untuned: 88.0%, 86.1%, 84.2%, 96.7%, 93.0%, false alarms 5.3%; at the
    # end of that session: 89.0%, 87.6%, 84.2%, 96.7%, 93.5%, 4.9%.
    ("c_",): Floors(0.88, 0.86, 0.83, 0.95, 0.92, 0.055),
}


@pytest.mark.parametrize("prefixes", list(FLOORS), ids=lambda p: "+".join(p))
def test_blind_sets_meet_their_floors(assistant: str, prefixes: tuple[str, ...]) -> None:
    paths = sorted(p for p in BLIND.glob("*.yml") if p.name.startswith(prefixes))
    assert paths, prefixes
    report = evaluate(assistant, load_cases(*paths))
    out = PROJECT_ROOT / "results" / f"blind_{'_'.join(p.rstrip('_') for p in prefixes)}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report.as_dict(), indent=2))
    print(f"\nblind sets {prefixes}:\n{summary(report)}\nmisses in {out}")
    floors = FLOORS[prefixes]
    for metric in ("emergency_recall", "emergency_category", "disclosure_recall"):
        assert getattr(report, metric).rate >= getattr(floors, metric), (metric, report.misses)
    assert report.out_of_scope.rate >= floors.out_of_scope, report.misses
    assert report.topics.rate >= floors.topics, report.misses
    assert report.false_alarms.rate <= floors.max_false_alarms, report.misses
