"""First run: what Spyglass does and one button to start."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app import icons


class EmptyState(QWidget):
    add_folder = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(QSize(96, 96), self.devicePixelRatioF()))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Find anything in your documents")
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(
            "Spyglass searches your files by meaning as well as by words: ask for "
            "“how do I renew my passport” and find the letter that says “travel document "
            "expiry”.<br><br>Add a folder to start. It is indexed in the background, and "
            "you can search while that happens. Everything stays on this computer.")
        body.setObjectName("emptyBody")
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setFixedWidth(560)  # a fixed width lets the label compute its wrapped height
        self.button = QPushButton(icons.icon("add"), "Add folder…")
        self.button.setObjectName("primaryButton")
        self.button.setDefault(True)
        self.button.clicked.connect(self.add_folder)
        tip = QLabel("PDF, Word, OpenDocument, PowerPoint, Excel, email, web pages, Markdown, "
                     "text and more.")
        tip.setObjectName("hint")
        tip.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(logo)
        layout.addSpacing(12)
        layout.addWidget(title)
        layout.addSpacing(6)
        layout.addWidget(body, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(18)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(10)
        layout.addWidget(tip)
        layout.addStretch(3)
