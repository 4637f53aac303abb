"""Is a text English? Asked of a sample of an index's passages (which meaning model it needs) and
of each query (whether the English-only related-terms list can help it).

Not a language identifier: it only tells English from the rest, from two signals that need no
model: the script of the letters (Han, Cyrillic, Arabic... are not English), and for Latin
script which language's commonest function words the text uses. Source code and lists have few
function words of any language, so they count as English (the English models read them best).
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


def _is_latin(ch: str) -> bool:
    # Basic Latin, Latin-1, Latin Extended-A/B and Additional: accented Western letters too.
    o = ord(ch)
    return o < 0x250 or 0x1E00 <= o < 0x1F00


def is_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    non_latin = sum(1 for c in letters if not _is_latin(c)) / len(letters)
    if non_latin >= _MIN_NON_LATIN:
        return False
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < _MIN_WORDS:
        return True
    hits = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}
    best = max(hits, key=lambda lang: hits[lang])
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
