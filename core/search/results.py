"""What a search returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.search.snippets import Snippet


@dataclass
class Hit:
    file_id: int
    path: str
    title: str
    format: str | None
    mtime: float
    size: int
    score: float
    passage_id: int
    passage_start: int
    passage_end: int
    page: int | None
    section: str | None
    snippet: Snippet
    more_passages: int = 0  # other passages of this file among the matches
    contributions: dict[str, float] = field(default_factory=dict)  # list -> share of score
    passage_ids: list[int] = field(default_factory=list)  # all matching passages, best first
    source: str = ""  # the shared index it comes from; "" for this machine's own index

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "title": self.title,
            "score": round(self.score, 6),
            "snippet": self.snippet.marked(),
            "passage": {"id": self.passage_id, "start": self.passage_start,
                        "end": self.passage_end, "page": self.page, "section": self.section},
            "more_passages": self.more_passages,
            "contributions": {k: round(v, 6) for k, v in self.contributions.items()},
            **({"source": self.source} if self.source else {}),
        }


@dataclass
class SearchResult:
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "hybrid"
    note: str | None = None  # e.g. "semantic search is still indexing"
    feedback: str | None = None  # whether pseudo-relevance feedback ran, and why (hybrid-prf)
