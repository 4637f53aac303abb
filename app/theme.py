"""The look: the platform's own style and palette (light or dark), plus a light stylesheet
(resources/styles/app.qss) that only sets sizes and spacing and uses palette roles for colour."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QWidget

from core.resources import resources_dir


def stylesheet() -> str:
    try:
        return (resources_dir() / "styles" / "app.qss").read_text(encoding="utf-8")
    except OSError:
        return ""  # an unstyled window still works


def apply_style(widget: QWidget) -> None:
    widget.setStyleSheet(stylesheet())


def hint(text: str) -> QLabel:
    """Explanatory small print under a setting (the stylesheet's "hint" look), wrapped."""
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


def accept_buttons(dialog: QDialog, accept: QDialogButtonBox.StandardButton) -> QDialogButtonBox:
    """`accept` (Save, OK) and Cancel, wired to the dialog's accept and reject."""
    buttons = QDialogButtonBox(accept | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
