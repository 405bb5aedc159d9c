"""The canonical tables every reader produces, and the warehouse DDL that holds them.

One definition serves the readers (which columns exist), the row checks (which are required,
which are dates) and the loader (what `raw.<table>` looks like). Raw keeps text: casting is
staging's job, so a value that surprised us is still there to look at.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CanonicalTable:
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    dates: tuple[str, ...] = ()  # normalised to ISO by the row check
    timestamps: tuple[str, ...] = ()
    description: str = ""
    future_allowed: tuple[str, ...] = ()  # dates that may lie after the export night


COMMON_REQUIRED = ("record_id", "updated_at", "change_flag")

TABLES: dict[str, CanonicalTable] = {
    t.name: t
    for t in (
        CanonicalTable(
            name="patients",
            columns=("record_id", "id_type", "id_number", "name", "sex", "birth_date",
                     "phone", "address_code", "health_card_no", "death_date", "updated_at",
                     "change_flag", "health_record_no"),
            required=COMMON_REQUIRED,
            dates=("birth_date", "death_date"),
            timestamps=("updated_at",),
            description="local patient registrations and health records "
                        "(record_id = local patient id or health record number; "
                        "health_record_no = the WS 365 resident health record number)",
        ),
        CanonicalTable(
            name="encounters",
            columns=("record_id", "patient_id", "encounter_class", "department", "start_time",
                     "end_time", "disposition", "total_cost", "updated_at", "change_flag"),
            required=(*COMMON_REQUIRED, "patient_id", "encounter_class", "start_time"),
            timestamps=("start_time", "end_time", "updated_at"),
            description="visits and admissions (record_id = visit serial, jzlsh)",
        ),
        CanonicalTable(
            name="diagnoses",
            columns=("record_id", "encounter_id", "patient_id", "diagnosis_type", "icd10_code",
                     "icd10_version", "diagnosis_name", "diagnosed_at", "updated_at",
                     "change_flag"),
            required=(*COMMON_REQUIRED, "encounter_id", "icd10_code"),
            timestamps=("diagnosed_at", "updated_at"),
            description="diagnoses per encounter, ICD-10 (clinical version in hospital data)",
        ),
        CanonicalTable(
            name="lab_results",
            columns=("record_id", "encounter_id", "patient_id", "test_code", "test_name",
                     "value", "unit", "reference_range", "abnormal_flag", "collected_at",
                     "reported_at", "updated_at", "change_flag", "test_code_system"),
            required=(*COMMON_REQUIRED, "patient_id", "test_code"),
            timestamps=("collected_at", "reported_at", "updated_at"),
            description="lab results with the facility's local test codes (test_code_system: "
                        "the code system when the sender names one, e.g. LOINC)",
        ),
        CanonicalTable(
            name="prescriptions",
            columns=("record_id", "encounter_id", "patient_id", "drug_code", "drug_name",
                     "dose", "frequency", "days_supply", "quantity", "prescribed_at",
                     "updated_at", "change_flag", "drug_code_system"),
            required=(*COMMON_REQUIRED, "patient_id", "drug_code"),
            timestamps=("prescribed_at", "updated_at"),
            description="prescription lines with national insurance drug codes "
                        "(drug_code_system: another code system the sender names)",
        ),
        CanonicalTable(
            name="referrals",
            columns=("record_id", "patient_id", "from_facility", "to_facility", "direction",
                     "reason_code", "referred_at", "updated_at", "change_flag"),
            required=(*COMMON_REQUIRED, "patient_id", "from_facility", "to_facility"),
            timestamps=("referred_at", "updated_at"),
            description="upward and downward referrals between facilities",
        ),
        CanonicalTable(
            name="insurance_settlements",
            columns=("record_id", "id_number", "name", "insured_area", "facility_code",
                     "facility_name", "in_county", "encounter_id", "visit_type", "admit_date",
                     "discharge_date", "total_cost", "fund_paid", "self_paid",
                     "diagnosis_code", "settled_at", "updated_at", "change_flag"),
            required=(*COMMON_REQUIRED, "facility_code", "in_county", "total_cost"),
            dates=("admit_date", "discharge_date"),
            timestamps=("settled_at", "updated_at"),
            description="insurance bureau settlements, inside and outside the county "
                        "(ICD-10 insurance version)",
        ),
        CanonicalTable(
            name="family_doctor_contracts",
            columns=("record_id", "id_number", "name", "team_code", "township_code",
                     "signed_date", "end_date", "priority_groups", "updated_at",
                     "change_flag"),
            required=(*COMMON_REQUIRED, "signed_date"),
            dates=("signed_date", "end_date"),
            timestamps=("updated_at",),
            description="family-doctor contracts from the public-health system",
            future_allowed=("end_date",),
        ),
        CanonicalTable(
            name="chronic_followups",
            columns=("record_id", "id_number", "disease", "followup_date", "sbp", "dbp",
                     "fasting_glucose", "managing_facility", "updated_at", "change_flag"),
            required=(*COMMON_REQUIRED, "disease", "followup_date"),
            dates=("followup_date",),
            timestamps=("updated_at",),
            description="hypertension and diabetes follow-ups (blood pressure, glucose)",
        ),
    )
}

LINEAGE_COLUMNS = ("_batch_id", "_file_id", "_facility", "_export_date", "_position")

TASK_RUNS_DDL = """
create schema if not exists ingest;
create table if not exists ingest.task_runs (
    export_date date,
    dag_id text not null,
    run_id text,
    task_id text not null,
    try_number integer,
    seconds double precision,              -- from on_execute to on_success
    peak_rss_mb double precision,          -- the task process's resident-memory peak
    peak_since_task_start boolean not null, -- false: the peak is the process's, not reset
    finished_at timestamptz not null default now()
);
"""

INGEST_DDL = """
create schema if not exists ingest;
create schema if not exists raw;
create schema if not exists pii;

create table if not exists pii.pseudonym_secret (
    secret text not null check (length(secret) >= 32),
    created_at timestamptz not null default now()
);

-- a reviewer's word on a pair pii.identity_review listed: 'same' links the identity to the
-- candidate person, 'different' keeps them apart for good (docs/identity.md)
create table if not exists pii.identity_decisions (
    facility_code text not null,
    local_patient_id text not null,
    candidate_person_key text not null,
    decision text not null check (decision in ('same', 'different')),
    decided_by text not null,
    decided_at timestamptz not null default now(),
    note text,
    primary key (facility_code, local_patient_id, candidate_person_key)
);

create table if not exists ingest.facilities (
    facility_code text primary key,
    facility_name text not null,
    facility_level text not null,
    township_code text,
    source_format text not null,
    is_primary_care boolean not null,
    county_code text not null,
    updated_at timestamptz not null default now()
);

create table if not exists ingest.runs (
    batch_id bigserial primary key,
    export_date date not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running'
);

create table if not exists ingest.deliveries (
    facility_code text not null,
    export_date date not null,
    status text not null,          -- loaded | held | missing | nothing_new | empty
    reason text,
    batch_id bigint references ingest.runs,
    checked_at timestamptz not null default now(),
    primary key (facility_code, export_date)
);

create table if not exists ingest.files (
    file_id bigserial primary key,
    sha256 text not null unique,
    facility_code text not null,
    export_date date not null,
    file_name text not null,
    kind text not null,
    format text not null,
    encoding text,
    rows_manifest bigint not null,
    records_read bigint not null default 0,  -- records (lines, messages, resources): vs manifest
    rows_read bigint not null,                -- canonical rows the reader produced from them
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    batch_id bigint not null references ingest.runs,
    loaded_at timestamptz not null default now(),
    check (rows_read = rows_loaded + rows_rejected)
);

create table if not exists ingest.rejected (
    rejected_id bigserial primary key,
    batch_id bigint not null,
    file_id bigint,
    facility_code text not null,
    export_date date not null,
    file_name text not null,
    position bigint not null,
    target_table text,                 -- the canonical table the record was meant for
    reason_code text not null,
    message text not null,
    original text,
    rejected_at timestamptz not null default now()
);
create index if not exists rejected_by_night on ingest.rejected (export_date, facility_code);
-- the newest batch that loaded a file (dbt's newest_loaded_batch, read by a dozen models a
-- night): by this index, not by a scan of every file the county ever sent
create index if not exists files_by_batch on ingest.files (batch_id);
alter table ingest.files add column if not exists records_read bigint not null default 0;
alter table ingest.rejected add column if not exists target_table text;

create table if not exists ingest.task_failures (
    failure_id bigserial primary key,
    export_date date,
    dag_id text not null,
    run_id text,
    task_id text not null,
    try_number integer,
    error text,
    failed_at timestamptz not null default now()
);

""" + TASK_RUNS_DDL + """
create table if not exists ingest.publications (
    publication_id bigserial primary key,
    export_date date not null,
    published_at timestamptz not null default now(),
    schemas text[] not null
);
"""


def raw_table_ddl(table: CanonicalTable) -> str:
    """The raw table; columns added to the contract later are added to older warehouses.
    Its indexes serve the night's three kinds of reads: by night (the raw suites), by batch
    (what the incremental models have not seen) and by record (every version of a record a
    new batch touched, which latest_version ranks again); without the last, each night's
    ranking scanned the whole history."""
    cols = ",\n    ".join(f"{c} text" for c in table.columns)
    added = "".join(f"alter table raw.{table.name} add column if not exists {c} text;\n"
                    for c in table.columns)
    return f"""
create table if not exists raw.{table.name} (
    {cols},
    _batch_id bigint not null,
    _file_id bigint not null,
    _facility text not null,
    _export_date date not null,
    _position bigint not null,
    _loaded_at timestamptz not null default now()
);
create index if not exists {table.name}_by_night on raw.{table.name} (_export_date, _facility);
create index if not exists {table.name}_by_batch on raw.{table.name} (_batch_id);
create index if not exists {table.name}_by_record on raw.{table.name} (_facility, record_id);
{added}"""


def warehouse_ddl() -> str:
    return INGEST_DDL + "".join(raw_table_ddl(t) for t in TABLES.values())
