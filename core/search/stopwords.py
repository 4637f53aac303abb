"""English function words: they carry no topic, match nearly every passage and cost the most to
score, so OR-style keyword and sparse queries leave them out (phrases keep them)."""

from collections.abc import Callable

STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves
""".split())


def content_word_count(text: str) -> int:
    """Words that carry meaning (not function words): how long a query really is."""
    import re

    return sum(1 for w in re.findall(r"\w+", text.lower()) if w not in STOP_WORDS)


def piece_share(pieces: int) -> float:
    """A word of n pieces weighs 1/sqrt(n) per piece (evidence in `content_pieces`)."""
    return 1.0 / pieces ** 0.5


def content_pieces(words: list[tuple[str, list[int]]],
                   share: Callable[[int], float] = piece_share) -> dict[int, float]:
    """The word-piece ids the inference-free sparse query is made of, each with its share of
    its word: every piece of each content word (stop words and punctuation go as whole words,
    never as pieces of other words; a query of stop words only keeps them all), a word of n
    pieces weighing 1/sqrt(n) per piece, so a long word split into many pieces does not outweigh
    the other words. Measured by bench/sweep_query_pieces.py (sparse nDCG@10 scifact / nfcorpus /
    cranfield / cisi): pieces that looked like words only .596/.250/.345/.308; every piece at
    full IDF .654/.306/.339/.310 (cranfield's long technical words lost); 1/sqrt(n)
    .652/.305/.348/.317, chosen on every leave-one-collection-out split; 1/n .626/.296/.342/.306.
    Shared by the searcher and the sparse encoder's training, so a model is trained on exactly
    the query the app sends."""
    content = [pieces for word, pieces in words
               if word.lower() not in STOP_WORDS and any(c.isalnum() for c in word)]
    shares: dict[int, float] = {}
    for pieces in content or [pieces for _, pieces in words]:
        weight = share(len(pieces))
        for p in pieces:
            shares[p] = max(shares.get(p, 0.0), weight)
    return shares
