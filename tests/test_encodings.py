"""Legacy encodings in every script: real text of several paragraphs, encoded with Python's
codecs, must come back exactly, through charset detection and through the extractors; one-line
files too, where detection has least to go on; and HTML pages that declare their charset."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from core.extract import extract
from core.extract.charset_guess import plausibility
from core.extract.common import Source, normalise
from core.extract.sniff import detect
from core.extract.text import decode, detect_encoding, looks_textual
from tests.multilingual import (
    ARABIC,
    CHINESE_SIMPLIFIED,
    CHINESE_TRADITIONAL,
    GREEK,
    HEBREW,
    JAPANESE,
    KOREAN,
    RUSSIAN,
    SHORT,
    TURKISH,
)

# Characters only the wider code page has, as real files have them: GBK's 喆 and 堃 (common in
# given names, not in GB2312), GB18030's four-byte ™, windows-949's 똠 (not in EUC-KR's 2,350
# syllables), windows-31J's ① (NEC row 13, not in Shift-JIS proper).
GBK_LINE = "\n这份报告由财务部的王喆和李堃共同完成。\n"
GB18030_LINE = "\n本软件的名称“星光™”已经注册为商标。\n"
UHC_LINE = "\n요즘은 소설 《똠방각하》를 다시 읽고 있습니다.\n"
CP932_LINE = "\n会議の議題：①予算案、②新規事業計画。\n"
ALL = "\n\n".join([CHINESE_SIMPLIFIED, JAPANESE, KOREAN, RUSSIAN, ARABIC, HEBREW, GREEK, TURKISH])

LONG = [
    ("zh", CHINESE_SIMPLIFIED + GBK_LINE + GB18030_LINE, "gb18030"),
    ("zh", CHINESE_SIMPLIFIED + GBK_LINE, "gbk"),
    ("zh-Hant", CHINESE_TRADITIONAL, "big5"),
    ("zh-Hant", CHINESE_TRADITIONAL, "cp950"),
    ("ja", JAPANESE, "shift_jis"),
    ("ja", JAPANESE + CP932_LINE, "cp932"),
    ("ja", JAPANESE, "euc_jp"),
    ("ja", JAPANESE, "iso2022_jp"),
    ("ko", KOREAN, "euc_kr"),
    ("ko", KOREAN + UHC_LINE, "cp949"),
    ("ru", RUSSIAN, "cp1251"),
    ("ru", RUSSIAN, "koi8_r"),
    ("ar", ARABIC, "cp1256"),
    ("he", HEBREW, "cp1255"),
    ("el", GREEK, "cp1253"),
    ("tr", TURKISH, "cp1254"),
    ("zh", CHINESE_SIMPLIFIED, "utf-16-le"),  # no BOM, and hardly a zero byte
    ("zh", CHINESE_SIMPLIFIED, "utf-16-be"),
    ("ko", KOREAN, "utf-16-le"),
    ("all", ALL, "utf-8"),
    ("all", ALL, "utf-8-sig"),  # with a BOM
]


def _ids(case: tuple[str, str, str]) -> str:
    return f"{case[0]}-{case[2]}"


def _same_codec(a: str, b: str) -> bool:
    return codecs.lookup(a).name == codecs.lookup(b).name


@pytest.mark.parametrize("case", LONG, ids=_ids)
def test_long_text_decodes_exactly(case: tuple[str, str, str]) -> None:
    _, text, enc = case
    data = text.encode(enc)
    assert len(data) > 1500  # several paragraphs
    assert decode(data) == text


@pytest.mark.parametrize("case", LONG, ids=_ids)
def test_long_text_extracts(tmp_path: Path, case: tuple[str, str, str]) -> None:
    lang, text, enc = case
    path = tmp_path / f"{lang}-{enc}.txt"
    path.write_bytes(text.encode(enc))
    r = extract(path)
    assert r.format == "text"
    for paragraph in text.split("\n\n"):
        assert normalise(paragraph) in r.text
    assert "\ufffd" not in r.text


def test_detection_names_the_code_page_or_its_superset() -> None:
    # The superset decodes every file of the narrower one the same way.
    widened = {"gbk": "gb18030", "big5": "cp950", "shift_jis": "cp932", "euc_kr": "cp949"}
    for _, text, enc in LONG:
        found, skip = detect_encoding(text.encode(enc))
        expected = widened.get(enc, enc)
        if enc == "utf-8-sig":
            assert (found, skip) == ("utf-8", 3)
        else:
            assert _same_codec(found, expected), (enc, found)
            assert skip == 0


# One line, about 40 bytes: too little for letter statistics. Every one of these is read
# right; the readings that came out before (windows-1252 and the like) are in the comments.
SHORT_CASES = [
    ("zh", "gb18030"),  # was right
    ("zh", "utf-16-le"),
    ("zh-Hant", "big5"),  # was right
    ("ja", "shift_jis"),  # was right
    ("ja", "euc_jp"),  # was windows-949: hiragana rows read as Hangul jamo
    ("ja", "iso2022_jp"),  # was UTF-8 with the escape sequences left in
    ("ko", "euc_kr"),  # was right
    ("ru", "cp1251"),  # was right
    ("ru", "koi8_r"),  # was Shift_JIS-2004 half-width katakana
    ("ar", "cp1256"),  # was right
    ("he", "cp1255"),  # was cp1125 (Ukrainian DOS) Cyrillic
    ("el", "cp1253"),  # was right
    ("tr", "cp1254"),  # was windows-1252: ð þ for ğ ş
]


@pytest.mark.parametrize(("lang", "enc"), SHORT_CASES)
def test_short_line_decodes_exactly(lang: str, enc: str) -> None:
    text = SHORT[lang]
    data = text.encode(enc)
    assert len(data) < 70
    assert decode(data) == text


@pytest.mark.parametrize(
    ("text", "enc"),
    [
        ("ВНИМАНИЕ! ПРОВЕРКА СВЯЗИ ЗАВТРА", "cp1251"),  # all capitals
        ("привет, как дела? всё хорошо", "cp1251"),  # no capital at all
        ("ВНИМАНИЕ! ПРОВЕРКА СВЯЗИ ЗАВТРА", "koi8_r"),
        ("מחר בבוקר נפגש ליד תחנת האוטובוס", "cp1255"),
        ("ΚΑΛΗΜΕΡΑ ΣΑΣ ΦΙΛΟΙ ΜΟΥ", "cp1253"),
        ("καλημέρα, τι κάνεις;", "cp1253"),
        ("İyi akşamlar, nasılsınız?", "cp1254"),
        ("Iğdır ve Muş illeri çok soğuk.", "cp1254"),
        ("Příliš žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
        ("Zażółć gęślą jaźń, powiedział Paweł.", "cp1250"),
        ("Árvíztűrő tükörfúrógép a műhelyben.", "cp1250"),
        ("Kraków, Łódź i Gdańsk", "cp1250"),
        ("Grüße aus Köln, schönes Wetter heute.", "cp1252"),
        ("Le garçon a mangé une crème brûlée.", "cp1252"),
        ("你好，世界", "gb18030"),
        ("東京タワー", "euc_jp"),
        ("สวัสดีครับ ยินดีต้อนรับ", "cp874"),
    ],
)
def test_more_short_lines(text: str, enc: str) -> None:
    assert decode(text.encode(enc)) == text


def test_western_text_keeps_windows_1252() -> None:
    # Latin-1 text decodes the same in several code pages: the commonest one is named.
    data = "Le garçon a mangé une crème brûlée très sucrée.".encode("latin-1")
    assert detect_encoding(data) == ("cp1252", 0)
    assert detect_encoding("“Smart quotes” – and a dash".encode("cp1252")) == ("cp1252", 0)


def test_a_prefix_cut_inside_a_character() -> None:
    # The detection sample (and the sniffing head) end anywhere, often inside a character.
    data = (CHINESE_SIMPLIFIED * 20).encode("gb18030")
    for cut in (8191, 8192, 65535, 65536):
        sample = data[:cut]
        assert _same_codec(detect_encoding(sample)[0], "gb18030"), cut
    assert looks_textual(data[:8193])


def test_looks_textual_for_utf16_and_iso2022() -> None:
    # Files without a known extension are read only if they look like text.
    assert looks_textual(CHINESE_SIMPLIFIED.encode("utf-16-le"))
    assert looks_textual(JAPANESE.encode("iso2022_jp"))
    assert looks_textual(KOREAN.encode("cp949"))


def test_unknown_extension_is_sniffed_as_text(tmp_path: Path) -> None:
    path = tmp_path / "NOTES"
    path.write_bytes(JAPANESE.encode("iso2022_jp"))
    assert detect(Source(name=path.name, path=path)) == "text"
    assert "東京は日本の首都であり" in extract(path).text


def test_plausibility_separates_text_from_mojibake() -> None:
    for text, enc in [(RUSSIAN, "cp1251"), (HEBREW, "cp1255"), (CHINESE_SIMPLIFIED, "gb18030")]:
        assert plausibility(text) == 1.0
        wrong = text.encode(enc).decode("cp1252" if enc != "cp1252" else "cp1250", "replace")
        assert plausibility(wrong) < 0.5, enc


# --- HTML: the page's own declaration -----------------------------------------------------


def _page(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>{body[:12]}</title></head><body>" + "".join(
        f"<p>{p}</p>" for p in body.split("\n\n")
    ) + "</body></html>"


@pytest.mark.parametrize(
    ("head", "body", "enc"),
    [
        # gb2312 pages are GBK in practice (browsers decode them so): 喆 is GBK-only.
        ('<meta charset="gb2312">', CHINESE_SIMPLIFIED + GBK_LINE, "gbk"),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
            JAPANESE + CP932_LINE,
            "cp932",
        ),
        ("<meta charset='euc-kr'>", KOREAN + UHC_LINE, "cp949"),
        ('<meta charset="big5">', CHINESE_TRADITIONAL, "big5"),
        ('<meta charset="windows-1256">', ARABIC, "cp1256"),
        ('<meta charset="iso-8859-9">', TURKISH, "cp1254"),
        ('<meta charset="x-no-such-charset">', RUSSIAN, "cp1251"),  # unknown: detected
    ],
)
def test_html_declared_charset(tmp_path: Path, head: str, body: str, enc: str) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(_page(head, body).encode(enc))
    r = extract(path)
    assert r.format == "html"
    for paragraph in body.split("\n\n"):
        assert normalise(paragraph) in r.text
    assert "\ufffd" not in r.text


def test_xhtml_xml_declaration(tmp_path: Path) -> None:
    path = tmp_path / "page.xhtml"
    page = '<?xml version="1.0" encoding="Shift_JIS"?>\n' + _page("", JAPANESE)
    path.write_bytes(page.encode("shift_jis"))
    r = extract(path)
    assert normalise(JAPANESE.split("\n\n")[0]) in r.text
