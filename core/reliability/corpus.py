"""Generated prose for benchmarks and tests: many unique files of a few passages each."""

from __future__ import annotations

import random
from pathlib import Path

_WORDS = """
river mountain lantern copper violin harbor meadow orchard glacier canyon falcon ember
prairie quartz tundra willow beacon cobalt dune fjord garnet hazel iris jasper kelp lagoon
marble nectar onyx pebble quill raven saffron thistle umber velvet walnut yarrow zephyr
archive budget contract invoice ledger memo minutes payroll proposal quota receipt schedule
survey tariff voucher warranty audit charter deposit estimate forecast grant lease mortgage
pension rebate refund salary subsidy tax treaty vendor wage yield asset bond equity
protein enzyme neuron plasma genome vaccine antibody membrane molecule receptor hormone
tissue virus bacteria cell organ muscle nerve blood bone lung liver kidney heart brain
compiler kernel buffer socket thread mutex packet router server client cache index query
schema cursor lambda closure module package parser token lexer syntax runtime debugger
""".split()


def write_prose_corpus(folder: Path, files: int, paragraphs: int = 3, seed: int = 7) -> Path:
    """`files` text files of unique pseudo-random prose (a few passages each)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        paras = []
        for _ in range(paragraphs):
            sentences = []
            for _ in range(rng.randint(6, 12)):
                words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 16))]
                sentences.append(" ".join(words).capitalize() + ".")
            paras.append(" ".join(sentences))
        sub = folder / f"part{i % 5}"
        sub.mkdir(exist_ok=True)
        (sub / f"doc{i:04}.txt").write_text(f"Document {i} unique{i}x\n\n" + "\n\n".join(paras),
                                            encoding="utf-8")
    return folder
