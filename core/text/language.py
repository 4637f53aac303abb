"""Which language is a text in? Asked of a sample of an index's passages (which meaning model it
needs), of each query (whether the English-only related-terms list can help it), and of every
passage and query the multilingual model encodes (core.encode.dense: its language's mean vector
is taken away, so that meaning, not language, decides what is near).

Coarse on purpose, from two signals that need no model: the script of the letters (Arabic,
Cyrillic, Han, Kana, Hangul, ...), and for Latin script which language's commonest function
words the text uses. Source code and lists have few function words of any language, so they
count as English (the English models read them best).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# The commonest short function words; none is also common in English text.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the of and to in is that for it with as was on be by this are from or "
                    "an at which not have has were but can will their its you we they".split()),
    "de": frozenset("der die das und ist nicht ein eine mit den dem des sich auf für von zu "
                    "auch wird werden oder wie bei aus nach sind".split()),
    "fr": frozenset("le la les et est des une un du dans que qui pour pas sur au avec sont "
                    "ce cette par plus ou aux".split()),
    "es": frozenset("el la los las y es del que en un una por con para se su al lo como más "
                    "pero sus fue son".split()),
    "it": frozenset("il di che è la e per un una non sono del della con si le gli dei nel "
                    "alla più anche".split()),
    "pt": frozenset("o a os as e é do da que em um uma para com não se dos das no na por "
                    "mais foi são".split()),
    "nl": frozenset("de het een en van is dat niet op te zijn met voor ook aan er maar om "
                    "wordt worden".split()),
}
_MIN_WORDS = 6  # fewer Latin words than this: too little to tell, taken as English
_MIN_NON_LATIN = 0.3  # share of letters outside the Latin script that makes a text not English


# (first, last + 1 code point, language) of the scripts that name one language (or its family:
# Cyrillic counts as Russian, Arabic script as Arabic). Kana before Han: Japanese mixes both.
_SCRIPTS = (
    (0x3040, 0x3100, "ja"), (0x31F0, 0x3200, "ja"), (0xFF66, 0xFFA0, "ja"),
    (0xAC00, 0xD7B0, "ko"), (0x1100, 0x1200, "ko"), (0x3130, 0x3190, "ko"),
    (0x4E00, 0xA000, "zh"), (0x3400, 0x4DC0, "zh"),
    (0x0600, 0x0700, "ar"), (0x0750, 0x0780, "ar"), (0x0590, 0x0600, "he"),
    (0x0400, 0x0530, "ru"), (0x0370, 0x0400, "el"), (0x0E00, 0x0E80, "th"),
    (0x0900, 0x0980, "hi"),
)
LANGUAGES = ("en", *sorted(_FUNCTION_WORDS.keys() - {"en"}),
             *sorted({lang for *_, lang in _SCRIPTS}))


def _script_language(letters: list[str]) -> str | None:
    """The language of the non-Latin script of a good share of the letters, if any."""
    counts: dict[str, int] = {}
    for c in letters:
        o = ord(c)
        if o < 0x250:
            continue
        for lo, hi, lang in _SCRIPTS:
            if lo <= o < hi:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts:
        return None
    if counts.get("ja", 0) >= 0.1 * len(letters):  # any real share of kana: Japanese
        return "ja"
    lang = max(counts, key=lambda k: counts[k])
    return lang if counts[lang] >= _MIN_NON_LATIN * len(letters) else None


def _function_words(text: str) -> tuple[list[str], dict[str, int], str]:
    """(the text's words, lower-cased; how many are each language's function words; the
    language with most, English first among equals)."""
    words = [w.lower() for w in _WORD.findall(text)]
    hits = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}
    return words, hits, max(hits, key=lambda lang: hits[lang])


def detect(text: str) -> str:
    """A language code of LANGUAGES; "en" when nothing says otherwise."""
    return evidence(text)[0] or "en"


def evidence(text: str) -> tuple[str | None, str]:
    """(the language if the text shows it, else None; its script: a language code for a script
    of its own, "latin" otherwise). A short Latin-script query usually shows no language."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None, "latin"
    script = _script_language(letters)
    if script:
        return script, script
    words, hits, best = _function_words(text)
    # Another language must lead clearly: a few words are shared by several (a, e, la, de).
    if best != "en" and hits[best] >= max(2, 1.5 * hits["en"]):
        return best, "latin"
    return ("en" if hits["en"] >= 2 else None), "latin"


def different_languages(a: tuple[str | None, str], b: tuple[str | None, str]) -> bool:
    """Two texts' `evidence`: are they surely in different languages? Different scripts are;
    within Latin script only when both show their language."""
    if a[1] != b[1]:
        return True
    return a[0] is not None and b[0] is not None and a[0] != b[0]


def _is_latin(ch: str) -> bool:
    # Basic Latin, Latin-1, Latin Extended-A/B and Additional: accented Western letters too.
    o = ord(ch)
    return o < 0x250 or 0x1E00 <= o < 0x1F00


def is_english(text: str) -> bool:
    """Stricter than detect() about Latin text: another language's function words must also be
    frequent (a tenth of the words), so English text stripped of its own function words (as
    nfcorpus-preproc's is) or full of code still counts as English."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    non_latin = sum(1 for c in letters if not _is_latin(c)) / len(letters)
    if non_latin >= _MIN_NON_LATIN:
        return False
    words, hits, best = _function_words(text)
    if len(words) < _MIN_WORDS:
        return True
    # Another language must clearly lead, and be frequent: a few words are shared by several
    # (a, e, la, de), and text stripped of English function words keeps some of them.
    return best == "en" or hits[best] < max(3, 0.1 * len(words), 1.5 * hits["en"])


def non_english_share(texts: Iterable[str]) -> float:
    """The share of `texts` that are not English (0 for none)."""
    total = other = 0
    for text in texts:
        total += 1
        other += not is_english(text)
    return other / total if total else 0.0
