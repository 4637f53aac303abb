"""A document inside an archive, in the window: listed as 'archive › member', previewed from the
index, opened from a private copy (the archive itself is never unpacked next to the user's
files), the copy gone when the window closes."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

from app import formatting
from app.window import MainWindow
from core.api import Engine
from tests.gui.conftest import WAIT_MS, search


def test_member_is_shown_previewed_and_opened_from_a_copy(
        qtbot, make_window: Callable[..., MainWindow], engine: Engine, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    with zipfile.ZipFile(docs / "trip.zip", "w") as z:
        z.writestr("plans/itinerary.txt", "Ferry to the lighthouse island on Tuesday morning, "
                   "then the cliff walk to the old signal station.")
    engine.add_root(docs)
    engine.index()
    window = make_window(engine)
    paths = search(qtbot, window, "ferry lighthouse island")
    member = f"{docs}/trip.zip//plans/itinerary.txt"
    assert paths[0] == member
    assert formatting.display_path(member).endswith("trip.zip › plans/itinerary.txt")
    qtbot.waitUntil(lambda: window.preview.data is not None
                    and window.preview.data.path == member, timeout=WAIT_MS)
    assert "signal station" in window.preview.data.text
    before = set(docs.iterdir())
    window.activate_current()
    qtbot.waitUntil(lambda: bool(window.open_url.urls), timeout=WAIT_MS)
    copy = Path(window.open_url.urls[-1].toLocalFile())
    assert copy.name == "itinerary.txt" and copy.read_text().startswith("Ferry to the lighthouse")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and not copy.is_relative_to(docs)
    assert set(docs.iterdir()) == before
    window.shutdown()
    assert not copy.exists()
