"""The one search field, which also drives the result list from the keyboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit

from app import icons

if TYPE_CHECKING:  # the window imports this module
    from app.window import MainWindow


class SearchField(QLineEdit):
    """The one search field. The result list is driven from here: Up/Down move, Enter opens,
    Ctrl+Enter opens the folder, Ctrl+C copies the path (unless text is selected), Esc clears."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.main = window
        self.setObjectName("searchField")
        self.setPlaceholderText("Search your documents: words, a question, or a description")
        self.setClearButtonEnabled(True)
        self.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.setAccessibleName("Search")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.main.move_selection(key)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.main.search_now()  # Enter right after typing does not wait for the pause
            self.main.activate_current(folder=ctrl)
            return
        if event.matches(QKeySequence.StandardKey.Copy) and not self.hasSelectedText():
            self.main.copy_current_path()
            return
        if key == Qt.Key.Key_Escape:
            self.main.escape()
            return
        super().keyPressEvent(event)
