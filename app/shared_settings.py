"""The "Shared indexes" part of the settings: the team indexes on Milvus searched beside this
machine's own, each with its address, collection, login and path mapping. The password or
token goes to the user-only secrets file (core.shared.target), never into the settings."""

from __future__ import annotations

import functools
import importlib.util

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.theme import accept_buttons, hint
from core.shared.milvus import INSTALL_HINT
from core.shared.target import (
    DEFAULT_COLLECTION,
    SharedIndexError,
    SharedTarget,
    load_secret,
    parse_mapping,
    save_secret,
)


@functools.cache
def client_installed() -> bool:
    """The `shared` extra is installed (it cannot appear while the app runs)."""
    return importlib.util.find_spec("pymilvus") is not None


class SharedIndexDialog(QDialog):
    """One shared index: where it is, how to log in, where its folders are on this machine."""

    def __init__(self, entry: dict | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Shared index — Spyglass")
        self.setObjectName("sharedIndexDialog")
        entry = entry or {}
        self.target: SharedTarget | None = None
        self.secret: str | None = None  # None: keep the stored one
        self.address = QLineEdit(entry.get("uri", ""))
        self.address.setPlaceholderText("https://milvus.office.lan:19530  or  /path/team.db")
        self.collection = QLineEdit(entry.get("collection", "") or DEFAULT_COLLECTION)
        self.label = QLineEdit(entry.get("label", ""))
        self.label.setPlaceholderText("shown beside its results (default: the host name)")
        self.user = QLineEdit(entry.get("user", ""))
        self.user.setPlaceholderText("empty for a token, or for a server without logins")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("unchanged" if entry else "password or token")
        self.mappings = QPlainTextEdit("\n".join(f"{r}={v}" for r, v in entry.get("mappings", [])))
        self.mappings.setPlaceholderText("/srv/share=/home/me/share")
        self.mappings.setMaximumHeight(70)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Address:", self.address)
        form.addRow("Collection:", self.collection)
        form.addRow("Name:", self.label)
        form.addRow("User:", self.user)
        form.addRow("Password or token:", self.password)
        form.addRow("Path mapping:", self.mappings)
        form.addRow("", hint("One per line, FOLDER_AS_PUBLISHED=FOLDER_HERE, so that opening a "
                              "result finds the file where the share is mounted on this "
                              "machine. https:// addresses use TLS."))
        buttons = accept_buttons(self, QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def accept(self) -> None:
        """Kept open, saying what is wrong, until the fields make a usable shared index."""
        try:
            uri = self.address.text().strip()
            if not uri:
                raise SharedIndexError("the address is needed: a Milvus server "
                                       "(http:// or https://) or a Milvus Lite file")
            mappings = tuple(parse_mapping(line) for line in
                             self.mappings.toPlainText().splitlines() if line.strip())
            self.target = SharedTarget(uri=uri, collection=self.collection.text().strip()
                                       or DEFAULT_COLLECTION, label=self.label.text().strip(),
                                       user=self.user.text().strip(), mappings=mappings)
        except SharedIndexError as e:
            self.error.setText(str(e)[0].upper() + str(e)[1:])
            return
        self.secret = self.password.text() or None
        super().accept()


class SharedIndexesSection(QWidget):
    """The list of shared indexes with Add, Edit and Remove; `apply` saves it."""

    def __init__(self, entries: list[dict], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries = [dict(e) for e in entries]
        self._secrets: dict[tuple[str, str], str] = {}  # (uri, user) -> secret typed here
        self.list = QListWidget()
        self.list.setObjectName("sharedIndexes")
        self.list.setMaximumHeight(66)
        self.list.itemDoubleClicked.connect(lambda _: self.edit())
        self.add_button = QPushButton("Add…")
        self.add_button.clicked.connect(self.add)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        self.list.currentRowChanged.connect(self._selection_changed)
        buttons = QVBoxLayout()
        for b in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        text = ("Search a team's index on a Milvus server beside this one; each result says "
                "which index it comes from. A folder is published to one from the index "
                "manager (Publish…) or by “spyglass publish”.")
        if not client_installed():
            text = "Not available in this installation: " + INSTALL_HINT + "."
            self.add_button.setEnabled(False)
        self.hint = hint(text)
        layout.addWidget(self.hint)
        # Tests answer the entry dialog instead of a person.
        self.ask_entry = self._ask_entry
        self._fill()

    @property
    def secrets_changed(self) -> bool:
        return bool(self._secrets)

    def add(self) -> None:
        answer = self.ask_entry(None)
        if answer is not None:
            self._take(answer, len(self.entries))

    def edit(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.entries):
            answer = self.ask_entry(self.entries[row])
            if answer is not None:
                self._take(answer, row)

    def remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.entries):
            entry = self.entries.pop(row)
            self._secrets[(entry["uri"], entry.get("user", ""))] = ""  # forgotten on save
            self._fill()

    def apply(self) -> list[dict]:
        """Store the secrets typed here (user-only file) and return the settings' entries."""
        for (uri, user), secret in self._secrets.items():
            target = SharedTarget(uri=uri, user=user)
            if secret or load_secret(target):
                save_secret(target, secret)
        self._secrets.clear()
        return [dict(e) for e in self.entries]

    def _take(self, answer: tuple[SharedTarget, str | None], row: int) -> None:
        target, secret = answer
        entry = target.to_settings()
        if row < len(self.entries):
            old = self.entries[row]
            old_key = (old["uri"], old.get("user", ""))
            if old_key != (target.uri, target.user):
                # Moved to another address or user: the old secret does not follow it (it is
                # never sent to a host it was not typed for) and is forgotten on save.
                self._secrets.setdefault(old_key, "")
            self.entries[row] = entry
        else:
            self.entries.append(entry)
        if secret is not None:
            self._secrets[(target.uri, target.user)] = secret
        self._fill(row)

    def _fill(self, current: int = 0) -> None:
        self.list.clear()
        for entry in self.entries:
            target = SharedTarget.from_settings(entry)
            item = QListWidgetItem(f"{target.name} — {target.uri} ({target.collection})")
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.list.addItem(item)
        if self.entries:
            self.list.setCurrentRow(min(current, len(self.entries) - 1))
        self._selection_changed(self.list.currentRow())

    def _selection_changed(self, row: int) -> None:
        chosen = 0 <= row < len(self.entries)
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def _ask_entry(self, entry: dict | None) -> tuple[SharedTarget, str | None] | None:
        dialog = SharedIndexDialog(entry, self)
        if dialog.exec() and dialog.target is not None:
            return dialog.target, dialog.secret
        return None
