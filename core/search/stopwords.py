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
