"""`chw export-fhir`: the published EHR as FHIR R4 NDJSON, for one person or everyone.

The layout follows the FHIR Bulk Data export: one `<ResourceType>.ndjson` per type, one
resource per line, and a `manifest.json` listing the files and their counts. Rows stream
from the database through server-side cursors and go out line by line, so memory stays flat
however large the county. Every resource is validated with `fhir.resources` (R4B models)
before it is written: a file we hand to another system must be one it can read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from countyhealth.fhir_resources import MAPPINGS


class ExportError(RuntimeError):
    pass


@dataclass
class ExportResult:
    out: Path
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _validator(resource_type: str):
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class(resource_type)
    return model.model_validate


def export_fhir(conn: psycopg.Connection, out: Path, person_key: str | None = None,
                schema: str = "ehr", timezone: str = "Asia/Shanghai",
                validate: bool = True) -> ExportResult:
    """Write the resources of `person_key` (everyone when None) from `schema` into `out`."""
    zone = ZoneInfo(timezone)
    if person_key is not None and conn.execute(
            sql.SQL("select 1 from {}.patient where person_key = %s").format(
                sql.Identifier(schema)), (person_key,)).fetchone() is None:
        raise ExportError(f"no person {person_key!r} in {schema}.patient")
    out.mkdir(parents=True, exist_ok=True)
    result = ExportResult(out)
    for table, (resource_type, key, build) in MAPPINGS.items():
        check = _validator(resource_type) if validate else None
        query = sql.SQL("select * from {}.{}").format(sql.Identifier(schema),
                                                      sql.Identifier(table))
        params: tuple = ()
        if person_key is not None:
            query += sql.SQL(" where person_key = %s")
            params = (person_key,)
        query += sql.SQL(" order by {}").format(sql.Identifier(key))
        path = out / f"{resource_type}.ndjson"
        count = 0
        with conn.cursor(name=f"export_{table}", row_factory=dict_row) as cur, \
                path.open("w", encoding="utf-8", newline="\n") as f:
            cur.itersize = 2000
            cur.execute(query, params)
            for row in cur:
                resource = build(row, zone)
                if check is not None:
                    try:
                        check(resource)
                    except ValueError as exc:
                        raise ExportError(f"{resource_type}/{resource.get('id')} from "
                                          f"{schema}.{table} is not valid FHIR R4: "
                                          f"{str(exc)[:500]}") from exc
                f.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
                f.write("\n")
                count += 1
        result.counts[resource_type] = count
    _write_manifest(result, person_key)
    conn.rollback()  # named cursors live in a transaction; end it, nothing was written
    return result


def _write_manifest(result: ExportResult, person_key: str | None) -> None:
    manifest = {
        "transactionTime": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "request": f"chw export-fhir {'--person ' + person_key if person_key else '--all'}",
        "requiresAccessToken": False,
        "output": [{"type": t, "url": f"{t}.ndjson", "count": n}
                   for t, n in result.counts.items()],
        "error": [],
    }
    (result.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                              encoding="utf-8")
