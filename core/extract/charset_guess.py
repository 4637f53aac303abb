"""Guessing the legacy code page of text without a BOM, a declaration or valid UTF-8 (GB18030,
Shift-JIS, Windows-1251, ...): charset-normalizer's candidates, judged as writing.

Used by core.extract.text.detect_encoding; tests/test_encodings.py has the cases it fixes."""

from __future__ import annotations

import codecs
import functools
import re
from collections import Counter
from dataclasses import dataclass

from charset_normalizer import CharsetMatch, from_bytes

# Labels whose decoder is really a superset: WHATWG decodes gb2312/GBK as GB18030, Shift_JIS
# as Windows-31J, EUC-KR as windows-949, ISO-8859-1 and ASCII as windows-1252 (on the web and
# in mail); files written on Windows use those extensions, and a narrower codec would turn
# their extra characters into U+FFFD or, for a declared charset, reject the whole file.
_ALIASES = {
    "iso8859-1": "cp1252",  # latin1, iso-8859-1, ... all look up as this
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "cp950",
}
# Labels Python's codec registry does not know.
_LABELS = {
    "x-gbk": "gb18030",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms_kanji": "cp932",
    "cn-big5": "cp950",
    "x-x-big5": "cp950",
    "x-euc-jp": "euc_jp",
    "windows-874": "cp874",
}


def codec_name(label: str) -> str | None:
    """Python codec name for a charset label (declared or detected), widened to its superset."""
    label = label.strip().lower()
    try:
        name = codecs.lookup(_LABELS.get(label, label)).name
    except LookupError:
        return None
    return _ALIASES.get(name, name)


# --- guessing a legacy code page ------------------------------------------------------------
#
# charset-normalizer ranks candidates by "chaos" (odd characters) and "coherence" (letter
# frequencies of a language). Both need text: on a one-line file every candidate scores 0/0,
# and once a multi-byte codec decodes cleanly it skips the single-byte ones altogether (a
# 30-byte KOI8-R line comes back as Shift-JIS half-width katakana). So its candidates, and
# for short samples the everyday code pages too, are read and judged as writing: characters
# of a real script, each word in one script, case, accents and final letters where they belong.

# The code pages in everyday use, most common first: tried on short samples, and preferred
# when readings tie.
_EVERYDAY = (
    "cp1252", "cp1250", "cp1251", "koi8-r", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "gb18030", "cp950", "cp932", "euc_jp", "cp949", "cp874",
)
_PREFERENCE = {name: i for i, name in enumerate(_EVERYDAY)}
_SHORT = 16 * 1024  # below this, charset-normalizer's statistics are weak: widen the field
_JUDGED = 8 * 1024  # characters of each reading that are judged (a prefix is telling enough)
_TOLERANCE = 0.02  # readings this close in plausibility are ranked by charset-normalizer

# Characters of real text: Latin-1, Latin Extended-A, Vietnamese and Romanian letters,
# combining accents, Greek (but ΐ ΰ), Cyrillic, Hebrew, Arabic (but Urdu's ہ: windows-1256
# puts it where windows-1251 has А), Thai letters and marks, common punctuation and symbols,
# CJK punctuation, kana, ideographs, Hangul syllables, full-width forms. Outside: C1
# controls, U+FFFD, box drawing, private use, half-width katakana, compatibility jamo, ...:
# what a wrong code page produces.
_ODD = re.compile(
    "[^\x00-\x7f\u00a0-\u017f\u01a0\u01a1\u01af\u01b0\u0218-\u021b\u0300-\u036f"
    "\u0370-\u038f\u0391-\u03af\u03b1-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06c0"
    "\u06c2-\u06ff\u0e01-\u0e4e\u2010-\u2027\u2030-\u203b\u20ac\u2103\u2116\u2122"
    "\u2160-\u217f\u2190-\u2193\u2200-\u22ff\u2460-\u24ff\u25a0-\u25ff\u2605\u2606"
    "\u3000-\u30ff\u4e00-\u9fff\uac00-\ud7a3\uff01-\uff5e\uffe0-\uffe5]"
)
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_LATIN_VOWELS = (
    "aeiouyAEIOUY\u00c0-\u00c5\u00c8-\u00cf\u00d2-\u00d6\u00d9-\u00dd\u00e0-\u00e5\u00e8-\u00ef"
    "\u00f2-\u00f6\u00f9-\u00fd\u0102\u0103\u01a0\u01a1\u01af\u01b0"
)
_RU_VOWELS = "аеёиоуыэюяАЕЁИОУЫЭЮЯ"
_RU_CONSONANTS = "бвгджзклмнпрстфхцчшщБВГДЖЗКЛМНПРСТФХЦЧШЩ"
# Letters out of place, by script (each rule runs only on text that has the script):
_MISPLACED = [
    (re.compile(gate), re.compile(rule))
    for gate, rule in (
        # Latin: Icelandic þ inside a word (what Turkish ş becomes in windows-1252); a Latin-1
        # sign between letters (y²la, g÷re: Turkish in DOS code pages); a combining tone mark
        # (windows-1258) on no vowel.
        (
            "[\u00a1-\u024f\u0300-\u036f]",
            "(?<=[a-z\u00df-\u00ff])\u00fe"
            f"|(?<=[{_LATIN}])[\u00a1-\u00bf\u00d7\u00f7](?=[{_LATIN}])"
            f"|(?<![{_LATIN_VOWELS}])[\u0300\u0301\u0303\u0309\u0323]",
        ),
        # Greek: final sigma inside a word.
        ("[\u0370-\u03ff]", "\u03c2[\u0386-\u03ce]"),
        # Russian: a word that starts with ъ ы ь, those after a vowel, й after a consonant or
        # before а у э (Russian writes я ю е there).
        (
            "[\u0400-\u04ff]",
            "(?<![\u0400-\u04ff])[ъыьЪЫЬ]"
            f"|(?<=[{_RU_VOWELS}])[ъыьЪЫЬ]|(?<=[{_RU_CONSONANTS}])[йЙ]|[йЙ][аАуУэЭ]",
        ),
        # Hebrew: a final form inside a word; a point on no letter.
        (
            "[\u0590-\u05ff]",
            "[\u05da\u05dd\u05df\u05e3\u05e5][\u05d0-\u05ea]"
            "|(?<![\u05b0-\u05c7\u05d0-\u05ea])[\u05b0-\u05c7]",
        ),
        # Arabic: teh marbuta or alef maksura inside a word; a vowel mark on no letter.
        ("[\u0600-\u06ff]", "[\u0629\u0649][\u0621-\u064a]|(?<![\u0621-\u0652])[\u064b-\u0652]"),
        # Thai: a vowel or tone mark on no letter, a leading vowel before no consonant.
        (
            "[\u0e00-\u0e7f]",
            "(?<![\u0e01-\u0e4e])[\u0e30-\u0e3a\u0e47-\u0e4e]|[\u0e40-\u0e44](?![\u0e01-\u0e2e])",
        ),
    )
]
# Two letters of different scripts side by side, inside a word: each letter mapped to its
# script's digit (1 Latin, 2 Greek, 3 Cyrillic, 4 Hebrew, 5 Arabic), then adjacent digits
# compared. Plus Hangul next to kana or ideographs (GBK and Big5 read as windows-949).
_SCRIPT_OF = {
    cp: digit
    for digit, ranges in (
        ("1", "AZ az \u00c0\u00d6 \u00d8\u00f6 \u00f8\u024f"),
        ("2", "\u0386\u03ce"),
        ("3", "\u0400\u04ff"),
        ("4", "\u05d0\u05ea"),
        ("5", "\u0621\u064a"),
    )
    for span in ranges.split()  # "AZ" is A to Z
    for cp in range(ord(span[0]), ord(span[1]) + 1)
} | {ord(d): " " for d in "0123456789"}
_SCRIPT_CHANGE = re.compile(r"([1-5])(?!\1)[1-5]")
_HANGUL_CHANGE = re.compile(
    "[\uac00-\ud7a3][\u3041-\u30fa\u4e00-\u9fff]|[\u3041-\u30fa\u4e00-\u9fff][\uac00-\ud7a3]"
)
# Lower case then upper case inside a word: KOI8-R read as windows-1251 swaps the cases.
_CASE_FLIP = re.compile(
    "[a-z\u00df-\u00f6\u00f8-\u00ff\u0430-\u045f\u03ac-\u03ce]"
    "[\u00c0-\u00d6\u00d8-\u00de\u0400-\u042f\u0386-\u03ab]"
)
_LATIN_EXTRA = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_ASCII_LETTER = re.compile("[A-Za-z]")
# The accented letters of languages written in Latin script (lower case, and Turkish İ). A
# reading whose accented letters no single language uses is the wrong code page: Turkish in
# windows-1252 gives ð þ ý next to ç ü, Czech in windows-1252 gives è ø next to š ž.
_ALPHABETS = [
    frozenset(a)
    for a in (
        "àâæçéèêëîïôœùûüÿ",  # French
        "äöüß",  # German
        "áéíñóúü",  # Spanish
        "àáâãçéêíóôõú",  # Portuguese
        "àèéìòóù",  # Italian
        "àçèéíïòóúü",  # Catalan
        "áéíóúàèëïöü",  # Dutch
        "æøåéóôü",  # Danish, Norwegian
        "åäöéšž",  # Swedish, Finnish
        "áðéíóúýþæö",  # Icelandic
        "áíóúýæøð",  # Faroese
        "áčďéěíňóřšťúůýž",  # Czech
        "áäčďéíĺľňóôŕšťúýž",  # Slovak
        "ąćęłńóśźż",  # Polish
        "áéíóöőúüű",  # Hungarian
        "ăâîșțşţ",  # Romanian
        "čćđšž",  # Croatian, Bosnian, Serbian, Slovene
        "äöõüšž",  # Estonian
        "āčēģīķļņšūž",  # Latvian
        "ąčęėįšųūž",  # Lithuanian
        "çğıöşüâîûİ",  # Turkish
        "çë",  # Albanian
        "àáâăđèéêíóôơùúư",  # Vietnamese as windows-1258 writes it (more tones combine)
    )
]
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# The 15 commonest letters of Russian, Ukrainian and Bulgarian make about 3/4 of their text;
# a Cyrillic code page read as another scrambles them (windows-1251 as ISO-8859-5: 0.15).
_CYRILLIC_COMMON = re.compile("[оеаинтсрвлкмідпОЕАИНТСРВЛКМІДП]")
_RUSSIAN_ONLY = re.compile("[ёщъыэЁЩЪЫЭ]")  # letters Serbian and Macedonian Cyrillic lack
_SERBIAN_ONLY = re.compile("[ђѓѕјљњћќџЂЃЅЈЉЊЋЌЏ]")  # and theirs, which Russian lacks
_ALPHABETIC = re.compile("[\u0386-\u03ce\u0400-\u04ff\u05d0-\u05ea\u0621-\u064a\u0e01-\u0e2e]")
_BICAMERAL_UPPER = re.compile("[\u0400-\u042f\u0386-\u03ab]")
_BICAMERAL_LOWER = re.compile("[\u0430-\u045f\u03ac-\u03ce]")
_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa]")


def _chars(enc: str, leads: range, trails: range) -> set[str]:
    """The characters of a double-byte code page's rows: every pair, decoded in one go (a
    newline after each pair keeps an invalid one from swallowing the next)."""
    pairs = b"".join(bytes((lead, trail)) + b"\n" for lead in leads for trail in trails)
    return {c for c in pairs.decode(enc, "replace").split("\n") if len(c) == 1} - {"\ufffd"}


def _class_outside(keep: set[str], lo: int, hi: int) -> str:
    """A regex character class (without brackets) of the code points lo..hi not in `keep`."""
    ranges, start = [], None
    for cp in range(lo, hi + 2):
        inside = cp <= hi and chr(cp) not in keep
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            ranges.append(f"{chr(start)}-{chr(cp - 1)}" if cp - 1 > start else chr(start))
            start = None
    return "".join(ranges)


@functools.cache
def _unusual_cjk() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(rare, not Japanese): a wrong CJK code page yields rare ideographs and syllables.

    Common ideographs: GB2312 level 1, Big5's frequent set, JIS X 0208 level 1 (about 8,000
    together, well over 99% of running text); common Hangul: the 2,350 syllables of KS X 1001
    (what EUC-KR encodes). Japanese: JIS X 0208 and Microsoft's extensions (windows-31J).
    Built on first use."""
    common = (
        _chars("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
        | _chars("big5", range(0xA4, 0xC7), range(0x40, 0xFF))
        | _chars("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF))
        | _chars("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))
    )
    japanese = _chars("cp932", range(0x81, 0xFD), range(0x40, 0xFD))
    rare = _class_outside(common, 0x4E00, 0x9FFF) + _class_outside(common, 0xAC00, 0xD7A3)
    return re.compile(f"[{rare}]"), re.compile(f"[{_class_outside(japanese, 0x4E00, 0x9FFF)}]")


def _latin_accents(text: str) -> float:
    """Accented Latin letters that look wrong: all of them when they outnumber the plain
    letters (another script read as a Latin code page), else those no single language has."""
    extra = _LATIN_EXTRA.findall(text)
    if not extra:
        return 0.0
    if len(extra) > len(_ASCII_LETTER.findall(text)):
        return len(extra)
    counts = Counter(c.lower() if len(c.lower()) == 1 else c for c in extra)  # İ.lower(): 2
    return len(extra) - max(sum(n for c, n in counts.items() if c in a) for a in _ALPHABETS)


def plausibility(text: str) -> float:
    """How much a decoding looks like writing: 1.0 when every non-ASCII character is a letter
    or sign of real text, where it belongs; towards 0 for mojibake."""
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if not non_ascii:
        return 1.0
    bad = len(_ODD.findall(text)) + _latin_accents(text)
    bad += 2 * len(_SCRIPT_CHANGE.findall(text.translate(_SCRIPT_OF)))
    bad += 2 * len(_HANGUL_CHANGE.findall(text)) + 2 * len(_CASE_FLIP.findall(text))
    bad += 3 * sum(len(rule.findall(text)) for gate, rule in _MISPLACED if gate.search(text))
    rare, not_japanese = _unusual_cjk()
    bad += len(rare.findall(text))
    if _KANA.search(text):
        bad += len(not_japanese.findall(text))
    letters = _ALPHABETIC.findall(text)
    if len(letters) >= 16:
        # One letter in four or more: the lead byte of a two-byte code read as a letter (an
        # EUC-JP kana row gives Thai ค every other character). Arabic's alif, the commonest
        # letter of any of these scripts, is under 1/6.
        bad += 2 * max(0, max(Counter(letters).values()) - len(letters) // 4)
    if _RUSSIAN_ONLY.search(text):
        bad += 3 * len(_SERBIAN_ONLY.findall(text))  # windows-1251's Ј where KOI8-R has ё
    cyrillic = len(_CYRILLIC.findall(text))
    if cyrillic >= 12 and len(_CYRILLIC_COMMON.findall(text)) < 0.45 * cyrillic:
        bad += 0.15 * cyrillic
    return max(0.0, 1.0 - bad / non_ascii)


def _single_case(text: str) -> bool:
    """Cyrillic or Greek all in one case: as likely Hebrew (all lower case once read as
    windows-1251) or the other Cyrillic code page (KOI8-R and windows-1251 swap the cases)."""
    lower = len(_BICAMERAL_LOWER.findall(text))
    upper = len(_BICAMERAL_UPPER.findall(text))
    return lower + upper >= 8 and not (lower and upper)


@dataclass
class _Reading:
    encoding: str
    chaos: float
    coherence: float
    text: str
    score: float

    def rank(self) -> tuple[bool, float, int, int]:
        """Among plausible readings: mixed case first, then the least chaos, the most
        coherence (in steps of 0.1: finer differences are noise on short samples), then the
        commonest code page."""
        return (
            _single_case(self.text),
            round(self.chaos, 2),
            -int(self.coherence * 10),
            _PREFERENCE.get(self.encoding, len(_PREFERENCE)),
        )


def _reading(sample: bytes, match: CharsetMatch) -> _Reading | None:
    enc = codec_name(match.encoding)
    if enc is None:
        return None
    text = codecs.getincrementaldecoder(enc)("replace").decode(sample[: _JUDGED * 2])[:_JUDGED]
    return _Reading(enc, match.chaos, match.coherence, text, plausibility(text))


def _whole_chars(sample: bytes) -> bytes:
    """A long sample up to its last byte below 0x30 (space, newline, punctuation): a prefix
    cut inside a character makes charset-normalizer reject every multi-byte code page, and
    such a byte is never part of a double-byte character (nor of GB18030's four-byte ones).
    An even number of bytes is dropped, for UTF-16."""
    if len(sample) < 4096:
        return sample  # a whole short file, most likely
    for i in range(len(sample) - 1, len(sample) - 4096, -1):
        if sample[i] < 0x30 and (len(sample) - i - 1) % 2 == 0:
            return sample[: i + 1]
    return sample


def guess_charset(sample: bytes) -> str:
    """The legacy code page of a sample that is not UTF-8 (see the comment above)."""
    sample = _whole_chars(sample)
    readings = [r for m in list(from_bytes(sample))[:12] if (r := _reading(sample, m))]
    seen = {r.encoding for r in readings}
    if b"\x00" not in sample and (
        len(sample) < _SHORT or not readings or readings[0].score < 1 - _TOLERANCE
    ):
        for enc in _EVERYDAY:
            if enc not in seen:
                alone = from_bytes(sample, cp_isolation=[enc]).best()
                if alone is not None and (r := _reading(sample, alone)):
                    readings.append(r)
                    seen.add(r.encoding)
    if not readings:
        return "cp1252"
    top = max(r.score for r in readings)
    return min((r for r in readings if r.score >= top - _TOLERANCE), key=_Reading.rank).encoding
