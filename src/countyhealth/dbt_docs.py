"""dbt docs of the published models, written beside each night's quality report, so an
analyst finds every table, column, test and lineage edge of `ehr` and `quality` offline.

`dbt docs generate --static` writes one self-contained page (manifest and catalog inlined).
It is generated with `candidate_suffix` set empty, so the docs and their catalog describe the
published schemas (ehr, quality), not the candidates the night was built in.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from countyhealth.dbt_group import run_dbt


class DocsError(RuntimeError):
    pass


def build_dbt_docs(url: str, folder: Path) -> Path:
    """Write `folder/dbt-docs/index.html`; dbt's work files go to a temporary folder."""
    work = folder / ".dbt-docs-work"
    done = run_dbt(["docs", "generate", "--static", "--vars",
                    json.dumps({"candidate_suffix": ""})], url, work, timeout=900)
    static = work / "target" / "static_index.html"
    if done.returncode != 0 or not static.exists():
        raise DocsError("dbt docs generate failed:\n" + done.stdout[-3000:])
    out = folder / "dbt-docs"
    out.mkdir(parents=True, exist_ok=True)
    shutil.move(str(static), out / "index.html")
    shutil.rmtree(work, ignore_errors=True)
    return out / "index.html"
