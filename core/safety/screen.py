"""The deterministic safety screen: emergencies and contraindication disclosures.

Plain Python, no Rasa: the NLU component in `rasa_server/safety_component.py` runs it on
every message, and tests call it directly. It reads `core/safety/lexicon.yml`
(English) and `lexicon.es.yml` (Spanish) together: every message is screened
with both, whatever its language, so Spanglish or a wrong guess of the
language never lets a Spanish crisis through.

How a message is read:
1. Normalise: lowercase, drop accents ("está" -> "esta"), expand
   contractions ("can't" -> "can not"), drop the dots of abbreviations
   ("p.t.s.d." -> "ptsd"), mark possessives.
2. Split into clauses at punctuation and at "but", "however", "pero"...
3. Find lexicon phrases in each clause, tolerating small typos. Emergencies
   are looked for in the whole message (evidence may span clauses), also
   with filler and swear words left out ("i just f***ing want to die"), and
   with everyday idioms blanked ("I kill myself at the gym").
4. For an emergency phrase: it counts unless negated right before ("I'm not
   suicidal"; "can't breathe" is no denial) or asked as a general question
   with nobody's own situation in it ("can ketamine help suicidal
   thoughts?"), except the grave ones ("what is a lethal dose?").
5. For a condition phrase, decide whether it applies to the patient or to
   the person they ask for: negated ("no history of psychosis") -> no;
   another person's ("my coworker is pregnant") -> no; the object of a
   general question ("can ketamine cause psychosis?", "people with PTSD")
   -> no; the patient's or a close relative's -> yes; unclear -> yes, since
   a clinician would rather review one case too many than miss one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.safety.categories import CONDITION_CATEGORIES, EMERGENCY_PRIORITY

DEFAULT_LEXICON = Path(__file__).resolve().parent / "lexicon.yml"
SPANISH_LEXICON = Path(__file__).resolve().parent / "lexicon.es.yml"
DEFAULT_LEXICONS = (DEFAULT_LEXICON, SPANISH_LEXICON)
NEGATION_WINDOW = 8
# An emergency is denied only by a word right before it ("not suicidal",
# "would never hurt myself"): "no hope left, want to die" is not a denial.
EMERGENCY_NEGATION_WINDOW = 4
POSSESSIVE = "_s"
BREAK = "|"
IDIOM = "~"  # stands for a word of an everyday idiom, which no phrase matches
IDIOM_CATEGORY = "idiom"  # a Mention's category for an idiom found in a message

SPANISH_YEARS_AGO = re.compile(
    r"\bhace (?:como |unos |unas |mas de |casi |ya )?"
    r"(?:\d+|un|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|"
    r"treinta|cuarenta|cincuenta|muchos|varios) anos?\b"
)
CONTRACTIONS = {
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "wasnt": "was not",
    "weren't": "were not",
    "werent": "were not",
    "arent": "are not",
    "wont": "will not",
    "hasnt": "has not",
    "hadnt": "had not",
    "shouldnt": "should not",
    "wouldnt": "would not",
    "couldnt": "could not",
    "youre": "you are",
    "theyre": "they are",
    "thats": "that is",
    "whats": "what is",
    "theres": "there is",
    "hes": "he is",
    "shes": "she is",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hadn't": "had not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "couldn't": "could not",
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "he'll": "he will",
    "she'll": "she will",
    "they'll": "they will",
    "you'll": "you will",
    "we'll": "we will",
    "it's": "it is",
    "he's": "he is",
    "she's": "she is",
    "we're": "we are",
    "they're": "they are",
    "you're": "you are",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "wanna": "want to",
    "gonna": "going to",
}
CLAUSE_BREAK = re.compile(
    r"[.!?;:,()\n\"\u00bf\u00a1]+"
    r"|\b(?:but|however|although|though|anyway|anyways|except|also"
    r"|pero|aunque|sin embargo|excepto|ademas)\b"
)


class LexiconError(Exception):
    """A lexicon the screen must not run with: names the file, the entry and the problem."""

    def __init__(self, path: Path | str, entry: str, problem: str) -> None:
        super().__init__(f"{path}: {entry}: {problem}")


# --- text --------------------------------------------------------------------


def fold_accents(text: str) -> str:
    """Spanish is often typed without accents: "está" and "esta" read the same."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalise(text: str) -> str:
    text = fold_accents(text.lower().replace("\u2019", "'").replace("\u2018", "'"))
    # "p.t.s.d." -> "ptsd", before dots become clause breaks.
    text = re.sub(r"\b(?:[a-z]\.){2,}[a-z]?\.?", lambda m: m.group(0).replace(".", ""), text)
    text = re.sub(r"[a-z]+'?[a-z]*", lambda m: CONTRACTIONS.get(m.group(0), m.group(0)), text)
    text = re.sub(r"\b([a-z]+)'s\b", rf"\1 {POSSESSIVE}", text)
    # "hace 8 años", "hace como diez años": the lexicon's "hace anos" (years ago).
    text = SPANISH_YEARS_AGO.sub("hace anos", text)
    return text.replace("-", " ").replace("/", " ")


def clauses(text: str) -> list[list[str]]:
    return _clauses_of(normalise(text))


def _clauses_of(normalised: str) -> list[list[str]]:
    return [tokens for tokens, _ in _clauses_and_questions(normalised)]


def _clauses_and_questions(normalised: str) -> list[tuple[list[str], bool]]:
    """Each clause's tokens, and whether a question mark ends it.

    Spanish questions often open like statements ("¿la esquizofrenia es
    hereditaria?", "la ketamina es compatible con la lactancia?"): only the
    mark says it is a question.
    """
    found = []
    position = 0
    for separator in [*CLAUSE_BREAK.finditer(normalised), None]:
        end = separator.start() if separator else len(normalised)
        tokens = re.findall(r"[a-z0-9_]+|\*", normalised[position:end])
        if tokens:
            found.append((tokens, bool(separator) and "?" in separator.group(0)))
        position = separator.end() if separator else end
    return found


def with_breaks(parts: list[list[str]]) -> list[str]:
    """The whole message as one token list, clauses separated by BREAK.

    Emergency evidence often spans clauses ("fell off a ladder yesterday, and
    now my back is bad"); BREAK stops phrases and negation from crossing.
    """
    tokens: list[str] = []
    for part in parts:
        tokens.extend([*part, BREAK])
    return tokens


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    tokens = re.findall(r"[a-z0-9_]+\*?", normalise(phrase).replace("*", "* "))
    # re-attach a trailing star to its word
    joined = " ".join(tokens).replace(" *", "*")
    return tuple(joined.split())


def _real_words(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


REAL_WORDS_FILE = Path(__file__).resolve().parent / "real_words.txt"
# English words one or two letters from a lexicon word that mean something
# else ("racing", "raping"): never read as its typo. tools/find_near_misses.py
REAL_WORDS = _real_words(REAL_WORDS_FILE)


@lru_cache(maxsize=65536)
def words_match(pattern: str, word: str) -> bool:
    """Exact, prefix (`suicid*`) or a near miss that is not another English word."""
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    if pattern == word:
        return True
    return word not in REAL_WORDS and near_miss(pattern, word)


def near_miss(pattern: str, word: str) -> bool:
    """One typo from a word of 6+ letters, two from 10+, keeping the first letter."""
    allowed = 2 if len(pattern) >= 10 else 1 if len(pattern) >= 6 else 0
    if not allowed or word[:1] != pattern[:1] or abs(len(word) - len(pattern)) > allowed:
        return False
    return edit_distance(pattern, word, allowed) <= allowed


def edit_distance(a: str, b: str, limit: int) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def find_phrase(
    tokens: list[str], phrase: tuple[str, ...], fuzzy: bool = True
) -> list[tuple[int, int]]:
    """Every (start, end) where the phrase stands in the token list.

    Cue words (negations, people, contexts) match exactly: only condition and
    emergency phrases tolerate typos, so "raised" is never read as "raises".
    """
    match = words_match if fuzzy else word_equals
    last_start = len(tokens) - len(phrase)
    return [
        (start, start + len(phrase))
        for start in _starts_by_letter(tuple(tokens)).get(phrase[0][0], ())
        if start <= last_start and all(match(p, tokens[start + k]) for k, p in enumerate(phrase))
    ]


def word_equals(pattern: str, word: str) -> bool:
    """Exact, or a prefix (`suicid*`): no typos."""
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


@lru_cache(maxsize=1024)
def _starts_by_letter(tokens: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """Where each first letter starts a token.

    Every way a word matches (exact, prefix, near miss) keeps its first
    letter, so a phrase can only start where its first word's letter does.
    The screen looks up hundreds of phrases in the same few tokens.
    """
    starts: dict[str, list[int]] = {}
    for index, token in enumerate(tokens):
        starts.setdefault(token[:1], []).append(index)
    return {letter: tuple(indexes) for letter, indexes in starts.items()}


# --- lexicon -----------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """A phrase, or (`all`) several groups of phrases that must all be in one clause."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]
    source: str
    unless: tuple[tuple[str, ...], ...] = ()

    def spans(self, tokens: list[str]) -> list[tuple[int, int]]:
        return [(start, end) for start, end, _, _ in self.matches(tokens)]

    def matches(
        self, tokens: list[str], unmasked: list[str] | None = None
    ) -> list[tuple[int, int, int, int]]:
        """(start, end, focus, floor): the match covers start..end; focus is where
        its last group starts, floor where the earlier groups' words end.

        A denial is looked for right before the focus: in "the pain is not
        going to win, I am going to end it", "going" starts one group but the
        match is about "end it". The earlier groups' own words are not a
        denial, so it is looked for after the floor: in "I will not be here
        much longer" the focus is "much longer", and "not" belongs to "not be
        here".

        `unless` is looked for in `unmasked`, the same reading before idioms
        were blanked, where given: an idiom may be what dates the match ("me
        caí de la bici hace años y desde ahí me duele la espalda").
        """
        if self.unless and _contains(tokens if unmasked is None else unmasked, self.unless):
            return []
        found = []
        for group in self.groups:
            group_spans = [span for phrase in group for span in find_phrase(tokens, phrase)]
            if not group_spans:
                return []
            found.append(min(group_spans))
        focus = max(s for s, _ in found)
        floor = max((e for _, e in found if e <= focus), default=0)
        return [(min(s for s, _ in found), max(e for _, e in found), focus, floor)]


@dataclass(frozen=True)
class Lexicon:
    emergencies: dict[str, tuple[Pattern, ...]]
    conditions: dict[str, tuple[Pattern, ...]]
    not_emergencies: tuple[tuple[str, ...], ...]
    past_relatives: tuple[tuple[str, ...], ...]
    treatment_uses: tuple[tuple[str, ...], ...]
    grave_questions: tuple[tuple[str, ...], ...]
    fillers: frozenset[str]
    negations: tuple[tuple[str, ...], ...]
    negations_after: tuple[tuple[str, ...], ...]
    # Phrases holding a negation word that deny nothing: "sin querer" (by
    # accident) in "me corté sin querer y sale muchísima sangre".
    not_negations: tuple[tuple[str, ...], ...]
    resolved_after: tuple[tuple[str, ...], ...]  # after a condition only
    self_words: frozenset[str]
    # First-person verbs that name the patient where Spanish drops the
    # pronoun ("tengo glaucoma"); a denial may stand before one ("no tengo").
    self_verbs: frozenset[str]
    close_relatives: frozenset[str]
    people: frozenset[str]  # self words and verbs, close relatives: whose health counts
    others: frozenset[str]
    not_conditions: tuple[tuple[str, ...], ...]
    asking_for_self: tuple[tuple[str, ...], ...]
    claims_as_own: tuple[tuple[str, ...], ...]
    general_message_cues: tuple[tuple[str, ...], ...]
    treatment_words: frozenset[str]
    general_contexts: tuple[tuple[str, ...], ...]
    question_starts: frozenset[str]  # a clause opening with one asks ("can", "pueden")
    # Openings that look like a question start and are not ("se le cayó la
    # cara": something happened to someone; "se le puede" would ask).
    statement_openings: tuple[tuple[str, ...], ...]
    # "if it doesn't work, I'll kill myself": a negation inside a condition
    # denies the condition, never the emergency that follows it.
    conditionals: frozenset[str]
    articles: frozenset[str]  # "can AN alcoholic get it?": a generic person

    @classmethod
    def load(cls, *paths: Path | str) -> Lexicon:
        """One lexicon file, or several (one per language) screened as one."""
        lexicons = [cls._load_one(Path(path)) for path in paths or DEFAULT_LEXICONS]
        merged = lexicons[0]
        for other in lexicons[1:]:
            merged = merged._with(other)
        return merged

    def _with(self, other: Lexicon) -> Lexicon:
        """Both lexicons' phrases and words: each field joined with the other's."""
        joined: dict[str, Any] = {}
        for name, mine in vars(self).items():
            theirs = getattr(other, name)
            if isinstance(mine, dict):
                joined[name] = {key: mine[key] + theirs[key] for key in mine}
            else:
                joined[name] = mine | theirs if isinstance(mine, frozenset) else mine + theirs
        return Lexicon(**joined)

    @classmethod
    def _load_one(cls, path: Path) -> Lexicon:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise LexiconError(path, "(file)", f"cannot read: {error}") from error
        if not isinstance(data, dict):
            raise LexiconError(path, "(file)", "expected a mapping")

        def patterns(section: str, expected: tuple[str, ...]) -> dict[str, tuple[Pattern, ...]]:
            body = data.get(section)
            if not isinstance(body, dict) or set(body) != set(expected):
                raise LexiconError(path, section, f"must list exactly: {', '.join(expected)}")
            return {
                category: tuple(_pattern(path, f"{section}.{category}", entry) for entry in entries)
                for category, entries in body.items()
            }

        def phrases(key: str, optional: bool = False) -> tuple[tuple[str, ...], ...]:
            values = data.get(key)
            if optional and values == []:
                return ()
            if not isinstance(values, list) or not values:
                raise LexiconError(path, key, "must be a non-empty list of phrases")
            for value in values:
                # YAML reads a bare no/yes/on/off as true or false: quote them.
                if not isinstance(value, str):
                    raise LexiconError(path, key, f"{value!r} is not text (quote it)")
            return tuple(_phrase(path, key, str(v)) for v in values)

        def words(key: str, optional: bool = False) -> frozenset[str]:
            if optional and data.get(key) == []:
                return frozenset()
            return frozenset(token for phrase in phrases(key) for token in phrase)

        return cls(
            emergencies=patterns("emergencies", EMERGENCY_PRIORITY),
            conditions=patterns("conditions", CONDITION_CATEGORIES),
            not_emergencies=phrases("not_emergencies"),
            past_relatives=phrases("past_relatives"),
            treatment_uses=phrases("treatment_uses"),
            grave_questions=phrases("grave_questions"),
            fillers=words("fillers"),
            negations=phrases("negations"),
            negations_after=phrases("negations_after"),
            not_negations=phrases("not_negations", optional=True),
            resolved_after=phrases("resolved_after"),
            self_words=words("self_words"),
            self_verbs=words("self_verbs", optional=True),
            close_relatives=words("close_relatives"),
            people=words("self_words")
            | words("self_verbs", optional=True)
            | words("close_relatives"),
            others=words("others"),
            not_conditions=phrases("not_conditions"),
            asking_for_self=phrases("asking_for_self"),
            claims_as_own=phrases("claims_as_own"),
            general_message_cues=phrases("general_message_cues"),
            treatment_words=words("treatment_words"),
            general_contexts=phrases("general_contexts"),
            question_starts=words("question_starts"),
            statement_openings=phrases("statement_openings", optional=True),
            conditionals=words("conditionals"),
            articles=words("articles"),
        )


def _phrase(path: Path, entry: str, text: str) -> tuple[str, ...]:
    tokens = phrase_tokens(text)
    if not tokens:
        raise LexiconError(path, entry, f"{text!r} has no words to look for")
    return tokens


def _pattern(path: Path, entry: str, raw: Any) -> Pattern:
    min_groups = 2
    if isinstance(raw, dict) and "any" in raw:
        # `any: [phrases]` with `unless`: one group, as if each phrase were its own entry.
        raw = {**{k: v for k, v in raw.items() if k != "any"}, "all": [raw["any"]]}
        min_groups = 1
    if isinstance(raw, dict) and "all" in raw:
        nested = [p for group in raw["all"] if isinstance(group, list) for p in group]
        nested += raw.get("unless") or []
        if any(not isinstance(p, str) for p in nested):
            raise LexiconError(path, entry, f"{raw!r} holds a value that is not text (quote it)")
    if isinstance(raw, str) and raw.strip():
        return Pattern(groups=((_phrase(path, entry, raw),),), source=raw)
    if isinstance(raw, dict) and "all" in raw and set(raw) <= {"all", "unless"}:
        groups = raw["all"]
        unless = raw.get("unless", [])
        if (
            isinstance(groups, list)
            and len(groups) >= min_groups
            and all(isinstance(g, list) and g for g in groups)
            and isinstance(unless, list)
        ):
            return Pattern(
                groups=tuple(tuple(_phrase(path, entry, str(p)) for p in g) for g in groups),
                source=str(raw["all"]),
                unless=tuple(_phrase(path, entry, str(p)) for p in unless),
            )
    raise LexiconError(
        path, entry, f"{raw!r} is neither a phrase, an `any` list nor an `all` of 2+ groups"
    )


# --- screening ---------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A lexicon phrase found in a message, and whether it counts."""

    category: str
    phrase: str
    counts: bool
    why: str


@dataclass(frozen=True)
class Screening:
    emergency: str | None
    conditions: tuple[str, ...]
    mentions: tuple[Mention, ...]

    @property
    def is_safety_signal(self) -> bool:
        return bool(self.emergency or self.conditions)

    @property
    def other_emergencies(self) -> tuple[str, ...]:
        """Emergencies found besides the one the reply is for, in priority order."""
        found = {m.category for m in self.mentions if m.counts}
        return tuple(c for c in EMERGENCY_PRIORITY if c in found and c != self.emergency)


def _inability(tokens: list[str], index: int) -> bool:
    """Whether tokens[index] is the "not" of "can not" or "could not"."""
    return tokens[index] == "not" and index > 0 and tokens[index - 1] in ("can", "could")


def _masked(tokens: list[str], idioms: list[tuple[tuple[str, ...], int, int]]) -> list[str]:
    """The tokens with the idioms' words blanked, so no emergency phrase matches them."""
    masked = list(tokens)
    for _, start, end in idioms:
        masked[start:end] = [IDIOM] * (end - start)
    return masked


def _may_start_in(phrase: tuple[str, ...], words: set[str]) -> bool:
    """Whether an exact phrase's first word is among these words (a prefix `suicid*` may be).

    A set lookup before `find_phrase`: most of a list's phrases are skipped here.
    """
    return phrase[0] in words or phrase[0].endswith("*")


def _contains(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    words = set(tokens)
    return any(
        find_phrase(tokens, phrase, fuzzy=False)
        for phrase in phrases
        if _may_start_in(phrase, words)
    )


class SafetyScreen:
    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or Lexicon.load()
        patterns = [
            pattern
            for section in (self.lexicon.emergencies, self.lexicon.conditions)
            for category_patterns in section.values()
            for pattern in category_patterns
        ]
        # Every word a phrase starts with, by its first letter, and the
        # patterns each such word can start.
        self._first_words: dict[str, set[str]] = {}
        self._starts: dict[str, list[tuple[int, tuple[frozenset[str], ...]]]] = {}
        for pattern in patterns:
            groups = tuple(frozenset(phrase[0] for phrase in group) for group in pattern.groups)
            for word in set().union(*groups):
                self._first_words.setdefault(word[0], set()).add(word)
                self._starts.setdefault(word, []).append((id(pattern), groups))

    def _possible(self, tokens: list[str]) -> Callable[[Pattern], bool]:
        """Whether a pattern could match somewhere in these tokens.

        A phrase can only match where its first word does, so a pattern with
        a group whose first words match no token is skipped without looking
        for it: a message tries a few dozen of the lexicon's 450 patterns.
        """
        starting = {
            word
            for token in set(tokens)
            for word in self._first_words.get(token[:1], ())
            if words_match(word, token)
        }
        possible = {
            pattern_id
            for word in starting
            for pattern_id, groups in self._starts[word]
            if all(not group.isdisjoint(starting) for group in groups)
        }
        return lambda pattern: id(pattern) in possible

    def screen(self, text: str) -> Screening:
        normalised = normalise(text)
        clauses_read = _clauses_and_questions(normalised)
        parts = [tokens for tokens, _ in clauses_read]
        whole = [token for part in parts for token in part]
        possible = self._possible(whole)
        # With the clause-breaking words too: "my mom has glaucoma, anyway...".
        every_word = re.findall(r"[a-z0-9_]+", normalised)
        for_self = _contains(every_word, self.lexicon.asking_for_self)
        claims_own = _contains(every_word, self.lexicon.claims_as_own)
        personal = any(t in self.lexicon.people for t in whole)
        general_message = _contains(whole, self.lexicon.general_message_cues)
        mentions: list[Mention] = []
        emergencies: set[str] = set()
        conditions: list[str] = []

        # Emergencies: over the whole message, so evidence may span clauses.
        message = with_breaks(parts)
        asks_in_general = not personal and (
            _contains(whole, self.lexicon.general_contexts)
            or any(self._asks(part) for part in parts)
        )
        # Filler and swear words may stand between an emergency's words
        # ("i just fucking want to die"): look in the message without them too.
        plain = with_breaks([[t for t in part if t not in self.lexicon.fillers] for part in parts])
        idioms = self._idioms(message)
        # Each reading with its idioms blanked, and as it was.
        readings = [(_masked(message, idioms), message)]
        if plain != message:
            plain_idioms = self._idioms(plain, without=self.lexicon.fillers)
            readings.append((_masked(plain, plain_idioms), plain))
        # An idiom is evidence too: it explains alarming words the model may
        # have reacted to ("my boss is going to kill me").
        mentions.extend(
            Mention(IDIOM_CATEGORY, " ".join(phrase), False, "an everyday idiom")
            for phrase, _, _ in idioms
        )
        for category, category_patterns in self.lexicon.emergencies.items():
            for pattern in filter(possible, category_patterns):
                for tokens, unmasked in readings:
                    for _, end, focus, floor in pattern.matches(tokens, unmasked):
                        counts, why = self._emergency_counts(
                            tokens, focus, end, asks_in_general, floor
                        )
                        mentions.append(Mention(category, pattern.source, counts, why))
                        if counts:
                            emergencies.add(category)

        # Conditions: clause by clause, since whose condition it is and
        # whether it is denied are local ("no hep C, my wife has afib").
        # Nobody named anywhere, and the message is about the treatment or a
        # general question ("Ketamine for Depression, Anxiety and PTSD").
        impersonal = not personal and _contains(whole, self.lexicon.treatment_uses)
        for index, tokens in enumerate(parts):
            # "had a heart murmur as a kid, but it went away": the next clause may say it is over.
            following = parts[index + 1] if index + 1 < len(parts) else []
            for category, start, end, source in self._condition_spans(tokens, possible):
                marked, opens_as_question = clauses_read[index][1], self._asks(tokens)
                asked = marked or opens_as_question
                # "¿qué es la presión intracraneal? a mí nunca me han dicho
                # nada": a question naming nobody, beside a personal remark.
                names_nobody = not any(t in self.lexicon.people for t in tokens)
                general = (
                    general_message
                    or impersonal
                    or (not personal and asked)
                    or (marked and opens_as_question and names_nobody)
                )
                counts, why = self._applies(
                    tokens, start, end, for_self, general, claims_own, following
                )
                mentions.append(Mention(category, source, counts, why))
                if counts and category not in conditions:
                    conditions.append(category)

        emergency = next((c for c in EMERGENCY_PRIORITY if c in emergencies), None)
        return Screening(emergency, tuple(conditions), tuple(mentions))

    def _asks(self, tokens: list[str]) -> bool:
        """Whether a clause opens like a question ("can it...", "is there...").

        "can not stop gasping" and "do not feel my legs" open with the same
        words, negated: those are statements.
        """
        return (
            bool(tokens)
            and tokens[0] in self.lexicon.question_starts
            and tokens[1:2] not in (["not"], ["no"])
            and not any(
                tuple(tokens[: len(opening)]) == opening
                for opening in self.lexicon.statement_openings
            )
        )

    def _condition_spans(
        self, tokens: list[str], possible: Callable[[Pattern], bool]
    ) -> list[tuple[str, int, int, str]]:
        """Condition matches; a match inside a longer one is dropped ("ocular hypertension")."""
        excluded = [
            span for phrase in self.lexicon.not_conditions for span in find_phrase(tokens, phrase)
        ]
        found = [
            (category, start, end, pattern.source)
            for category, category_patterns in self.lexicon.conditions.items()
            for pattern in filter(possible, category_patterns)
            for start, end in pattern.spans(tokens)
        ]
        return [
            match
            for match in found
            if not any(s <= match[1] and match[2] <= e for s, e in excluded)
            and not any(
                other[1] <= match[1]
                and match[2] <= other[2]
                and (other[2] - other[1]) > (match[2] - match[1])
                for other in found
            )
        ]

    def _idioms(
        self, tokens: list[str], without: frozenset[str] = frozenset()
    ) -> list[tuple[tuple[str, ...], int, int]]:
        """Everyday idioms that hold an emergency's words ("killing myself at the gym").

        In a reading without the filler words, an idiom is looked for without
        them too: "be the end of me" reads "be end me" there.
        """
        found = []
        present = set(tokens)
        for phrase in self.lexicon.not_emergencies:
            words = tuple(w for w in phrase if w not in without) or phrase
            if _may_start_in(words, present):
                found += [(phrase, s, e) for s, e in find_phrase(tokens, words, fuzzy=False)]
        return found

    def _denied_before(self, tokens: list[str], start: int, window: int, floor: int = 0) -> bool:
        """A denial in the `window` tokens before `start`, after `floor`, in the same clause."""
        window_start = max(0, start - window, floor)
        before = tokens[window_start:start]
        if BREAK in before:
            before = before[len(before) - before[::-1].index(BREAK) :]
        # Stop at the nearest person: "I don't know if my PTSD matters" is not a denial.
        for index in range(len(before) - 1, -1, -1):
            if (
                before[index] in self.lexicon.people
                and before[index] not in self.lexicon.self_verbs
            ):
                before = before[index + 1 :]
                break
        not_denials = [
            (phrase, span_start, span_end)
            for phrase in self.lexicon.not_negations
            for span_start, span_end in find_phrase(before, phrase, fuzzy=False)
        ]
        return _contains(_masked(before, not_denials), self.lexicon.negations)

    def _condition_negated(
        self, tokens: list[str], start: int, end: int, following: list[str]
    ) -> bool:
        """Denied before, or said to be fine or over after, also at the start of the next clause.

        ("had a heart murmur as a kid, but it went away").
        """
        after = tokens[end : end + 8]
        return (
            self._denied_before(tokens, start, NEGATION_WINDOW)
            or _contains(after, self.lexicon.negations_after)
            or _contains(after + following[:4], self.lexicon.resolved_after)
        )

    def _emergency_negated(self, tokens: list[str], start: int, end: int, floor: int) -> bool:
        """Denied right before, or said to be fine after.

        "can not catch my breath" is not being able to, not a denial; and
        words that say a condition is over never clear an emergency ("he
        forced me even though I said no").
        """
        before = list(tokens[:start])
        for index in range(max(0, start - EMERGENCY_NEGATION_WINDOW), start):
            if _inability(tokens, index):
                before[index] = ""  # no negation phrase matches an empty word
        for index in range(start - 1, max(0, start - EMERGENCY_NEGATION_WINDOW) - 1, -1):
            if before[index] in self.lexicon.conditionals:
                before[index:start] = [""] * (start - index)  # the condition's words deny nothing
                break
        return self._denied_before(before, start, EMERGENCY_NEGATION_WINDOW, floor) or _contains(
            tokens[end : end + 8], self.lexicon.negations_after
        )

    def _about_treatment(self, tokens: list[str]) -> bool:
        """Ketamine's effect on a condition, or its use for it: "I read ketamine treats PTSD"."""
        return any(t in self.lexicon.treatment_words for t in tokens) and _contains(
            tokens, self.lexicon.general_contexts
        )

    def _owner(self, tokens: list[str], start: int) -> tuple[str, int]:
        """Whose condition it is: 'self', 'relative', 'other' or 'none', and where that word is."""
        lexicon = self.lexicon
        for index in range(start - 1, -1, -1):
            word = tokens[index]
            # A verb right after a person is that person's: "mi ex tenía", "mi
            # mamá tenía" ("tenía" is also "I had").
            subject = tokens[index - 1] if index else ""
            named = subject in lexicon.others or subject in lexicon.close_relatives
            if word in lexicon.self_words or (word in lexicon.self_verbs and not named):
                return "self", index
            if word in lexicon.close_relatives:
                previous = tokens[index - 1] if index else ""
                if previous in lexicon.others or (
                    previous == POSSESSIVE and index >= 2 and tokens[index - 2] in lexicon.others
                ):
                    return "other", index
                return "relative", index
            if word in lexicon.others:
                return "other", index
        # "can an alcoholic get ketamine?": a generic person in a question.
        if start and tokens[start - 1] in lexicon.articles and tokens[0] in lexicon.question_starts:
            return "other", start - 1
        return "none", -1

    def _applies(
        self,
        tokens: list[str],
        start: int,
        end: int,
        for_self: bool,
        general_message: bool,
        claims_own: bool,
        following: list[str],
    ) -> tuple[bool, str]:
        if self._condition_negated(tokens, start, end, following):
            return False, "negated"
        owner, at = self._owner(tokens, start)
        if owner == "other" and claims_own:
            # "Do you treat people with schizoaffective? That's me."
            return True, "asked in general, then claimed as the patient's own"
        if owner == "other":
            return False, "someone else's or a general question"
        if owner == "relative" and for_self:
            return False, "a relative's, and the patient asks for themselves"
        if owner == "relative" and _contains(tokens, self.lexicon.past_relatives):
            return False, "a relative who has died"
        if owner in ("self", "relative"):
            if self._about_treatment(tokens[at + 1 : start]):
                return False, "the object of a general statement or question"
            return True, f"applies ({owner})"
        if general_message or _contains(tokens, self.lexicon.general_contexts):
            return False, "a general question"
        return True, "unclear who it applies to: hand off"

    def _emergency_counts(
        self, tokens: list[str], start: int, end: int, general: bool, floor: int
    ) -> tuple[bool, str]:
        if self._emergency_negated(tokens, start, end, floor):
            return False, "negated"
        if any(find_phrase(tokens[start:end], phrase) for phrase in self.lexicon.grave_questions):
            return True, "emergency, even as a general question"
        if general:
            return False, "a general question"
        if self._about_treatment_of(tokens, start):
            return False, "what ketamine is used for, not the patient's own state"
        return True, "emergency"

    def _about_treatment_of(self, tokens: list[str], start: int) -> bool:
        """ "I read ketamine is used for suicidal thoughts": the treatment's use, not a crisis.

        Only when nobody owns the words right before it: "can it help my
        suicidal thoughts" is the patient's own crisis.
        """
        clause_start = start
        while clause_start and tokens[clause_start - 1] != BREAK:
            clause_start -= 1
        owner_window = tokens[max(clause_start, start - 3) : start]
        owners = self.lexicon.self_words | self.lexicon.self_verbs
        return self._about_treatment(tokens[clause_start:start]) and not any(
            t in owners for t in owner_window
        )


@lru_cache(maxsize=1)
def default_screen() -> SafetyScreen:
    return SafetyScreen(Lexicon.load())
