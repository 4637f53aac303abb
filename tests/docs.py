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



def write_corpus(folder: Path, files: int, paragraphs: int = 3, seed: int = 7) -> Path:
    from core.reliability.corpus import write_prose_corpus

    return write_prose_corpus(folder, files, paragraphs, seed)
