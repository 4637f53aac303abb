"""troff man pages (man and mdoc macros) -> readable text; .SH/.SS (.Sh/.Ss) become headings."""

from __future__ import annotations

import re

from .common import Source, TextBuilder, choose_title
from .text import read_text
from .types import Extracted

_NAMED = {
    "em": "—", "en": "–", "hy": "-", "mi": "-", "aq": "'", "dq": '"', "lq": "“", "rq": "”",
    "oq": "‘", "cq": "’", "co": "©", "rg": "®", "tm": "™", "bu": "•", "de": "°", "ti": "~",
    "ha": "^", "rs": "\\", "sl": "/", "ba": "|", "br": "|", "ul": "_", "dg": "†", "->": "→",
    "<-": "←", "<=": "≤", ">=": "≥", "!=": "≠", "mu": "×", "di": "÷", "+-": "±", "Fo": "«",
    "Fc": "»", "sq": "□", "ga": "`", "aa": "´",
}  # fmt: skip
_ESCAPE = re.compile(
    r"\\(?:"
    r"f(?:\[[^\]]*\]|\(..|.)"  # font changes: \fB \fI \fR \fP \f(CW \f[B]
    r"|s[+-]?(?:\d|\(\d\d|\[\d+\])"  # size changes
    r"|\*(?:\[[^\]]*\]|\(..|.)"  # predefined strings: dropped
    r"|\((..)|\[([^\]]*)\]"  # named characters
    r"|[kmnMgYV](?:\[[^\]]*\]|\(..|.)"  # registers, colours
    r"|[hvwlLoxbDNRSXZ]'[^']*'"  # motions and other quoted-argument escapes
    r"|\"[^\n]*"  # comment to end of line
    r"|(.))"
)
_SIMPLE = {"-": "-", "e": "\\", "\\": "\\", " ": " ", "~": " ", "0": " ", "t": "\t", "'": "´",
           "`": "`", ".": ".", "_": "_"}  # fmt: skip
_ALTERNATING = {"BR", "RB", "BI", "IB", "IR", "RI"}
_BREAKS = {"PP", "P", "LP", "sp", "br", "TP", "IP", "HP", "RS", "RE", "Pp", "Lp", "Bl", "El",
           "Bd", "Ed", "It", "nf", "fi", "in", "ti", "TQ", "EX", "EE", "Sp"}  # fmt: skip
# Macros whose arguments are text (man font macros, mdoc semantic markup).
_INLINE = {"B", "I", "SM", "SB", "Nm", "Nd", "Fl", "Ar", "Cm", "Pa", "Xr", "Em", "Sy", "Li", "Ev",
           "Ql", "Dq", "Sq", "Op", "Va", "Fn", "Fa", "Ft", "Ic", "Ad", "An", "Lk", "Mt", "St",
           "Tn", "Ux", "Dl", "D1", "Ms", "Er", "Cd"}  # fmt: skip
_MDOC_DROP = {"Dd", "Dt", "Os", "Bl", "El", "Bd", "Ed", "Pp", "Lp", "Ns", "Sm", "Ek", "Bk"}
_TH = re.compile(r'^[.\']\s*TH\s+("?)([^"\s]+)\1\s+("?)([^"\s]+)')
_DT = re.compile(r"^[.\']\s*Dt\s+(\S+)\s+(\S+)")


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1) or m.group(2):
            name = m.group(1) or m.group(2) or ""
            if name.startswith("u") and len(name) > 1:  # \[u00E9]
                try:
                    return chr(int(name[1:].split("_")[0], 16))
                except ValueError:
                    return ""
            return _NAMED.get(name, "")
        if m.group(3) is not None:
            return _SIMPLE.get(m.group(3), "")
        return ""

    return _ESCAPE.sub(repl, text)


def _args(line: str) -> list[str]:
    """Macro arguments, honouring "quoted strings"."""
    return [a[0] if a[0] else a[1] for a in re.findall(r'"([^"]*)"|(\S+)', line)]


def is_troff(text: str) -> bool:
    head = text[:4096]
    return bool(re.search(r"^[.']\s*(TH|Dd|SH|Sh)\b", head, re.M)) and head.count("\n.") >= 3


def troff_into(text: str, b: TextBuilder) -> str | None:
    """Append a man page's text to `b`; returns "name(section)" from .TH / .Dt."""
    title: str | None = None
    para: list[str] = []
    tag_next = False

    def flush() -> None:
        if para:
            b.add("\n".join(para))
            para.clear()

    for raw in text.splitlines():
        if b.full:
            break
        if raw.startswith(('.\\"', "'\\\"", '.\\"')) or raw.strip() in (".", "'"):
            continue
        if not raw.startswith((".", "'")):
            para.append(_unescape(raw))
            if tag_next:
                tag_next = False
            continue
        m = _TH.match(raw) or _DT.match(raw)
        if m:
            groups = [g for g in m.groups() if g and g != '"']
            title = f"{groups[0]}({groups[1]})"
            continue
        request = raw[1:].strip()
        name, _, rest = request.partition(" ")
        args = [_unescape(a) for a in _args(rest)]
        if name in ("SH", "Sh", "SS", "Ss"):
            flush()
            b.heading(" ".join(args), 1 if name in ("SH", "Sh") else 2)
        elif name in _ALTERNATING:
            para.append("".join(args))
        elif name in _INLINE:
            if name == "Fl":
                args = ["-" + a if i == 0 else a for i, a in enumerate(args)]
            para.append(" ".join(args))
        elif name in ("IP", "TP", "It", "HP"):
            flush()
            if args and name in ("IP", "It"):
                para.append(" ".join(args))
            tag_next = name == "TP"
        elif name in _BREAKS:
            flush()
        elif name in _MDOC_DROP:
            continue
        # Anything else (.ds, .de, .if, .nr, .so ...) is typesetting machinery: dropped.
    flush()
    return title


def extract_troff(src: Source, max_chars: int) -> Extracted:
    b = TextBuilder(max_chars)
    title = troff_into(read_text(src, max_chars), b)
    return b.build(title or choose_title(None, b, src.stem), "man")
