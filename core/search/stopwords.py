"""English function words: they carry no topic, match nearly every passage and cost the most to
score, so OR-style keyword and sparse queries leave them out (phrases keep them)."""

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


def content_pieces(words: list[tuple[str, list[int]]]) -> list[int]:
    """The word-piece ids the inference-free sparse query is made of: every piece of each content
    word (stop words and punctuation go as whole words, never as pieces of other words); a query
    of stop words only keeps them all. Shared by the searcher and the sparse encoder's training,
    so a model is trained on exactly the query terms the app sends."""
    content = [pieces for word, pieces in words
               if word.lower() not in STOP_WORDS and any(c.isalnum() for c in word)]
    return [p for pieces in (content or [pieces for _, pieces in words]) for p in pieces]
