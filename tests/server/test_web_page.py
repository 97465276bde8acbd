"""The demo clinic page in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.conftest import ARTIFACTS, PAGE_PORT, RATE_LIMITED_PAGE_PORT, TEST_RATE_LIMITS

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def page_url(assistant: str) -> Iterator[str]:
    from tools.web_server import serve_page

    server = serve_page(PAGE_PORT, assistant)
    yield f"http://localhost:{PAGE_PORT}/"
    server.shutdown()


@pytest.fixture
def page(browser: object, page_url: str, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(page_url)
    page.locator("deep-chat").wait_for()
    # The chat is set up once config.json has loaded (the greeting shows it): typing
    # before that is lost when the input is rebuilt.
    wait_for_chat_text(page, page_texts()["intro"])
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def ask(page: object, text: str) -> None:
    box = page.locator("deep-chat #text-input")
    box.click()
    box.type(text)
    page.keyboard.press("Enter")  # keyboard only: no mouse needed to send


def chat_text(page: object) -> str:
    return page.locator("deep-chat #messages").inner_text()


def page_texts(language: str = "en") -> dict:
    """What the page must show: content/page.yml (content/es/page.yml), as config.json serves it."""
    from core.content_store import default_store

    return default_store().content.page_texts(language)


def wait_for_chat_text(page: object, text: str) -> None:
    page.wait_for_function(
        "(text) => document.querySelector('deep-chat').shadowRoot.textContent.includes(text)",
        arg=text,
    )


def test_patient_asks_and_sees_the_answer_with_its_source(page: object) -> None:
    ask(page, "What are the side effects of ketamine?")
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.textContent.includes('Sources:')"
    )
    text = chat_text(page)
    assert "hallucinations" in text and "Sources:" in text
    assert page_texts()["intro"] in text  # the page's own greeting, from content/page.yml
    assert page.locator("#banner").is_hidden()
    # The page's own texts, the crisis numbers under the chat included, come from content/.
    for element in ("heading", "welcome", "disclaimer"):
        assert page.locator(f"#{element}").text_content() == page_texts()[element]
    assert "988" in page_texts()["disclaimer"] and "911" in page_texts()["disclaimer"]


def test_contraindication_shows_the_handoff_banner_with_the_clinic_phone(page: object) -> None:
    from core.content_store import default_store

    ask(page, "I was diagnosed with schizophrenia, can I still do ketamine?")
    banner = page.locator("#banner[data-kind='handoff']")
    banner.wait_for()
    shown = banner.inner_text()
    assert default_store().content.clinic.phone in shown
    assert banner.get_attribute("role") == "alert"
    handoff = page_texts()["handoff_banner"]
    before_id, after_id = handoff["text"].split("{handoff_id}")
    assert handoff["title"] in shown and before_id + "h-" in shown and after_id in shown


def test_crisis_shows_the_emergency_banner(page: object) -> None:
    ask(page, "I want to end my life")
    banner = page.locator("#banner[data-kind='emergency']")
    banner.wait_for()
    assert "988" in banner.inner_text()
    crisis = page_texts()["emergency_banners"]["crisis"]
    assert page.locator("#banner-title").inner_text() == crisis["title"]
    assert page.locator("#banner-text").inner_text() == crisis["text"]


def test_violence_shows_the_emergency_banner_with_the_hotlines(page: object) -> None:
    ask(page, "my husband hits me and I'm scared to go home")
    banner = page.locator("#banner[data-kind='emergency']")
    banner.wait_for()
    text = banner.inner_text()
    assert "911" in text and "1-800-799-7233" in text and "1-800-656-4673" in text
    violence = page_texts()["emergency_banners"]["violence"]
    assert violence["title"] in text and violence["text"] in text


def test_html_and_script_in_a_message_are_shown_as_text(page: object) -> None:
    page.evaluate("window.pwned = false")
    attack = '<img src=x onerror="window.pwned=true"><script>window.pwned=true</script>'
    ask(page, attack)
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.textContent.includes('call')"
    )
    assert page.evaluate("window.pwned") is False
    assert page.locator("deep-chat img[src='x']").count() == 0
    assert "<img src=x" in chat_text(page)


def test_page_is_labelled_and_fits_a_phone(page: object) -> None:
    assert page.locator("deep-chat").get_attribute("aria-label")
    # The heading comes from content/page.yml once config.json has loaded.
    page.wait_for_function("() => document.querySelector('h1').textContent.length > 0")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in {"A", "DEEP-CHAT", "BUTTON"}


def test_clarify_options_are_buttons_that_send_their_topic(page: object) -> None:
    """The page's handling of `clarify`, with the REST reply stubbed in the browser."""
    import json

    sent: list[dict] = []

    def reply(route: object) -> None:
        body = json.loads(route.request.post_data)
        sent.append(body)
        if len(sent) == 1:
            items = [
                {"recipient_id": body["sender"], "text": "Did you mean one of these?",
                 "buttons": [{"title": "Cost", "payload": "/cost"},
                             {"title": "Insurance", "payload": "/insurance"}]},
                {"recipient_id": body["sender"], "custom": {"kind": "clarify",
                                                            "options": ["cost", "insurance"]}},
            ]  # fmt: skip
        else:
            answer = {"kind": "answer", "topic": "insurance", "sources": []}
            items = [{"recipient_id": body["sender"], "text": "Insurance answer", "custom": answer}]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(items))

    page.route("**/webhooks/rest/webhook", reply)
    ask(page, "price or coverage?")
    button = page.locator("deep-chat button.deep-chat-suggestion-button", has_text="Insurance")
    button.wait_for()
    button.click()
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.textContent"
        ".includes('Insurance answer')"
    )
    assert [b["message"] for b in sent] == ["price or coverage?", "/insurance"]


def test_a_refused_message_and_a_lost_connection_are_explained(page: object) -> None:
    """The page's own error texts, with the REST replies stubbed in the browser."""
    import json

    from core.contract import MAX_MESSAGE_CHARS

    refusal = f"'message' must be at most {MAX_MESSAGE_CHARS} characters"
    statuses = [413, 400]
    calls: list[str] = []

    def reply(route: object) -> None:
        calls.append(route.request.post_data)
        if statuses:
            error = json.dumps({"error": refusal})
            route.fulfill(status=statuses.pop(0), content_type="application/json", body=error)
        else:
            route.abort()

    page.route("**/webhooks/rest/webhook", reply)
    texts = page_texts()
    ask(page, "a message the assistant finds too long")
    wait_for_chat_text(page, texts["message_too_long"].replace("{limit}", str(MAX_MESSAGE_CHARS)))
    ask(page, "a message the assistant cannot read")
    wait_for_chat_text(page, texts["request_refused"])
    ask(page, "a message that never arrives")
    wait_for_chat_text(page, texts["unreachable"])
    # The server's error text is for developers, in English: never shown.
    assert refusal not in chat_text(page)


def test_answer_sources_are_links_that_open_the_source_in_a_new_tab(page: object) -> None:
    """Each cited source is a link; the clinic's own documents are shown as their titles."""
    from core.content_store import default_store

    cited = default_store().content.render("side_effects").sources
    linked = [source for source in cited if source.url]
    supplied = [source for source in cited if source.url is None]
    assert linked and supplied, "side_effects should cite both kinds of source"

    requested: list[str] = []

    def source_page(route: object) -> None:  # no internet: the source is stubbed
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>The source</title>")

    page.context.route(lambda url: url in {source.url for source in linked}, source_page)
    ask(page, "What are the side effects of ketamine?")
    links = page.locator("deep-chat .answer-sources a")
    links.first.wait_for()
    assert page_texts()["sources"].split("{sources}")[0] in chat_text(page)
    assert links.count() == len(linked)
    for source in linked:
        link = page.locator("deep-chat .answer-sources a", has_text=source.title)
        assert link.get_attribute("href") == source.url
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
    for source in supplied:  # shown, but not as a link
        assert page.locator("deep-chat .answer-sources span", has_text=source.title).count() == 1
        assert page.locator("deep-chat .answer-sources a", has_text=source.title).count() == 0

    target = linked[-1]
    with page.context.expect_page() as opened:
        page.locator("deep-chat .answer-sources a", has_text=target.title).click()
    source_tab = opened.value
    source_tab.wait_for_load_state()
    assert requested == [target.url]
    assert source_tab.url == target.url
    assert page.url.startswith(f"http://localhost:{PAGE_PORT}/")  # the chat stays open


def test_source_titles_are_text_and_only_web_addresses_become_links(page: object) -> None:
    """A source from a misbehaving server cannot run script or smuggle in a link."""
    import json

    sources = [
        {"id": "a", "title": '<img src=x onerror="window.pwned=true">', "url": None},
        {"id": "b", "title": "Script link", "url": "javascript:window.pwned=true"},
        {"id": "c", "title": "Quote", "url": 'https://example.org/"onmouseover="window.pwned=true'},
    ]

    def reply(route: object) -> None:
        body = json.loads(route.request.post_data)
        answer = {"kind": "answer", "topic": "evidence", "sources": sources}
        items = [{"recipient_id": body["sender"], "text": "Results are mixed.", "custom": answer}]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(items))

    page.evaluate("window.pwned = false")
    page.route("**/webhooks/rest/webhook", reply)
    ask(page, "does it work?")
    wait_for_chat_text(page, "Script link")
    assert '<img src=x onerror="window.pwned=true">' in chat_text(page)
    assert page.locator("deep-chat .answer-sources img").count() == 0
    assert page.locator("deep-chat .answer-sources a", has_text="Script link").count() == 0
    quoted = page.locator("deep-chat .answer-sources a", has_text="Quote")
    assert quoted.get_attribute("href") == sources[2]["url"]
    assert quoted.get_attribute("onmouseover") is None
    assert page.evaluate("window.pwned") is False


def test_two_questions_show_both_answers_each_with_its_sources(page: object) -> None:
    """A message with two questions: two answers on the page, each followed by its own sources."""
    from core.content_store import default_store

    content = default_store().content
    ask(page, "What are the side effects? And is it FDA approved?")
    sources = page.locator("deep-chat .answer-sources")
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot"
        ".querySelectorAll('.answer-sources').length >= 2"
    )
    assert sources.count() == 2
    first, second = (content.render(t) for t in ("side_effects", "fda_status"))
    text = chat_text(page)
    # In the order asked: the first answer and its sources come before the second answer.
    assert text.index(first.messages[0]) < text.index(second.messages[0])
    for block, answer in zip((sources.nth(0), sources.nth(1)), (first, second), strict=True):
        linked = {s.url for s in answer.sources if s.url}
        hrefs = {a.get_attribute("href") for a in block.locator("a").all()}
        assert hrefs == linked


def shadow_count(page: object, selector: str) -> int:
    return page.evaluate(
        "(s) => document.querySelector('deep-chat').shadowRoot.querySelectorAll(s).length",
        selector,
    )


def test_each_answer_has_labelled_rating_buttons_that_work_with_the_keyboard(
    page: object,
) -> None:
    """Two answers, two "Did this help?" pairs; Enter on one rates its answer and thanks."""
    content_texts = page_texts()
    from core.content_store import default_store

    replies = default_store().content
    ask(page, "What are the side effects? And is it FDA approved?")
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot"
        ".querySelectorAll('.rating').length >= 2"
    )
    groups = page.locator("deep-chat .rating")
    assert groups.count() == 2
    assert groups.nth(0).get_attribute("role") == "group"
    assert groups.nth(0).get_attribute("aria-label") == replies.reply("rate_prompt")
    yes = groups.nth(0).locator("button", has_text="Yes")
    no = groups.nth(0).locator("button", has_text="No")
    assert yes.get_attribute("aria-label") == content_texts["rating_yes_label"]
    assert no.get_attribute("aria-label") == content_texts["rating_no_label"]
    assert "side_effects" in yes.get_attribute("data-payload")
    assert "fda_status" in groups.nth(1).locator("button").first.get_attribute("data-payload")

    yes.focus()
    page.keyboard.press("Enter")  # keyboard only
    wait_for_chat_text(page, replies.reply("rated_up"))
    assert yes.get_attribute("aria-pressed") == "true" and yes.is_disabled()
    assert no.get_attribute("aria-pressed") == "false" and no.is_disabled()
    assert groups.nth(1).locator("button").first.is_enabled()  # the other answer's pair


def test_two_unhelpful_turns_offer_a_person_and_yes_shows_the_handoff_banner(
    page: object,
) -> None:
    ask(page, "what's the weather in Paris tomorrow")
    wait_for_chat_text(page, "Sorry, I can't help with that")
    assert shadow_count(page, ".clarify-options") == 0  # not after one
    ask(page, "who won the football game last night")
    offer = page.locator("deep-chat button.deep-chat-suggestion-button", has_text="connect me")
    offer.wait_for()
    offer.click()
    banner = page.locator("#banner[data-kind='handoff']")
    banner.wait_for()
    assert page_texts()["handoff_banner"]["title"] in banner.inner_text()


def test_delete_my_conversation_asks_first_then_starts_a_new_conversation(
    page: object, tracker_db: Path
) -> None:
    import sqlalchemy as sa

    from core.content_store import default_store

    replies = default_store().content
    ask(page, "What is ketamine?")
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.querySelector('.rating')"
    )
    sender = page.evaluate("sessionStorage.getItem('clinic-assistant-conversation')")
    ask(page, "delete my conversation")
    keep = page.locator("deep-chat button.deep-chat-suggestion-button", has_text="No, keep it")
    keep.wait_for()
    keep.click()
    wait_for_chat_text(page, "I haven't deleted anything")

    ask(page, "erase my chat")
    page.wait_for_function(
        "() => document.querySelector('deep-chat').shadowRoot.textContent"
        ".split('Do you want me to delete').length > 2"
    )
    page.locator(
        "deep-chat button.deep-chat-suggestion-button", has_text="Yes, delete it"
    ).last.click()
    wait_for_chat_text(page, replies.reply("forget_done"))

    with sa.create_engine(f"sqlite:///{tracker_db}").connect() as connection:
        left = connection.execute(
            sa.text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar()
    assert left == 0
    # The page goes on with a new conversation id: nothing links the two.
    assert page.evaluate("sessionStorage.getItem('clinic-assistant-conversation')") != sender


@pytest.fixture
def rate_limited_page(
    browser: object, rate_limited_assistant: str, request: pytest.FixtureRequest
) -> Iterator[object]:
    """The page in front of the server with small rate limits (conftest, TEST_RATE_LIMITS)."""
    from tools.web_server import serve_page

    server = serve_page(RATE_LIMITED_PAGE_PORT, rate_limited_assistant)
    # 127.0.0.1 is a trusted proxy on that server: this names the patient's address.
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        extra_http_headers={"X-Forwarded-For": "203.0.113.10"},
    )
    page = context.new_page()
    page.goto(f"http://localhost:{RATE_LIMITED_PAGE_PORT}/")
    page.locator("deep-chat").wait_for()
    # The chat is set up once config.json has loaded (the greeting shows it): typing
    # before that is lost when the input is rebuilt.
    wait_for_chat_text(page, page_texts()["intro"])
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    server.shutdown()


def answers_shown(page: object, count: int) -> None:
    page.wait_for_function(
        "(count) => document.querySelector('deep-chat').shadowRoot"
        ".querySelectorAll('.answer-sources').length >= count",
        arg=count,
    )


def test_too_many_messages_get_the_polite_text_but_an_emergency_its_banner(
    rate_limited_page: object,
) -> None:
    page, limit = rate_limited_page, int(TEST_RATE_LIMITS["RATE_LIMIT_PER_CONVERSATION"])
    for count in range(1, limit + 1):
        ask(page, "What are the side effects of ketamine?")
        answers_shown(page, count)
    texts = page_texts()
    ask(page, "And how much does it cost?")
    wait_for_chat_text(page, texts["rate_limited"])
    assert "too many messages" not in chat_text(page), "the polite text, not the server's error"

    ask(page, "I want to end my life")
    banner = page.locator("#banner[data-kind='emergency']")
    banner.wait_for()
    assert (
        page.locator("#banner-title").inner_text()
        == (texts["emergency_banners"]["crisis"]["title"])
    )
    assert chat_text(page).count(texts["rate_limited"]) == 1


# --- English / Español ------------------------------------------------------------

# The page's texts beside the greeting: element id and page-text key (content
# validation makes every key present in every language).
PAGE_ELEMENTS = {
    "heading": "heading",
    "welcome": "welcome",
    "disclaimer": "disclaimer",
    "chat-heading": "chat_heading",
    "contact-heading": "contact_heading",
    "nav-chat": "nav_chat",
    "nav-contact": "nav_contact",
}
WEBHOOK = "**/webhooks/rest/webhook"


def is_message(response: object) -> bool:
    """The reply to a patient's message (not a CORS preflight)."""
    return "/webhooks/rest/webhook" in response.url and response.request.method == "POST"


def language_button(page: object, language: str) -> object:
    return page.locator(f"#language-switch button[data-language='{language}']")


def assert_page_in(page: object, language: str) -> None:
    """Every text of the page is the one of `language`, and the page says it is in it."""
    texts = page_texts(language)
    wait_for_chat_text(page, texts["intro"])
    assert page.evaluate("document.documentElement.lang") == language
    for element, key in PAGE_ELEMENTS.items():
        assert page.locator(f"#{element}").text_content() == texts[key], element
    assert page.title() == texts["page_title"]
    assert page.locator("deep-chat").get_attribute("aria-label") == texts["chat_label"]
    assert page.locator("#contact-text").text_content() == texts["contact_text"]
    box = page.locator("deep-chat #text-input")
    assert box.get_attribute("deep-chat-placeholder-text") == texts["input_placeholder"]
    for code in ("en", "es"):
        pressed = "true" if code == language else "false"
        assert language_button(page, code).get_attribute("aria-pressed") == pressed


def test_the_language_switch_says_what_it_does_in_both_languages_and_works_by_keyboard(
    page: object,
) -> None:
    switch = page.locator("#language-switch")
    assert switch.is_visible()
    assert switch.get_attribute("role") == "group"
    label = page.locator(f"#{switch.get_attribute('aria-labelledby')}").inner_text()
    assert "Language" in label and "Idioma" in label
    assert language_button(page, "en").inner_text() == "English"
    assert language_button(page, "es").inner_text() == "Español"
    assert language_button(page, "es").get_attribute("lang") == "es"
    assert_page_in(page, "en")

    language_button(page, "es").focus()
    page.keyboard.press("Enter")  # keyboard only
    assert_page_in(page, "es")
    assert page_texts("es")["heading"] != page_texts("en")["heading"]
    assert page_texts("en")["intro"] not in chat_text(page)  # changed, not added to

    page.reload()  # the choice holds for the tab
    page.locator("deep-chat").wait_for()
    assert_page_in(page, "es")

    language_button(page, "en").focus()
    page.keyboard.press("Space")
    assert_page_in(page, "en")


def test_choosing_espanol_asks_for_spanish_and_the_page_then_follows_the_patient(
    page: object,
) -> None:
    """The choice goes with the next message; later ones go without, and the replies'
    language leads: a patient who picked Español and writes English gets English."""
    import json

    wait_for_chat_text(page, page_texts()["intro"])
    language_button(page, "es").click()
    with page.expect_response(is_message) as replied:
        ask(page, "¿Cuánto cuesta el tratamiento?")
    request = json.loads(replied.value.request.post_data)
    assert request["metadata"] == {"language": "es"}
    items = replied.value.json()
    languages = {item["custom"].get("language") for item in items if "custom" in item}
    assert languages == {"es"}, items
    wait_for_chat_text(page, next(item["text"] for item in items if item.get("text")))
    assert_page_in(page, "es")

    with page.expect_response(is_message) as replied:
        ask(page, "What are the side effects of ketamine?")
    assert "metadata" not in json.loads(replied.value.request.post_data)
    items = replied.value.json()
    assert {item["custom"].get("language") for item in items if "custom" in item} == {"en"}
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert_page_in(page, "en")


def test_a_spanish_emergency_shows_the_spanish_banner(page: object) -> None:
    """No click: the assistant reads Spanish, and the banner and the page follow it."""
    ask(page, "quiero morir, ya no puedo más con este dolor")
    banner = page.locator("#banner[data-kind='emergency']")
    banner.wait_for()
    crisis = page_texts("es")["emergency_banners"]["crisis"]
    assert page.locator("#banner-title").inner_text() == crisis["title"]
    assert page.locator("#banner-text").inner_text() == crisis["text"]
    assert banner.get_attribute("lang") == "es"
    assert_page_in(page, "es")


def test_a_reply_s_language_sets_its_sources_ratings_and_banner_and_a_click_goes_once(
    page: object,
) -> None:
    """The page's handling of `language`, with the REST replies stubbed in the browser."""
    import json

    sent: list[dict] = []

    def reply(route: object) -> None:
        body = json.loads(route.request.post_data)
        sent.append(body)
        language = "es" if len(sent) == 1 else "en"
        source = {"id": "s", "title": "A source", "url": "https://example.org/a"}
        items = [
            {"text": f"answer {len(sent)}",
             "custom": {"kind": "answer", "topic": "cost", "sources": [source],
                        "language": language}},
            {"text": "?", "buttons": [
                {"title": "Yes", "payload": '/answer_helped{"rated_topic": "cost"}'},
                {"title": "No", "payload": '/answer_not_helped{"rated_topic": "cost"}'}]},
            {"custom": {"kind": "handoff", "reason": "user_request", "handoff_id": "h-000042",
                        "language": language}},
        ]  # fmt: skip
        route.fulfill(status=200, content_type="application/json", body=json.dumps(items))

    page.route(WEBHOOK, reply)
    spanish, english = page_texts("es"), page_texts("en")
    wait_for_chat_text(page, english["intro"])
    ask(page, "una pregunta")
    wait_for_chat_text(page, "answer 1")
    assert "metadata" not in sent[0]  # nobody chose: the assistant reads the message
    assert_page_in(page, "es")
    sources = page.locator("deep-chat .answer-sources").first
    assert sources.inner_text().startswith(spanish["sources"].split("{sources}")[0])
    yes = page.locator("deep-chat .rating button").first
    assert yes.get_attribute("aria-label") == spanish["rating_yes_label"]
    assert page.locator("#banner-title").inner_text() == spanish["handoff_banner"]["title"]
    assert page.locator("#banner-text").inner_text() == spanish["handoff_banner"]["text"].replace(
        "{handoff_id}", "h-000042"
    )

    language_button(page, "en").click()
    assert_page_in(page, "en")  # the banner too, and what was said stays as it was
    assert page.locator("#banner-title").inner_text() == english["handoff_banner"]["title"]
    assert sources.inner_text().startswith(spanish["sources"].split("{sources}")[0])
    ask(page, "a question")
    wait_for_chat_text(page, "answer 2")
    ask(page, "another question")
    wait_for_chat_text(page, "answer 3")
    assert sent[1]["metadata"] == {"language": "en"}
    assert "metadata" not in sent[2]
    assert sent[0]["sender"] == sent[1]["sender"] == sent[2]["sender"]


def test_a_refused_message_is_explained_in_spanish_on_the_spanish_page(page: object) -> None:
    import json

    page.route(
        WEBHOOK,
        lambda route: route.fulfill(
            status=413, content_type="application/json", body=json.dumps({"error": "too long"})
        ),
    )
    language_button(page, "es").click()
    ask(page, "un mensaje demasiado largo")
    texts = page_texts("es")
    wait_for_chat_text(page, texts["message_too_long"].split("{limit}")[0])
    assert "too long" not in chat_text(page)
