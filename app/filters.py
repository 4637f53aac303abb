"""The filter bar: file type, folder and modified date, as widgets. The same filters can be
typed in the search field (ext:pdf in:~/Work after:2024-01-01 before:2024-06); the engine
combines both."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from core.search.query import Filters

# Label -> extensions (lower case, no dot). Order is the menu's order.
TYPE_GROUPS: dict[str, tuple[str, ...]] = {
    "All types": (),
    "PDF": ("pdf",),
    "Documents": ("docx", "doc", "odt", "fodt", "rtf", "epub"),
    "Spreadsheets": ("xlsx", "xls", "ods", "fods", "csv"),
    "Presentations": ("pptx", "ppt", "odp", "fodp"),
    "Email": ("eml", "mbox", "msg"),
    "Web pages": ("html", "htm", "xhtml", "mhtml", "mht"),
    "Text and Markdown": ("txt", "md", "markdown", "rst", "text", "org", "tex"),
    "Code": ("py", "js", "ts", "c", "h", "cpp", "hpp", "java", "go", "rs", "rb", "sh", "json",
             "yaml", "yml", "toml", "xml", "css", "sql", "ipynb"),
}

DATE_RANGES: dict[str, int | None] = {  # label -> days back; None: any; -1: custom
    "Any time": None,
    "Past week": 7,
    "Past month": 31,
    "Past year": 365,
    "Custom range…": -1,
}


class FilterBar(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("File type")
        self.type_box.addItems(list(TYPE_GROUPS))
        self.folder_box = QComboBox()
        self.folder_box.setAccessibleName("Folder")
        self.folder_box.setMinimumContentsLength(18)
        self.folder_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.folder_box.addItem("All folders", "")
        self.date_box = QComboBox()
        self.date_box.setAccessibleName("Modified")
        self.date_box.addItems(list(DATE_RANGES))
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addMonths(-1), calendarPopup=True)
        self.date_to = QDateEdit(today, calendarPopup=True)
        for edit in (self.date_from, self.date_to):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.hide()
        self.to_label = QLabel("to")
        self.to_label.hide()
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setFlat(True)
        self.clear_button.hide()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(QLabel("Type"))
        layout.addWidget(self.type_box)
        layout.addSpacing(10)
        layout.addWidget(QLabel("Folder"))
        layout.addWidget(self.folder_box)
        layout.addSpacing(10)
        layout.addWidget(QLabel("Modified"))
        layout.addWidget(self.date_box)
        layout.addWidget(self.date_from)
        layout.addWidget(self.to_label)
        layout.addWidget(self.date_to)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)

        self.type_box.currentIndexChanged.connect(self._changed)
        self.folder_box.currentIndexChanged.connect(self._changed)
        self.date_box.currentIndexChanged.connect(self._date_mode)
        self.date_from.dateChanged.connect(self._changed)
        self.date_to.dateChanged.connect(self._changed)
        self.clear_button.clicked.connect(self.reset)

    def set_roots(self, roots: list[str]) -> None:
        """Offer each indexed folder; keep the current choice if it is still there."""
        current = self.folder_box.currentData()
        self.folder_box.blockSignals(True)
        self.folder_box.clear()
        self.folder_box.addItem("All folders", "")
        for root in roots:
            self.folder_box.addItem(os.path.basename(root.rstrip(os.sep)) or root, root)
            self.folder_box.setItemData(self.folder_box.count() - 1, root,
                                        Qt.ItemDataRole.ToolTipRole)
        i = self.folder_box.findData(current)
        self.folder_box.setCurrentIndex(max(i, 0))
        self.folder_box.blockSignals(False)
        if current and i < 0:
            self._changed()

    def set_type(self, label: str) -> None:
        self.type_box.setCurrentText(label)

    def set_folder(self, path: str) -> None:
        i = self.folder_box.findData(path)
        if i < 0:
            self.folder_box.addItem(os.path.basename(path.rstrip(os.sep)) or path, path)
            i = self.folder_box.count() - 1
        self.folder_box.setCurrentIndex(i)

    def set_custom_range(self, start: QDate, end: QDate) -> None:
        self.date_box.blockSignals(True)
        self.date_box.setCurrentText("Custom range…")
        self.date_box.blockSignals(False)
        for w in (self.date_from, self.to_label, self.date_to):
            w.show()
        self.date_from.blockSignals(True)
        self.date_from.setDate(start)
        self.date_from.blockSignals(False)
        self.date_to.setDate(end)
        self._changed()

    def reset(self) -> None:
        for box in (self.type_box, self.folder_box, self.date_box):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self._date_mode()

    def filters(self) -> Filters:
        exts = TYPE_GROUPS.get(self.type_box.currentText(), ())
        folder = self.folder_box.currentData() or ""
        after = before = None
        days = DATE_RANGES.get(self.date_box.currentText())
        if days == -1:
            after = _epoch(self.date_from.date())
            before = _epoch(self.date_to.date().addDays(1))  # "to" includes that whole day
        elif days:
            after = (datetime.now() - timedelta(days=days)).timestamp()
        return Filters(extensions=tuple(exts), folders=(folder,) if folder else (),
                       after=after, before=before)

    def is_active(self) -> bool:
        return not self.filters().is_empty()

    def _date_mode(self) -> None:
        custom = DATE_RANGES.get(self.date_box.currentText()) == -1
        for w in (self.date_from, self.to_label, self.date_to):
            w.setVisible(custom)
        self._changed()

    def _changed(self) -> None:
        self.clear_button.setVisible(self.is_active())
        self.changed.emit()


def _epoch(d: QDate) -> float:
    return time.mktime((d.year(), d.month(), d.day(), 0, 0, 0, 0, 0, -1))
