"""The result list: a model of hits and a delegate that draws each one as a card.

Each row: file-type icon, title, modified date, path, a snippet with the query's words marked,
the semantic expansion terms as chips ("+engine": words the passage matches by meaning only,
in a different tint) and "N more passages" from the same file.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QFontMetrics,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app import formatting, icons
from app.palette import css, expansion_tint, match_tint, muted_text
from core.search.results import Hit

HitRole = Qt.ItemDataRole.UserRole + 1
SNIPPET_LINES = 3
MAX_CHIPS = 5


@dataclass
class ResultItem:
    hit: Hit
    expansions: list[tuple[str, float]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.hit.title.strip() or os.path.basename(self.hit.path)


class ResultsModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[ResultItem] = []
        self.query = ""

    def set_results(self, query: str, hits: list[Hit],
                    expansions: dict[int, list[tuple[str, float]]]) -> None:
        self.beginResetModel()
        self.query = query
        self.items = [ResultItem(h, expansions.get(h.passage_id, [])) for h in hits]
        self.endResetModel()

    def clear(self) -> None:
        self.set_results("", [], {})

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.items)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.hit.path + (f"\nfrom the shared index “{item.hit.source}”"
                                    if item.hit.source else "")
        if role == Qt.ItemDataRole.DecorationRole:
            return icons.file_icon(item.hit.format, item.hit.path)
        if role == HitRole:
            return item
        return None

    def row_of(self, path: str) -> int:
        return next((i for i, it in enumerate(self.items) if it.hit.path == path), -1)


def snippet_html(item: ResultItem, palette: QPalette, selected: bool) -> str:
    """The snippet as rich text, matched words marked, then the chips line."""
    text = item.hit.snippet.text
    fg = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
    mark = match_tint(palette, selected)
    out, pos = [], 0
    for s, e in item.hit.snippet.spans:
        out.append(html.escape(text[pos:s]))
        out.append(f'<span style="background-color:{css(mark)};'
                   f'font-weight:600">{html.escape(text[s:e])}</span>')
        pos = e
    out.append(html.escape(text[pos:]))
    return f'<div style="color:{fg.name()}">{"".join(out)}</div>'


def chips_html(item: ResultItem, palette: QPalette, selected: bool) -> str:
    chips = []
    if item.hit.source:  # which shared index it comes from, first
        chips.append(f'<span style="background-color:{css(match_tint(palette, selected))}">'
                     f"&nbsp;shared: {html.escape(item.hit.source)}&nbsp;</span>")
    tint = css(expansion_tint(palette, selected))
    for term, _ in item.expansions[:MAX_CHIPS]:
        chips.append(f'<span style="background-color:{tint}">&nbsp;+{html.escape(term)}&nbsp;'
                     "</span>")
    muted = muted_text(palette, selected).name()
    if item.hit.more_passages:
        more = formatting.count(item.hit.more_passages, "more passage")
        chips.append(f'<span style="color:{muted}">{more}</span>')
    if item.hit.page:
        chips.append(f'<span style="color:{muted}">page {item.hit.page}</span>')
    return "&nbsp;&nbsp;".join(chips)


class ResultDelegate(QStyledItemDelegate):
    PAD = 10
    ICON = 32

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, QFont]:
        base = QFont(option.font)
        title = QFont(base)
        title.setPointSizeF(base.pointSizeF() * 1.1)
        title.setWeight(QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.9)
        return title, small, base

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        title, small, base = self._fonts(option)
        h = (QFontMetrics(title).height() + QFontMetrics(small).height()
             + QFontMetrics(base).lineSpacing() * SNIPPET_LINES + QFontMetrics(small).height()
             + self.PAD * 2 + 8)
        return QSize(300, h)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        item: ResultItem | None = index.data(HitRole)
        if item is None:
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = QIcon()  # the panel only; the icon is drawn below, larger
        opt.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
        style = opt.widget.style() if opt.widget else None
        painter.save()
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        pal = opt.palette
        text_role = (QPalette.ColorRole.HighlightedText if selected
                     else QPalette.ColorRole.Text)
        title_font, small, base = self._fonts(opt)
        r = opt.rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        icons.file_icon(item.hit.format, item.hit.path).paint(
            painter, QRect(r.left(), r.top() + 2, self.ICON, self.ICON))
        x = r.left() + self.ICON + self.PAD
        width = r.right() - x
        y = r.top()
        # Title and date on one line; the date keeps its room, the title is elided.
        painter.setFont(small)
        when = formatting.date(item.hit.mtime)
        date_w = QFontMetrics(small).horizontalAdvance(when) + 4
        th = QFontMetrics(title_font).height()
        painter.setPen(muted_text(pal, selected))
        painter.drawText(QRect(r.right() - date_w, y, date_w, th),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setFont(title_font)
        painter.setPen(pal.color(text_role))
        title = QFontMetrics(title_font).elidedText(item.title, Qt.TextElideMode.ElideRight,
                                                   width - date_w - 8)
        painter.drawText(QRect(x, y, width - date_w, th), Qt.AlignmentFlag.AlignVCenter, title)
        y += th
        painter.setFont(small)
        painter.setPen(muted_text(pal, selected))
        sh = QFontMetrics(small).height()
        path = QFontMetrics(small).elidedText(formatting.display_path(item.hit.path),
                                              Qt.TextElideMode.ElideMiddle, width)
        painter.drawText(QRect(x, y, width, sh), Qt.AlignmentFlag.AlignVCenter, path)
        y += sh + 4
        # Snippet: rich text clipped to a few lines.
        snippet_h = QFontMetrics(base).lineSpacing() * SNIPPET_LINES
        self._draw_html(painter, snippet_html(item, pal, selected), base,
                        QRect(x, y, width, snippet_h))
        y += snippet_h + 2
        chips = chips_html(item, pal, selected)
        if chips:
            self._draw_html(painter, chips, small, QRect(x, y, width, sh + 2))
        painter.restore()

    @staticmethod
    def _draw_html(painter: QPainter, rich: str, font: QFont, rect: QRect) -> None:
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setTextWidth(rect.width())
        doc.setHtml(rich)
        painter.save()
        painter.translate(rect.topLeft())
        painter.setClipRect(QRect(0, 0, rect.width(), rect.height()))
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.clip = QRect(0, 0, rect.width(), rect.height()).toRectF()
        doc.documentLayout().draw(painter, ctx)
        painter.restore()


class ResultsView(QListView):
    """The list; keys: Enter opens, Ctrl+Enter opens the folder, Ctrl+C copies the path,
    Esc goes back to an empty search."""

    activated_item = Signal(object, bool)  # ResultItem, open folder instead
    copy_requested = Signal(object)  # ResultItem
    escape_pressed = Signal()
    typed = Signal(str)  # printable keys typed in the list go to the search field

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(ResultDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setAccessibleName("Search results")
        self.placeholder = ""
        self.doubleClicked.connect(
            lambda index: self._activate(index, folder=False))

    def current_item(self) -> ResultItem | None:
        index = self.currentIndex()
        return index.data(HitRole) if index.isValid() else None

    def _activate(self, index: QModelIndex, folder: bool) -> None:
        item = index.data(HitRole) if index.isValid() else None
        if item is not None:
            self.activated_item.emit(item, folder)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self._activate(self.currentIndex(), folder=ctrl)
            return
        if event.matches(QKeySequence.StandardKey.Copy):
            item = self.current_item()
            if item is not None:
                self.copy_requested.emit(item)
            return
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        text = event.text()
        if text and text.isprintable() and not (
                event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                     | Qt.KeyboardModifier.AltModifier)):
            self.typed.emit(text)
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: object) -> None:
        super().paintEvent(event)  # type: ignore[arg-type]
        model = self.model()
        if self.placeholder and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorGroup.Disabled,
                                                QPalette.ColorRole.Text))
            rect = self.viewport().rect().adjusted(24, 24, -24, -24)
            painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap, self.placeholder)
            painter.end()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()
