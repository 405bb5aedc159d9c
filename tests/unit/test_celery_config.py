"""The province-scale server's Celery configuration (countyhealth.celery_config): Airflow's
own settings, with the modules its workers import before they fork."""

from __future__ import annotations

import importlib

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

from countyhealth.celery_config import CELERY_CONFIG, PRELOADED


def test_airflows_settings_are_kept_and_every_preloaded_module_imports():
    assert {k: v for k, v in CELERY_CONFIG.items() if k != "imports"} == {
        k: v for k, v in DEFAULT_CELERY_CONFIG.items() if k != "imports"}
    assert set(PRELOADED) <= set(CELERY_CONFIG["imports"])
    assert "dbt.cli.main" in PRELOADED  # what every Cosmos task imports
    for module in CELERY_CONFIG["imports"]:
        importlib.import_module(module)
