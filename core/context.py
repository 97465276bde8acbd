"""Which topics a message asks about: two-part questions, and follow-ups to the last answer.

Patients chat. They ask two things at once ("how much is it and does insurance
pay?"), and they follow up on the last answer ("what about Cigna?", "are they
permanent?", "tell me more"). The intent model reads one message on its own,
so the Rasa server also has it read:

- each question of a message that holds several (`question_parts`), and
- the message with the last answer's title in front of it, when the assistant
  has just answered a topic (`with_context`).

`decide` then weighs those readings against the reading of the whole message.
Plain Python, so the rules can be tested and tuned without Rasa. The intent
model's readings are `Ranking`s: (intent, confidence) pairs, likeliest first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from core.safety.layers import SAFETY_INTENTS

Ranking = Sequence[tuple[str, float]]

# The slot `action_answer_topic` keeps the topic it answered last in; a
# follow-up is read in its light only right after that action.
LAST_TOPIC_SLOT = "last_topic"
# The conversation's language ("en" or "es"), which replies are written in
# (rasa_server/language_component.py sets it).
LANGUAGE_SLOT = "language"
ANSWER_ACTION = "action_answer_topic"

# The intent of "tell me more", "why?", "go on": more of the last answer.
ASK_MORE = "ask_more"
# A message whose whole reading is one of these is never reread: safety wins
# over context, and a patient answering a question is not asking one.
NEVER_REREAD = SAFETY_INTENTS | {
    "request_human",
    "affirm",
    "deny",
    "stop",
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
    "answer_helped",
    "answer_not_helped",
    "forget_conversation",
}

# --- two-part questions -----------------------------------------------------
# A part's topic is answered only if the part's own reading puts it first
# among the topics with at least this confidence, and the whole message's
# reading ranks it among its first few topics too (a story's aside is no
# question). Tuned on tests/data/tuning/two_part_tuning.yml and the topic
# questions of topics_out_of_scope.yml and new_topics_tuning.yml (none should
# get a second answer); tuned again whenever the intent model's confidences
# change (config.yml's alpha made them sharper: 0.15 and 0.8 became 0.25 and
# 0.9, for 64 of 69 two-part messages instead of 61, single questions even).
PART_MIN_CONFIDENCE = 0.25
SUPPORTING_TOPICS = 4
# ... and gives it at least this share: in a long story with one question, the
# fourth topic of the whole reading is often only an echo of the story's words.
SUPPORTING_MIN_CONFIDENCE = 0.02
# A question part this sure of its topic needs no support from the whole
# message ("is it right for me" after a long story about a friend).
SELF_EVIDENT_CONFIDENCE = 0.7
# A statement beside one question ("im nervous about my first one") counts
# as asking its topic only when the model is this sure, and the whole
# message supports it.
STATEMENT_MIN_CONFIDENCE = 0.8
# A whole reading this sure of one topic, when the first part asks another,
# means one question with an aside before it: it is answered on its own.
WHOLE_SURE_CONFIDENCE = 0.9
# A short message of nothing but questions ("whats ketamine, is it addictive,
# and what are the side effects") has no story whose asides could read as
# questions, so its questions need no share of the whole reading: a short
# first question of three gets under 2% of it. Any topic the whole reading
# ranks (its first ten) supports them. Tuning sets, model and context: 176 ->
# 179 of 189 two-part messages answered in full, with no second answer to any
# of 565 single questions or 1,485 out-of-scope and safety messages.
ONLY_QUESTIONS_MAX_WORDS = 20
# Words outside its questions such a message may hold: joiners ("and also").
ONLY_QUESTIONS_OTHER_WORDS = 3
# A part shorter than this is a fragment ("and insurance?"), not a question.
PART_MIN_WORDS = 2
MAX_PARTS = 4
# What a part loses at its ends.
PART_STRIP = " ,.?!¿¡"

# Each pattern below reads English and Spanish: patients write either, and mix
# them. Spanish is often typed without accents ("cuanto", "como"), so both
# spellings are listed; "¿" opens a question where English has nothing.
SENTENCE_BREAK = re.compile(r"(?<=[?!.])\s+|\s*\n+\s*|\s+(?=¿)")
JOINER = re.compile(
    r"\s*(?:,\s*)?\b(?:and also|and|n|also|plus|as well as|oh and|another thing"
    r"|y tambi[eé]n|y adem[aá]s|adem[aá]s|y otra cosa|otra cosa|otra pregunta|y lo otro es"
    r"|y|e)\b(?!['’])\s*"
    r"|\s*[;&+]\s*",
    re.IGNORECASE,
)
# "is it outpatient, what should i eat after": a comma before a new question.
COMMA_QUESTION = re.compile(
    r",\s*(?=(?:what|whats|what's|how|hows|how's|is|are|do|does|can|could|will|would|"
    r"should|who|whos|who's|where|wheres|where's|when|why|which|wat|"
    r"qu[eé]|c[oó]mo|cu[aá]nt[oa]s?|cu[aá]ndo|d[oó]nde|qui[eé]n|cu[aá]l(?:es)?|por qu[eé]|"
    r"puedo|pueden|hay|necesito|tengo que|aceptan|cubren?)\b)",
    re.IGNORECASE,
)
# "my mom is 68 and has had back pain": an auxiliary before a participle, an
# adverb or "not" goes on with the statement before it; it asks nothing.
STATEMENT_GOES_ON = re.compile(
    r"^(?:has|have|had|is|was|are|were|can|could|will|would|did|does|do|should)\s+"
    r"(?:been|had|gotten|got|given|taken|seen|done|gone|become|not|never|also|just|really|"
    r"barely|hardly|still|always|already|only|even|no|getting|going|feeling|doing|having|"
    r"being|living|dealing|struggling|suffering|working|\w{3,}ed)\b",
    re.IGNORECASE,
)
# Words that join a question to the one before ("also, do I need a referral?").
LEADING_JOINER = re.compile(
    r"^(?:and also|and|also|plus|oh and|btw|so|ok|okay|then|"
    r"y tambi[eé]n|y adem[aá]s|adem[aá]s|tambi[eé]n|otra cosa|otra pregunta|"
    r"y lo otro es|lo otro es|y|pues|entonces|oye|y oye)\b(?!['’])[\s,]*",
    re.IGNORECASE,
)
QUESTION_START = re.compile(
    r"^(?:what|whats|what's|how|hows|how's|is|isn't|are|aren't|was|were|do|does|doesn't|"
    r"did|can|could|will|would|should|shall|who|where|when|why|which|any|anyone|"
    r"tell me|may|might|have|has|wat|wut|hw|whos|who's|wheres|where's|"
    r"¿|qu[eé]|q|c[oó]mo|cu[aá]nt[oa]s?|cu[aá]ndo|d[oó]nde|qui[eé]n(?:es)?|cu[aá]l(?:es)?|"
    r"por qu[eé]|porque|xq|pq|pa(?:ra)? q(?:u[eé])?|a q(?:u[eé])? hora|"
    r"puedo|puede|pueden|podr[ií]a|hay|necesito|ocupo|(?:me )?tengo q(?:ue)?|"
    r"se puede|aceptan|tienen|dejan|cubren?|me (?:pueden|puede|dan|cubre|ayuda)|"
    r"l[oa] (?:cubre|puedo|pueden)|sirve|funciona|existe|"
    # A Spanish yes/no question starts like a statement; "es que ..." explains.
    r"es(?! (?:que|q)\b)|son)\b",
    re.IGNORECASE,
)
ASKING = re.compile(
    r"\b(?:wonder(?:ing)?|(?:wants?|wanted|like|need) to (?:know|ask)|curious|not sure|"
    r"(?:quisiera|quiero|quer[ií]a|me gustar[ií]a) saber|tengo una (?:duda|pregunta)|"
    r"me pregunto|no s[eé] si|nose si|mi pregunta es)\b",
    re.IGNORECASE,
)

# --- the one question of a story ---------------------------------------------
# A question in a chatty story ("does it actually work? my friend swears by it
# but shes a crystals and essential oils person ...") can leave the whole
# message to the fallback or out-of-scope: the story's words outweigh the
# question's. The one question, read alone, is answered when the model is
# this sure of a topic. Tuning sets, through the REST channel: 6 more of 565
# single questions answered (stories: 185 -> 191 of 207), and 1 of 464
# out-of-scope messages given a topic (a body shop taking the other
# driver's insurance: payment options). Offline, 0.7 and 0.6 answered no
# more questions and gave more off-topic messages a topic.
LONE_QUESTION_CONFIDENCE = 0.8

# --- follow-ups ---------------------------------------------------------------
# A follow-up is short: a long message stands on its own.
FOLLOW_UP_MAX_WORDS = 12
# Words that lean on the last answer: "what about...", "are they...", "that".
LEANS_ON_CONTEXT = re.compile(
    r"^(?:and|also|but|so|then|ok so|okay so|what about|how about|what if|and if|even if|"
    r"same for|for how long|really|"
    r"y|tambi[eé]n|pero|entonces|o sea|qu[eé] tal|y si|incluso|igual|de verdad|en serio|"
    r"por cu[aá]nto tiempo)\b"
    r"|\b(?:that|those|these|they|them|this|it|there|ones?|which one|"
    r"eso|esos|esas|esa|ese|esto|ello|ellos|ellas|ah[ií]|all[ií]|cu[aá]l de)\b",
    re.IGNORECASE,
)
# A message that is only "why?" or "tell me more" asks for more of the last
# answer, whatever a topic's training says about "why".
MORE_ONLY = re.compile(
    r"^\W*(?:why|why not|why is that|how come|how so|tell me more|more|more please|go on|"
    r"and|and\?|explain|elaborate|really|"
    r"por qu[eé]|porque|xq|pq|y eso|c[oó]mo as[ií]|cu[eé]ntame m[aá]s|dime m[aá]s|"
    r"m[aá]s|m[aá]s info(?:rmaci[oó]n)?(?: porfa| por favor)?|m[aá]s detalles|"
    r"expl[ií]ca(?:me)?(?: m[aá]s| mejor)?|sigue|y\?|de verdad|en serio)\W*$",
    re.IGNORECASE,
)
# A whole reading this sure of another topic is a new question, not a follow-up.
NEW_QUESTION_CONFIDENCE = 0.6
# How much more the last answer's topic weighs in the contextual reading.
LAST_TOPIC_WEIGHT = 3.0


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text)


def is_question(sentence: str) -> bool:
    sentence = sentence.strip()
    return (
        sentence.endswith("?")
        or bool(QUESTION_START.match(sentence))
        or bool(ASKING.search(sentence))
    )


def sentences(text: str) -> list[str]:
    """The message's sentences, each without the words that join it to the one before."""
    joined = (LEADING_JOINER.sub("", s) for s in SENTENCE_BREAK.split(text.strip()))
    return [sentence for sentence in joined if sentence]


@dataclass(frozen=True)
class Part:
    """One question of a message, or a statement that may be one ("im nervous about it")."""

    text: str
    asks: bool = True


def question_parts(text: str) -> list[Part]:
    """The parts of a message that asks several things; empty when it asks one (or none).

    A message with two or more questions gives its questions: a story's
    statements ("I've had back pain for years.") are not parts, so they do
    not become a second topic. A short message with one question gives its
    statements too ("im nervous about my first one, what should i bring"),
    which count only if the model is sure they ask a topic (`decide`).
    """
    if text.startswith("/"):
        return []
    parts: list[Part] = []
    for sentence in sentences(text):
        asks = is_question(sentence)
        pieces = JOINER.split(COMMA_QUESTION.sub(" & ", sentence))
        for piece in pieces:
            piece = piece.strip(PART_STRIP)
            # "cost? insurance?": a one-word question of its own counts too.
            alone = len(pieces) == 1 and sentence.rstrip().endswith("?")
            if len(words(piece)) >= PART_MIN_WORDS or (alone and words(piece)):
                # "my back is stiff, are those typical symptoms": the piece
                # asks even when its sentence does not start as a question.
                starts_question = bool(QUESTION_START.match(piece)) and not (
                    STATEMENT_GOES_ON.match(piece)
                )
                parts.append(Part(piece, asks or starts_question))
    questions = [part for part in parts if part.asks]
    if len(questions) >= 2:
        return questions[:MAX_PARTS]
    if len(questions) == 1 and 2 <= len(parts) <= MAX_PARTS:
        return parts
    return []


def only_questions(text: str) -> bool:
    """A short message made of questions alone, each starting as a question.

    A piece that only inherits its sentence's question mark ("I'm tired the
    day after, is that normal?") is not one.
    """
    if len(words(text)) > ONLY_QUESTIONS_MAX_WORDS:
        return False
    parts = question_parts(text)
    in_parts = sum(len(words(part.text)) for part in parts)
    return (
        bool(parts)
        and in_parts >= len(words(text)) - ONLY_QUESTIONS_OTHER_WORDS
        and all(QUESTION_START.match(part.text) or ASKING.search(part.text) for part in parts)
    )


def lone_question(text: str) -> str | None:
    """The one question of a message of several sentences, when only one asks."""
    all_sentences = sentences(text)
    questions = [sentence for sentence in all_sentences if is_question(sentence)]
    return questions[0] if len(all_sentences) >= 2 and len(questions) == 1 else None


def is_short(text: str) -> bool:
    """Short enough to be a follow-up: a long message stands on its own."""
    return len(words(text)) <= FOLLOW_UP_MAX_WORDS


def leans_on_context(text: str) -> bool:
    """A short message that refers back ("are they permanent?", "what about Cigna?").

    A short message the model cannot place on its own ("even water?") is
    read in context too (`decide`).
    """
    return is_short(text) and bool(LEANS_ON_CONTEXT.search(text))


def with_context(text: str, last_title: str) -> str:
    """The message as the model reads it in the light of the last answer."""
    return f"{last_title}: {text}"


@dataclass(frozen=True)
class Reading:
    """What the message asks, in order: the topics to answer, and how."""

    topics: tuple[str, ...]
    # "parts": a message with several questions; "follow_up": read in the
    # light of the last answer; "more": more of the last answer; "question":
    # the one question of a story, read alone.
    how: str


def confident_topic(ranking: Ranking, topics: Collection[str], minimum: float) -> str | None:
    """The likeliest intent, if it is a topic at least this sure."""
    for name, confidence in ranking:
        if name == "nlu_fallback":
            continue
        return name if name in topics and confidence >= minimum else None
    return None


@dataclass(frozen=True)
class _Found:
    topic: str
    confidence: float
    asked: bool


def _found_parts(
    part_rankings: Sequence[Ranking],
    topics: Collection[str],
    whole: Ranking,
    asks: Sequence[bool] | None,
    needs_support: bool = True,
) -> list[_Found]:
    """The distinct topics the parts ask about, in the order asked, with how sure each is.

    A part read on its own loses what the rest of the message says ("what
    causes it?"), and an aside in a story reads like a question, so each
    part's topic must also be one the whole message's reading ranks high,
    unless the part is a question the model is sure of on its own. A
    statement counts only when the model is sure it asks a topic. `asks`
    says which parts are questions (all, when None). Without `needs_support`
    (`only_questions`), any topic the whole reading ranks supports a part.
    """
    supported = [
        name
        for name, confidence in whole
        if name in topics and (not needs_support or confidence >= SUPPORTING_MIN_CONFIDENCE)
    ][: SUPPORTING_TOPICS if needs_support else None]
    found: list[_Found] = []
    for index, ranking in enumerate(part_rankings):
        asked = asks is None or asks[index]
        best = next(((n, c) for n, c in ranking if n in topics), None)
        if best is None or best[0] in (f.topic for f in found):
            continue
        name, confidence = best
        if asked:
            counts = confidence >= PART_MIN_CONFIDENCE and (
                name in supported or confidence >= SELF_EVIDENT_CONFIDENCE
            )
        else:
            counts = confidence >= STATEMENT_MIN_CONFIDENCE and name in supported
        if counts:
            found.append(_Found(name, confidence, asked))
    return found


def read_follow_up(
    whole: Ranking, contextual: Ranking, last_topic: str, topics: Collection[str]
) -> str | None:
    """The topic a follow-up asks about, leaning to the last topic; None if it asks none.

    A whole reading sure of another topic is a new question. When the
    contextual reading puts an intent that is not a topic first
    ("out_of_scope"), the message is read on its own; otherwise that reading
    decides between topics, with the last topic weighted up.
    """
    sure = confident_topic(whole, topics, NEW_QUESTION_CONFIDENCE)
    if sure and sure != last_topic:
        return sure
    ranked = [(name, confidence) for name, confidence in contextual if name != "nlu_fallback"]
    if ranked and ranked[0][0] not in topics:
        return None
    scores = {
        name: confidence * (LAST_TOPIC_WEIGHT if name == last_topic else 1.0)
        for name, confidence in ranked
        if name in topics
    }
    if not scores:
        return last_topic
    return max(scores, key=scores.__getitem__)


def decide(
    whole: Ranking,
    part_rankings: Sequence[Ranking],
    contextual: Ranking | None,
    text: str,
    last_topic: str | None,
    topics: Collection[str],
    part_asks: Sequence[bool] | None = None,
    lone: Ranking | None = None,
) -> Reading | None:
    """How to read the message, or None to read it on its own as before.

    `whole` is the reading of the whole message (after the safety screen and
    the fallback classifier), `part_rankings` those of its parts
    (`question_parts`; `part_asks` says which are questions),
    `contextual` the reading with the last answer's title in front (None when
    the last turn was not an answer), `last_topic` that answer's topic,
    `lone` the reading of the message's one question alone (`lone_question`;
    None when it has not exactly one).
    """
    intent = whole[0][0] if whole else None
    if intent in NEVER_REREAD:
        return None
    if last_topic and (intent == ASK_MORE or MORE_ONLY.match(text)):
        return Reading((last_topic,), "more")
    found = _found_parts(
        part_rankings, topics, whole, part_asks, needs_support=not only_questions(text)
    )
    parts = tuple(f.topic for f in found)
    sure = confident_topic(whole, topics, WHOLE_SURE_CONFIDENCE)
    # A whole reading sure of a later part's topic overrules a first part the
    # model is unsure of (an aside), not a first question it is sure of too.
    first_is_sure = (
        bool(found) and found[0].asked and found[0].confidence >= SELF_EVIDENT_CONFIDENCE
    )
    if len(parts) >= 2 and (sure is None or sure == parts[0] or (first_is_sure and sure in parts)):
        return Reading(parts, "parts")
    unplaced = intent in {"out_of_scope", "nlu_fallback"} and is_short(text)
    if last_topic and contextual is not None and (leans_on_context(text) or unplaced):
        topic = read_follow_up(whole, contextual, last_topic, topics)
        if topic:
            return Reading((topic,), "follow_up")
    if lone is not None and intent in {"out_of_scope", "nlu_fallback"}:
        topic = confident_topic(lone, topics, LONE_QUESTION_CONFIDENCE)
        if topic:
            return Reading((topic,), "question")
    return None
