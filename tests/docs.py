"""Small generated documents on distinct topics, used by several tests."""

from __future__ import annotations

from pathlib import Path

TOPICS = {
    "bread.txt": "Kneading dough for a sourdough loaf\n\nMix flour, water and a starter culture, "
                 "then let the dough rise overnight before baking it in a hot oven until the "
                 "crust turns golden.",
    "car.txt": "Replacing worn brake pads\n\nJack up the vehicle, remove the wheel, unbolt the "
               "caliper and slide the old pads out. Fit the new pads and pump the pedal before "
               "driving.",
    "python.txt": "Handling exceptions in Python\n\nWrap risky calls in try and except blocks, "
                  "catch specific error classes, and use finally to release resources such as "
                  "open files.",
    "garden.txt": "Growing tomatoes on a balcony\n\nPlant seedlings in large pots with rich "
                  "compost, water them every morning, and tie the stems to stakes as the fruit "
                  "ripens in the sun.",
    "taxes.txt": "Filing your annual income tax return\n\nGather salary statements and receipts "
                 "for deductible expenses, fill in the form, and submit it to the revenue office "
                 "before the April deadline.",
    "sleep.txt": "Why teenagers need more sleep\n\nAdolescent bodies release melatonin later at "
                 "night, so school schedules that start early leave many students tired and less "
                 "attentive in class.",
}


def write_topics(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TOPICS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


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


def write_corpus(folder: Path, files: int, paragraphs: int = 3, seed: int = 7) -> Path:
    """`files` text files of unique pseudo-random prose (a few passages each)."""
    import random

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
