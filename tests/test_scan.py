import os
from pathlib import Path

from core.scan import ScanOptions, scan_root


def _tree(root: Path) -> None:
    for rel in ["a.txt", "sub/b.md", "sub/c.log", ".hidden/d.txt", "node_modules/x.js",
                "private/e.txt", "repo/kept.py", "repo/build/out.txt", "repo/f.tmp"]:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(rel)
    (root / "private" / ".nospyglass").write_text("")
    (root / "repo" / ".gitignore").write_text("build/\n")
    os.symlink(root, root / "sub" / "loop")


def test_exclusions(tmp_path: Path) -> None:
    _tree(tmp_path)
    report = scan_root(str(tmp_path), ScanOptions(excludes=["*.log"]))
    found = sorted(os.path.relpath(f.path, tmp_path) for f in report.files)
    # hidden folders, node_modules, a .nospyglass folder, .gitignore'd and *.tmp files, the
    # user's *.log pattern and the symlink loop are all left out
    assert found == ["a.txt", "repo/kept.py", "sub/b.md"]


def test_missing_root_is_reported(tmp_path: Path) -> None:
    report = scan_root(str(tmp_path / "nope"))
    assert report.files == [] and "cannot read folder" in report.errors[0][1]
