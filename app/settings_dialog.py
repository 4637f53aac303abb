"""Preferences: index location, indexing threads and priority, file size limit, file types, the
related-terms model, OCR and its limits, the shared indexes searched beside this one. Saved as
JSON (core.settings); indexing options apply from the next indexing job on."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.shared_settings import SharedIndexesSection
from app.theme import accept_buttons, hint
from core.encode.manifest import ModelError, dense_models, sparse_models
from core.indexer import IndexOptions
from core.settings import Settings, default_index_dir


def index_options(settings: Settings, base: IndexOptions | None = None) -> IndexOptions:
    """The indexer's options from the user's settings."""
    from dataclasses import replace

    return replace(
        base or IndexOptions(),
        threads=settings.threads or None,
        low_priority=settings.low_priority,
        max_file_mb=settings.max_file_mb,
        file_types=tuple(e.lower().lstrip(".") for e in settings.file_types if e.strip(".")),
        excludes=tuple(settings.excludes),
        include_hidden=settings.include_hidden,
        sparse_model=settings.sparse_model,
        dense_model=settings.dense_model,
        ocr=settings.ocr,
        ocr_max_pages=settings.ocr_max_pages,
        ocr_page_timeout_s=settings.ocr_page_seconds,
        ocr_max_megapixels=settings.ocr_max_megapixels,
    )


def parse_types(text: str) -> list[str]:
    parts = text.replace(";", ",").replace(" ", ",").split(",")
    return sorted({p.strip().lower().lstrip(".") for p in parts if p.strip(" .")})


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None,
                 choose_folder: Callable[[str], str | None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings — Spyglass")
        self.setObjectName("settingsDialog")
        self.settings = settings
        self.secrets_changed = False  # a password or token typed in: the clients reconnect
        self._choose_folder = choose_folder or self._dialog_folder

        self.index_dir = QLineEdit(settings.index_dir)
        self.index_dir.setPlaceholderText(str(default_index_dir()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.index_dir, 1)
        row.addWidget(browse)
        location = QWidget()
        location.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)

        self.threads = QSpinBox()
        self.threads.setRange(0, max(64, os.cpu_count() or 1))
        self.threads.setSpecialValueText("Automatic")
        self.threads.setValue(settings.threads)
        self.low_priority = QCheckBox("Index at low priority, so other programs come first")
        self.low_priority.setChecked(settings.low_priority)
        self.max_size = _number(1, 100_000, " MB", settings.max_file_mb)
        self.file_types = QLineEdit(", ".join(settings.file_types))
        self.file_types.setPlaceholderText("All documents (or e.g. pdf, docx, md)")
        self.excludes = QPlainTextEdit("\n".join(settings.excludes))
        self.excludes.setPlaceholderText("*.log\nbuild/\nPrivate/")
        self.excludes.setMaximumHeight(80)
        self.hidden = QCheckBox("Include hidden files and folders")
        self.hidden.setChecked(settings.include_hidden)
        self.sparse_model = QComboBox()
        try:
            models = sparse_models()
        except ModelError:  # a broken bundle: the window says so elsewhere; keep the setting
            models = {}
        for n, (name, title) in enumerate(models.items()):
            self.sparse_model.addItem(f"{title} (default)" if n == 0 else title,
                                      "" if n == 0 else name)
        chosen = self.sparse_model.findData(settings.sparse_model)
        self.sparse_model.setCurrentIndex(max(chosen, 0))
        self.sparse_model.setEnabled(len(models) > 1)

        # Meaning model: automatic (the default), or one chosen for good.
        self.dense_model = QComboBox()
        self.dense_model.addItem("Automatic: English until documents in other languages appear",
                                 "")
        try:
            dense = dense_models()
        except ModelError:
            dense = {}
        for name, title in dense.items():
            self.dense_model.addItem(title, name)
        self.dense_model.setCurrentIndex(max(self.dense_model.findData(settings.dense_model), 0))

        self.ocr = QCheckBox("Read scanned pages and images (OCR)")
        self.ocr.setChecked(settings.ocr)
        self.ocr_pages = QSpinBox()
        self.ocr_pages.setRange(1, 100_000)
        self.ocr_pages.setSuffix(" pages per document")
        self.ocr_pages.setValue(settings.ocr_max_pages)
        self.ocr_seconds = _number(1, 3600, " s per page", settings.ocr_page_seconds)
        self.ocr_megapixels = _number(1, 1000, " megapixels", settings.ocr_max_megapixels)
        for limit in (self.ocr_pages, self.ocr_seconds, self.ocr_megapixels):
            limit.setEnabled(settings.ocr)
            self.ocr.toggled.connect(limit.setEnabled)

        form = QFormLayout()
        form.addRow("Index location:", location)
        form.addRow("", hint("A new location is used the next time Spyglass starts."))
        form.addRow("Indexing threads:", self.threads)
        form.addRow("", self.low_priority)
        form.addRow("Largest file to index:", self.max_size)
        form.addRow("File types:", self.file_types)
        form.addRow("", hint("Extensions separated by commas; empty indexes every document."))
        form.addRow("Exclude everywhere:", self.excludes)
        form.addRow("", self.hidden)
        form.addRow("Meaning model:", self.dense_model)
        form.addRow("", hint("The multilingual model reads about 100 languages and finds a "
                              "document in one language from a query in another, at half the "
                              "English model's speed. Changing it re-encodes the index in the "
                              "background; keyword search keeps working meanwhile."))
        form.addRow("Related-terms model:", self.sparse_model)
        form.addRow("", hint("Finds documents by words related to the query's. Changing it "
                              "re-encodes that part of the index the next time it is updated."))
        form.addRow("Text in images:", self.ocr)
        form.addRow("Read at most:", self.ocr_pages)
        form.addRow("Give up after:", self.ocr_seconds)
        form.addRow("Largest image:", self.ocr_megapixels)
        form.addRow("", hint("OCR runs after everything else is searchable, a few seconds a "
                              "page; a scan becomes searchable when its pages are read."))
        self.shared = SharedIndexesSection(settings.shared_indexes)
        form.addRow("Shared indexes:", self.shared)

        buttons = accept_buttons(self, QDialogButtonBox.StandardButton.Save)
        # The form scrolls: with every section it is taller than a small laptop's screen, and
        # the Save button must stay in view.
        body = QWidget()
        body.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        screen = self.screen().availableGeometry().height() if self.screen() else 800
        wanted = body.sizeHint().height() + buttons.sizeHint().height() + 40
        self.resize(max(560, body.sizeHint().width() + 40), min(wanted, int(screen * 0.9)))

    def apply(self) -> Settings:
        """Copy the widgets into the settings object and save it."""
        s = self.settings
        s.index_dir = self.index_dir.text().strip()
        s.threads = self.threads.value()
        s.low_priority = self.low_priority.isChecked()
        s.max_file_mb = float(self.max_size.value())
        s.file_types = parse_types(self.file_types.text())
        s.excludes = [line.strip() for line in self.excludes.toPlainText().splitlines()
                      if line.strip()]
        s.include_hidden = self.hidden.isChecked()
        if self.sparse_model.count():
            s.sparse_model = self.sparse_model.currentData()
        s.dense_model = self.dense_model.currentData()
        s.ocr = self.ocr.isChecked()
        s.ocr_max_pages = self.ocr_pages.value()
        s.ocr_page_seconds = float(self.ocr_seconds.value())
        s.ocr_max_megapixels = float(self.ocr_megapixels.value())
        self.secrets_changed = self.shared.secrets_changed
        s.shared_indexes = self.shared.apply()
        s.save()
        return s

    def accept(self) -> None:
        self.apply()
        super().accept()

    def _browse(self) -> None:
        path = self._choose_folder(self.index_dir.text() or str(default_index_dir()))
        if path:
            self.index_dir.setText(path)

    def _dialog_folder(self, start: str) -> str | None:
        return QFileDialog.getExistingDirectory(self, "Index location", start) or None


def _number(low: float, high: float, suffix: str, value: float) -> QDoubleSpinBox:
    """A whole-number field with its unit."""
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(0)
    box.setSuffix(suffix)
    box.setValue(value)
    return box
