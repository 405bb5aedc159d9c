"""The county config (a YAML file users write) and the runtime settings.

The config's shape is part of the outside contract (see docs/exports.md): adding a facility
is a change to this file, never to code. Unknown keys are kept so that later versions can add
settings without breaking older files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FACILITY_LEVELS = (
    "county_hospital",
    "tcm_hospital",
    "mch_hospital",
    "township_center",
    "village_clinic",
    "insurance",
    "public_health",
)
PRIMARY_CARE_LEVELS = ("township_center", "village_clinic")
FORMATS = ("csv", "hl7v2", "fhir-r4")
ENCODINGS = ("auto", "utf-8", "gb18030")


class ConfigError(ValueError):
    """The county config is not usable; the message says which key and why."""


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    level: str
    township: str | None = None
    format: str = "fhir-r4"
    encoding: str = "auto"
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    # the facility's own validation thresholds over the county's (expectations/README.md)
    thresholds: dict[str, Any] = field(default_factory=dict)

    @property
    def is_primary_care(self) -> bool:
        return self.level in PRIMARY_CARE_LEVELS


@dataclass(frozen=True)
class County:
    code: str
    name: str
    timezone: str = "Asia/Shanghai"
    population: int = 0


@dataclass(frozen=True)
class CountyConfig:
    county: County
    facilities: tuple[Facility, ...]
    thresholds: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def facility(self, code: str) -> Facility:
        for f in self.facilities:
            if f.code == code:
                return f
        raise KeyError(code)

    def facility_codes(self) -> list[str]:
        return [f.code for f in self.facilities]


def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    if key not in mapping or mapping[key] in (None, ""):
        raise ConfigError(f"{where}: missing required key '{key}'")
    return mapping[key]


def parse_config(data: dict[str, Any], source: Path | None = None) -> CountyConfig:
    """Check and turn the YAML mapping into a CountyConfig, with messages a person can act on."""
    if not isinstance(data, dict):
        raise ConfigError("county config: the top level must be a mapping")
    c = _require(data, "county", "county config")
    county = County(
        code=str(_require(c, "code", "county")),
        name=str(_require(c, "name", "county")),
        timezone=str(c.get("timezone") or "Asia/Shanghai"),
        population=int(c.get("population") or 0),
    )
    raw_facilities = _require(data, "facilities", "county config")
    facilities: list[Facility] = []
    seen: set[str] = set()
    for i, f in enumerate(raw_facilities):
        where = f"facilities[{i}]"
        code = str(_require(f, "code", where))
        if not code.isalnum():
            raise ConfigError(f"{where}: facility code '{code}' must be letters and digits only")
        if code in seen:
            raise ConfigError(f"{where}: facility code '{code}' appears twice")
        seen.add(code)
        level = str(_require(f, "level", where))
        if level not in FACILITY_LEVELS:
            raise ConfigError(
                f"{where}: level '{level}' is not one of {', '.join(FACILITY_LEVELS)}")
        fmt = str(f.get("format") or "fhir-r4")
        if fmt not in FORMATS:
            raise ConfigError(f"{where}: format '{fmt}' is not one of {', '.join(FORMATS)}")
        enc = str(f.get("encoding") or "auto").lower()
        if enc not in ENCODINGS:
            raise ConfigError(f"{where}: encoding '{enc}' is not one of {', '.join(ENCODINGS)}")
        columns = f.get("columns") or {}
        if not isinstance(columns, dict):
            raise ConfigError(f"{where}: columns must be a mapping of table -> column -> header")
        defaults = f.get("defaults") or {}
        if not isinstance(defaults, dict):
            raise ConfigError(f"{where}: defaults must be a mapping of table -> column -> value")
        thresholds = f.get("thresholds") or {}
        if not isinstance(thresholds, dict):
            raise ConfigError(f"{where}: thresholds must be a mapping of name -> number")
        facilities.append(
            Facility(
                code=code,
                name=str(f.get("name") or code),
                level=level,
                township=str(f["township"]) if f.get("township") else None,
                format=fmt,
                encoding=enc,
                columns={str(t): {str(k): str(v) for k, v in (m or {}).items()}
                         for t, m in columns.items()},
                defaults={str(t): {str(k): str(v) for k, v in (m or {}).items()}
                          for t, m in defaults.items()},
                thresholds={str(k): v for k, v in thresholds.items()},
            )
        )
    return CountyConfig(
        county=county,
        facilities=tuple(facilities),
        thresholds=dict(data.get("thresholds") or {}),
        source=source,
    )


def load_config(path: str | Path) -> CountyConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"county config not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"county config {path} is not valid YAML: {exc}") from exc
    return parse_config(data, source=path)


@dataclass(frozen=True)
class Settings:
    """Where things live at run time. Environment variables override the defaults so that the
    same DAG runs embedded (`chw run`) and on the server (docker compose)."""

    home: Path
    project_dir: Path
    config_path: Path
    landing_dir: Path

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"

    @property
    def expectations_dir(self) -> Path:
        return Path(os.environ.get("CHW_EXPECTATIONS_DIR", self.project_dir / "expectations"))

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def project_dir() -> Path:
    """The repository root (holding dags/, dbt_project/, expectations/)."""
    env = os.environ.get("CHW_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def settings() -> Settings:
    root = project_dir()
    home = Path(os.environ.get("CHW_HOME", root / ".chw")).resolve()
    return Settings(
        home=home,
        project_dir=root,
        config_path=Path(os.environ.get("CHW_CONFIG", home / "demo" / "county.yaml")).resolve(),
        landing_dir=Path(os.environ.get("CHW_LANDING", home / "demo" / "landing")).resolve(),
    )
