"""Scratch files for the tests that write many (a property test's examples): one folder per
test process, removed when the process ends, so a run leaves no export-like files in the
machine's temporary folder (they used to pile up there, hundreds a run)."""

from __future__ import annotations

import tempfile
from pathlib import Path

_FOLDER = tempfile.TemporaryDirectory(prefix="chw-tests-")


def scratch_file(data: bytes, suffix: str) -> Path:
    """A new file holding `data`, its name ending in `suffix` (the readers go by it)."""
    with tempfile.NamedTemporaryFile(delete=False, suffix=suffix, dir=_FOLDER.name) as fh:
        fh.write(data)
    return Path(fh.name)
