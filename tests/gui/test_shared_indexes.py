"""Shared indexes in the window: added, edited and removed in the settings (the secret in the
user-only file, never in the settings), then searched beside this machine's index on a real
Milvus Lite file, each result saying where it comes from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.search_view import chips_html
from app.settings_dialog import SettingsDialog
from app.shared_settings import SharedIndexDialog
from app.window import MainWindow
from core.api import Engine
from core.settings import Settings, config_path
from core.shared.target import PathMapping, SharedTarget, load_secret, secrets_path
from core.sharing import SharedSearch, publish_folders
from tests.gui.conftest import OPTIONS, WAIT_MS, names, search
from tests.gui.conftest import test_settings as window_settings

pytest.importorskip("milvus_lite", reason="the shared extra (pymilvus, milvus-lite) is needed")

TEAM_DOCS = {
    "coffee.txt": "Descaling the office espresso machine. Every Friday the kitchen volunteer "
                  "runs the descaler through the boiler and empties the drip tray.",
    "badges.txt": "Visitor badges for the office. Guests sign in at reception and return "
                  "the badge when they leave the building.",
}


def test_the_settings_keep_shared_indexes_and_their_secrets_apart(qtbot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    section = dialog.shared
    assert section.list.count() == 0 and section.add_button.isEnabled()
    assert not section.edit_button.isEnabled() and not section.remove_button.isEnabled()
    answers = [(SharedTarget(uri="https://milvus.office.lan:19530", collection="team",
                             label="office", user="ana",
                             mappings=(PathMapping("/srv/share", "/home/ana/share"),)),
                "s3cret")]
    section.ask_entry = lambda entry: answers.pop(0)
    section.add()
    assert section.list.count() == 1 and "office" in section.list.item(0).text()
    dialog.accept()

    saved = Settings.load()
    assert saved.shared_indexes == [{"uri": "https://milvus.office.lan:19530",
                                     "collection": "team", "label": "office", "user": "ana",
                                     "mappings": [["/srv/share", "/home/ana/share"]]}]
    assert "s3cret" not in config_path().read_text(encoding="utf-8")
    target = SharedTarget.from_settings(saved.shared_indexes[0])
    assert load_secret(target) == "s3cret"
    assert secrets_path().stat().st_mode & 0o077 == 0  # the user's alone

    # Edited to another user: the secret typed for ana is not sent as bob's, and is forgotten.
    as_saved = [dict(e) for e in saved.shared_indexes]
    dialog = SettingsDialog(saved)
    qtbot.addWidget(dialog)
    seen: list[dict | None] = []

    def as_bob(entry: dict | None) -> tuple[SharedTarget, None]:
        seen.append(entry)
        return SharedTarget.from_settings({**(entry or {}), "user": "bob"}), None

    dialog.shared.ask_entry = as_bob
    dialog.shared.list.setCurrentRow(0)
    dialog.shared.edit()
    dialog.accept()
    assert seen == as_saved  # the dialog opened on the saved entry
    bob = SharedTarget.from_settings(Settings.load().shared_indexes[0])
    assert bob.user == "bob" and load_secret(bob) == "" and load_secret(target) == ""

    dialog = SettingsDialog(Settings.load())
    qtbot.addWidget(dialog)
    dialog.shared.remove()
    dialog.accept()
    assert Settings.load().shared_indexes == []


def test_the_entry_dialog_says_what_is_wrong(qtbot) -> None:
    dialog = SharedIndexDialog()
    qtbot.addWidget(dialog)
    dialog.accept()
    assert "address is needed" in dialog.error.text() and dialog.target is None
    dialog.address.setText("http://milvus.lan:19530")
    dialog.collection.setText("9 lives")
    dialog.accept()
    assert "collection name" in dialog.error.text() and dialog.target is None
    dialog.collection.setText("team")
    dialog.mappings.setPlainText("/srv/share")
    dialog.accept()
    assert "REMOTE_PREFIX=LOCAL_PREFIX" in dialog.error.text() and dialog.target is None
    dialog.mappings.setPlainText("/srv/share=/home/me/share\n")
    dialog.password.setText("tok")
    dialog.accept()
    assert dialog.target == SharedTarget(uri="http://milvus.lan:19530", collection="team",
                                         mappings=(PathMapping("/srv/share",
                                                               "/home/me/share"),))
    assert dialog.secret == "tok"


@pytest.fixture
def team_index(tmp_path: Path) -> tuple[SharedTarget, Path]:
    """A colleague's folder, indexed on "their" machine and published to a Milvus Lite file;
    here the same files are where the share is mounted (the path mapping's local side)."""
    published = tmp_path / "colleague" / "team"
    published.mkdir(parents=True)
    for name, text in TEAM_DOCS.items():
        (published / name).write_text(text, encoding="utf-8")
    mounted = tmp_path / "mnt" / "team"
    shutil.copytree(published, mounted)
    target = SharedTarget(uri=str(tmp_path / "team.db"), collection="team", label="team",
                          mappings=(PathMapping(str(published), str(mounted)),))
    with Engine.open(tmp_path / "colleague" / "index", OPTIONS) as colleague:
        colleague.index([published])
        publish_folders(colleague, [published], target)
    return target, mounted


def test_shared_results_come_beside_local_ones(qtbot, make_window, indexed: Engine,
                                               team_index: tuple[SharedTarget, Path],
                                               library: Path) -> None:
    target, mounted = team_index
    settings = window_settings()
    settings.shared_indexes = [target.to_settings()]
    window: MainWindow = make_window(indexed, settings=settings)

    paths = search(qtbot, window, "espresso machine descaling")
    assert paths[0] == str(mounted / "coffee.txt")  # the path on this machine
    item = window.model.items[0]
    assert item.hit.source == "team"
    assert "shared: team" in chips_html(item, window.palette(), False)
    tooltip = window.model.data(window.model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert "shared index “team”" in tooltip
    # Its preview is the passage the shared index keeps, with the query's words marked.
    qtbot.waitUntil(lambda: window.preview.data is not None
                    and window.preview.data.path == paths[0], timeout=WAIT_MS)
    assert "espresso machine" in window.preview.data.text and window.preview.data.hits
    assert "shared index “team”" in window.preview.info.text()
    menu = window.context_menu(item)
    assert [a.text() for a in menu.actions()] == ["Open", "Open containing folder", "Copy path"]
    window.open_item(item)
    assert window.open_url.urls[-1].toLocalFile() == paths[0]

    # Local results still come first-class: the own library's documents are found as before.
    paths = search(qtbot, window, "sourdough bread")
    assert names(paths)[0] == "bread.txt" and not window.model.items[0].hit.source

    # Removed in the settings: its results go at once.
    window.settings.shared_indexes = []
    window.shared.configure([])
    window.refresh_results()
    paths = search(qtbot, window, "espresso machine descaling")
    assert all(not i.hit.source for i in window.model.items)
    assert not [p for p in paths if p.startswith(str(mounted))]


def test_a_folder_is_published_from_the_index_manager(qtbot, make_window, indexed: Engine,
                                                      library: Path, tmp_path: Path) -> None:
    target = SharedTarget(uri=str(tmp_path / "office.db"), collection="office", label="office")
    window: MainWindow = make_window(indexed)
    manager = window.show_index_manager()
    qtbot.waitUntil(lambda: manager.selected_root() == str(library), timeout=WAIT_MS)
    assert not manager.publish_button.isEnabled()  # no shared index to publish to yet
    window.publish_folder(str(library))
    assert "Add a shared index" in manager.publish_status.text()

    window.settings.shared_indexes = [target.to_settings()]
    manager.show_publishing("", window.can_publish())
    assert manager.publish_button.isEnabled()
    asked: list[str] = []
    window.confirm = lambda title, text: asked.append(text) or True
    manager.publish_button.click()
    assert "“office”" in asked[0] and str(library) in asked[0]
    qtbot.waitUntil(lambda: window.publishing is None, timeout=WAIT_MS)
    files = indexed.status(list_limit=0).files
    text = manager.publish_status.text()
    assert text.startswith(f"Published {library} to “office”: ") and "0 removed" in text
    sent = sum(n for state, n in files.items() if state == "indexed")
    assert f"{sent} files" in text

    # What went there is searchable as the shared index, under its name.
    shared = SharedSearch(indexed, [target], local=False)
    try:
        hit = shared.search("sourdough bread", k=1).hits[0]
    finally:
        shared.close()
    assert (Path(hit.path).name, hit.source) == ("bread.txt", "office")

    manager.publish_button.click()  # nothing changed: nothing sent
    qtbot.waitUntil(lambda: window.publishing is None, timeout=WAIT_MS)
    assert f"0 files (0 passages) sent, 0 removed, {sent} unchanged" in \
        manager.publish_status.text()
