"""Settings are saved as JSON and shape the next indexing job."""

from __future__ import annotations

from pathlib import Path

from app.settings_dialog import SettingsDialog, index_options, parse_types
from core.api import Engine
from core.encode.manifest import dense_models, sparse_models
from core.settings import Settings
from tests.gui.conftest import WAIT_MS, names, search


def test_settings_dialog_saves(qtbot, tmp_path: Path) -> None:
    settings = Settings()
    dialog = SettingsDialog(settings, choose_folder=lambda start: str(tmp_path / "elsewhere"))
    qtbot.addWidget(dialog)
    assert dialog.low_priority.isChecked()  # indexing is polite by default
    assert dialog.threads.text() == "Automatic"
    dialog._browse()
    dialog.threads.setValue(3)
    dialog.low_priority.setChecked(False)
    dialog.max_size.setValue(12)
    dialog.file_types.setText(".PDF, md;txt")
    dialog.excludes.setPlainText("*.log\n\nbuild/")
    dialog.hidden.setChecked(True)
    shipped = list(sparse_models())
    assert dialog.sparse_model.count() == len(shipped)
    assert dialog.sparse_model.currentData() == ""  # the default, whichever that is
    dialog.sparse_model.setCurrentIndex(len(shipped) - 1)
    # the meaning model: automatic by default, then the two that ship
    assert [dialog.dense_model.itemData(i) for i in range(dialog.dense_model.count())] == \
        ["", *dense_models()]
    assert dialog.dense_model.currentData() == ""
    dialog.dense_model.setCurrentIndex(dialog.dense_model.findData("multilingual"))
    dialog.accept()

    saved = Settings.load()
    assert saved.index_dir == str(tmp_path / "elsewhere")
    assert (saved.threads, saved.low_priority, saved.max_file_mb) == (3, False, 12.0)
    assert saved.file_types == ["md", "pdf", "txt"]
    assert saved.excludes == ["*.log", "build/"] and saved.include_hidden
    assert saved.sparse_model == ("" if len(shipped) == 1 else shipped[-1])
    assert saved.dense_model == "multilingual"

    options = index_options(saved)
    assert options.threads == 3 and not options.low_priority and options.max_file_mb == 12
    assert tuple(options.file_types) == ("md", "pdf", "txt")
    assert options.sparse_model == saved.sparse_model
    assert options.dense_model == "multilingual"
    assert index_options(Settings()).low_priority and index_options(Settings()).threads is None
    assert parse_types(" , .") == []


def test_file_types_setting_applies_to_indexing(qtbot, make_window, engine: Engine,
                                                library: Path) -> None:
    settings = Settings(file_types=["pdf"], low_priority=True)
    window = make_window(engine, settings=settings)
    window.add_folder(str(library))
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=WAIT_MS)
    assert engine.options.low_priority and tuple(engine.options.file_types) == ("pdf",)
    assert engine.status().files["indexed"] == 1
    assert names(search(qtbot, window, "lighthouse")) == ["report.pdf"]
