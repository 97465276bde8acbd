"""The REST contract's answer sources: {"id", "title", "url"}, a url the patient can open.

These check the contract checker (tests/contract.py) itself, and that every
answer the content store can give passes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from core import contract
from core.content_store import Content
from tests.contract import assert_follows_contract, clinic_supplied_sources

SENDER = "c-sources"
GUIDELINE = {
    "id": "cohen-2018",
    "title": "Consensus guidelines on intravenous ketamine for chronic pain",
    "url": "https://doi.org/10.1097/AAP.0000000000000808",
}
SEED = {"id": "seed-000", "title": "Patient article supplied by the clinic", "url": None}


def answer_reply(*sources: dict[str, Any]) -> list[dict[str, Any]]:
    custom = {"kind": "answer", "topic": "evidence", "sources": list(sources), "language": "en"}
    return [
        {"recipient_id": SENDER, "text": "An answer."},
        {"recipient_id": SENDER, "custom": custom},
    ]


def contract_broken(reply: list[dict[str, Any]]) -> bool:
    try:
        assert_follows_contract(reply, SENDER)
    except AssertionError:
        return True
    return False


@pytest.mark.parametrize("topic", ["evidence", "side_effects", "fda_status", "preparation"])
def test_answer_items_carry_each_sources_address(content: Content, topic: str) -> None:
    answer = content.render(topic)
    item = contract.answer_item(answer)
    assert item["sources"] == [{"id": s.id, "title": s.title, "url": s.url} for s in answer.sources]
    assert_follows_contract([{"recipient_id": SENDER, "custom": item}], SENDER)


def test_every_answer_the_store_can_give_follows_the_contract(content: Content) -> None:
    for topic in content.answers:
        item = contract.answer_item(content.render(topic))
        assert_follows_contract([{"recipient_id": SENDER, "custom": item}], SENDER)


def test_sources_with_a_doi_link_and_a_clinic_supplied_document_pass() -> None:
    assert not contract_broken(answer_reply(GUIDELINE, SEED))
    web_page = {**GUIDELINE, "id": "livertox", "url": "https://www.ncbi.nlm.nih.gov/books/"}
    assert not contract_broken(answer_reply(web_page))


def test_a_source_without_url_breaks_the_contract() -> None:
    assert contract_broken(answer_reply({"id": "cohen-2018", "title": GUIDELINE["title"]}))


def test_a_null_url_is_only_for_a_document_the_clinic_supplied() -> None:
    assert clinic_supplied_sources() == {"seed-000", "seed-001"}
    assert contract_broken(answer_reply({**GUIDELINE, "url": None}))


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "doi:10.1097/AAP.0000000000000808", "www.asra.com", "", 42],
)
def test_a_url_a_browser_cannot_open_breaks_the_contract(url: Any) -> None:
    assert contract_broken(answer_reply({**GUIDELINE, "url": url}))


def test_a_source_with_fields_the_contract_does_not_name_breaks_it() -> None:
    assert contract_broken(answer_reply({**GUIDELINE, "supplied_by_clinic": False}))
