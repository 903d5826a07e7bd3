import os
import stat

import pytest

from forecast._io import atomic_path, atomic_write


def test_atomic_write_replaces_whole_file_readable_by_others(tmp_path):
    out = tmp_path / "sub" / "r.html"
    atomic_write(out, "旧")
    atomic_write(out, b"new")
    assert out.read_bytes() == b"new"
    # mkstemp alone would leave 0600: reports must be readable by a web server or a colleague.
    old = os.umask(0o022)
    try:
        atomic_write(out, "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]


def test_failure_inside_block_keeps_old_file_and_leaves_no_temp(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_atomic_write_rejects_other_types(tmp_path):
    with pytest.raises(TypeError, match="bytes or str"):
        atomic_write(tmp_path / "x", 3)  # type: ignore[arg-type]
