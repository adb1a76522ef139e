"""Chat messages that are not (only) one question: small talk, and two questions at once.

Small talk (greetings, thanks, questions about the bot itself) gets a friendly reply rather
than a refusal, and never fills the moderators' list of unanswered questions. It is only
small talk when the knowledge base has no confident answer: "hi, why is Misaki in Korea?"
is a question.

A message that wraps one question in remarks ("who did the music? it sticks with you") is
also read as its question alone (``question_part``): the remark's words are not what it asks.

A message with two questions ("why the masks at the end? and is her scar gone?") is split
where a new question starts: after a question mark, or at "and" / "also" / "plus" followed
by a question word. At most two parts.
"""

from __future__ import annotations

import itertools
import re

from bot.words import MAX_INPUT, normalize

GREETINGS = frozenset("hi hello hey heya hiya hallo hola yo sup howdy greetings gm morning "
                      "evening afternoon".split())
THANKS = frozenset("thanks thank thx ty tysm cheers appreciate appreciated thankyou".split())
_ABOUT_BOT = re.compile(
    r"\bwhat (?:can|could|do|should) (?:you|u)\b(?! tell)|\bhow (?:do|does|can) (?:you|u)\b"
    r"|\b(?:what|how) (?:can|could|should|do) i (?:ask|use|say|do with)\b"
    r"|\bwho (?:made|built|created|wrote|programmed|coded|runs|owns|are) (?:you|u|this|the bot)\b"
    r"|\b(?:are|r) (?:you|u) (?:a |an )?(?:real|human|person|bot|ai|robot|alive|sentient|"
    r"chatgpt|gpt|people)\b"
    r"|\bwhat (?:are|r) (?:you|u)\b"
    r"|\bwhat (?:kind|kinds|sort|sorts|type|types) of (?:questions|things|stuff)\b"
    r"|\bcan i ask\b|\bhow do i use\b"
    r"|^(?:help|commands|about)\W*$"
)
_QUESTION_WORD = (r"(?:what|whats|why|who|whose|where|when|how|which|is|are|was|were|does|"
                  r"did|do|can|could|will|would|has|have|whats)\b")
_JOIN = re.compile(rf",?\s+(?:and|also|plus|&)\s+(?=(?:also\s+)?{_QUESTION_WORD})", re.I)
_QMARK = re.compile(r"\?+\s+(?=\S)")
_LEAD = re.compile(r"^\s*(?:(?:two|2|couple of|a few) (?:things|questions|qs)\s*[:\-]\s*)",
                   re.I)
_STARTS_QUESTION = re.compile(rf"\s*{_QUESTION_WORD}", re.I)
_CONJUNCTION = re.compile(r"^(?:and|also|plus|&)\s+", re.I)
_SENTENCE = re.compile(r"(?<=[.?!])\s+|\n+")
MIN_PART_WORDS = 2
MAX_SPLITS = 8  # places tried per pattern: bounded work on a wall of question marks


def smalltalk_kind(text: str) -> str | None:
    """"about" for a question about the bot, "greeting" for a message that opens with a
    greeting or thanks, else None. The caller decides with the knowledge base's answer:
    "hey, why is Misaki in Korea" is a question."""
    norm = normalize(text)
    if _ABOUT_BOT.search(" ".join(re.findall(r"[a-z]+", norm[:300]))):
        return "about"
    first = re.findall(r"[a-z]+", norm[:40])
    if first and (_squeeze(first[0]) in GREETINGS or first[0] in THANKS):
        return "greeting"
    return None


def _asks(text: str) -> bool:
    """Whether a part reads as a question: it ends with "?" or starts with a question word
    ("both murakami, right" after a question is a remark, not a second question)."""
    return text.rstrip().endswith("?") or bool(_STARTS_QUESTION.match(text))


def _squeeze(word: str) -> str:
    """"hiii" → "hi", "heyyy" → "hey": letters repeated for effect, once."""
    return re.sub(r"(.)\1+$", r"\1", word)


def split_two(text: str) -> tuple[str, str] | None:
    """The two questions of a message that asks two, or None."""
    body = _LEAD.sub("", text[:MAX_INPUT])
    for pattern in (_QMARK, _JOIN):
        for match in itertools.islice(pattern.finditer(body), MAX_SPLITS):
            first = body[:match.start()].strip()
            second = _CONJUNCTION.sub("", body[match.end():].strip())
            if (len(first.split()) >= MIN_PART_WORDS and len(second.split()) >= MIN_PART_WORDS
                    and second.strip("?!. ") and _asks(second)):
                return first, second
    return None


def question_part(text: str) -> str | None:
    """The question sentences of a message that also has sentences that are not questions
    ("misaki's scar is gone?? did i miss something lol" has one of each), or None."""
    sentences = [p.strip() for p in itertools.islice(_SENTENCE.split(text[:MAX_INPUT]), 12)]
    sentences = [p for p in sentences if p]
    if len(sentences) < 2:
        return None
    asked = [p for p in sentences if _asks(p) and len(p.split()) >= MIN_PART_WORDS]
    if not asked or len(asked) == len(sentences):
        return None
    return " ".join(asked)
