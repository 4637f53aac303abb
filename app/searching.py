"""Searching from the window: the field's text and the filters become searches on the reader
thread (after a typing pause), and their outcomes fill the result list; "more like this" is a
search too, left with Esc."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

from app import formatting
from app.filters import FilterBar
from app.preview import PreviewPane
from app.search_field import SearchField
from app.search_view import ResultItem, ResultsModel, ResultsView
from app.workers import EngineRunner, IndexWorker
from core.api import Engine, Status
from core.search.query import Filters
from core.search.results import SearchResult
from core.sharing import SharedSearches

SEARCH_DELAY_MS = 180  # typing pause before a search starts
RESULTS_K = 50
SYNTAX_TIP = ('Tips: ext:pdf · in:~/Work · after:2024-01-01 · before:2024-06 · '
              '"exact phrase" · -word')


@dataclass
class SearchOutcome:
    query: str
    result: SearchResult
    expansions: dict[int, list[tuple[str, float]]]


def _search(engine: Engine, shared: SharedSearches, query: str,
            filters: Filters) -> SearchOutcome:
    """Worker side: the search (with the shared indexes in the settings) and, cheaply, the
    expansion terms of each hit's passage of this machine's index."""
    result = shared.search(query, k=RESULTS_K, filters=filters)
    expansions = engine.expansion_terms(query, [h.passage_id for h in result.hits
                                                if not h.source])
    return SearchOutcome(query, result, expansions)


def _similar(engine: Engine, passage_id: int, query: str) -> SearchOutcome:
    """Relevance feedback: the current search refined towards the chosen result."""
    return SearchOutcome("", engine.more_like_this(passage_id, RESULTS_K, query or None), {})


class SearchMixin:
    """MainWindow's searching (app/window.py builds the widgets and threads named here)."""

    engine: Engine
    shared: SharedSearches
    reader: EngineRunner
    indexer: IndexWorker
    field: SearchField
    filters: FilterBar
    model: ResultsModel
    results: ResultsView
    preview: PreviewPane
    similar_banner: QLabel
    message: QLabel
    status: Status | None
    query: str
    similar_to: ResultItem | None
    last_outcome: SearchOutcome | None
    searching: bool
    _restore_path: str | None
    _last_filters: Filters = Filters()

    def _text_changed(self, _: str) -> None:
        if self.similar_to is not None:
            self._leave_similar()
        self.search_timer.start()

    @property
    def search_timer(self) -> QTimer:
        timer = getattr(self, "_search_timer", None)
        if timer is None:
            timer = self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
            timer.timeout.connect(self.search_now)
        return timer

    def search_now(self) -> None:
        """Start a search for the field's text and the filter bar (replacing any waiting one)."""
        self.search_timer.stop()
        if self.similar_to is not None:
            return
        text = self.field.text().strip()
        filters = self.filters.filters()
        if text == self.query and self.last_outcome is not None and not self.searching \
                and self._last_filters == filters:
            return
        self.query = text
        self._last_filters = filters
        if not text:
            self.reader.cancel("search")
            self.searching = False
            self.last_outcome = None
            self.model.clear()
            self.preview.clear()
            self._show_idle_hint()
            self.message.setText("")
            return
        self.searching = True
        self.reader.submit("search", lambda: _search(self.engine, self.shared, text, filters))

    def refresh_results(self) -> None:
        """Run the current search again (the index changed); keep the selected file."""
        item = self.results.current_item()
        self._restore_path = item.hit.path if item else None
        if self.similar_to is not None:
            self.reader.submit("search", lambda p=self.similar_to.hit.passage_id:
                               _similar(self.engine, p))
            return
        if self.query:
            self.last_outcome = None
            self.search_now()

    def _show_results(self, outcome: SearchOutcome) -> None:
        self.searching = False
        self.last_outcome = outcome
        keep = self._restore_path
        self._restore_path = None
        self.model.set_results(outcome.query, outcome.result.hits, outcome.expansions)
        n = len(outcome.result.hits)
        if n:
            row = max(self.model.row_of(keep), 0) if keep else 0
            self.results.setCurrentIndex(self.model.index(row, 0))
        else:
            self.preview.clear("")
            self.results.set_placeholder(self._no_results_text())
        took = outcome.result.timings_ms.get("total")
        parts = [formatting.count(n, "result") + (f" in {took:.0f} ms" if took else "")]
        if outcome.result.note:
            parts.append(outcome.result.note)
        self.message.setText(" · ".join(parts))

    def _no_results_text(self) -> str:
        if self.similar_to is not None:
            return "Nothing similar yet: the semantic index may still be working."
        text = f"No documents match “{self.query}”."
        if self.filters.is_active():
            text += "\nTry clearing the filters, or other words."
        elif self.indexer.busy:
            text += "\nIndexing is still going on: more documents will be searchable soon."
        else:
            text += "\nTry other words, or describe what the document is about."
        return text

    def _show_idle_hint(self) -> None:
        if self.status is not None and self.status.roots:
            n = self.status.files.get("indexed", 0)
            text = f"Type to search {formatting.count(n, 'document')}.\n\n{SYNTAX_TIP}"
            if self.indexer.busy:
                text = ("Indexing your documents: you can search already, and results get "
                        f"better as it goes.\n\n{SYNTAX_TIP}")
        else:
            text = SYNTAX_TIP
        self.results.set_placeholder(text)

    # -- "more like this" ----------------------------------------------------------------------

    def more_like_this(self, item: ResultItem) -> None:
        if item.hit.source:  # its passages live on the shared index's server
            self.message.setText("“More like this” works on results of this machine's index.")
            return
        self.similar_to = item
        self.similar_banner.setText(f"Documents like “{item.title}”   ·   Esc to go back")
        self.similar_banner.show()
        self.searching = True
        query = self.field.text().strip()
        self.reader.submit("search", lambda: _similar(self.engine, item.hit.passage_id, query))

    def _leave_similar(self) -> None:
        self.similar_to = None
        self.similar_banner.hide()
        self.last_outcome = None

    # -- the field -----------------------------------------------------------------------------

    def escape(self) -> None:
        if self.similar_to is not None:
            self._leave_similar()
            self.query = ""
            self.search_now() if not self.field.text() else self.refresh_results()
        else:
            self.field.clear()
            self.search_now()
        self.field.setFocus()

    def _typed_in_list(self, text: str) -> None:
        self.field.setFocus()
        self.field.insert(text)

    def focus_search(self) -> None:
        self.field.setFocus()
        self.field.selectAll()
