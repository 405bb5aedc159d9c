"""The Celery configuration of the province-scale server (`[celery] celery_config_options`):
Airflow's own, plus the modules the nightly DAG's tasks import, loaded once by each worker
before it forks.

Under the CeleryExecutor every task runs in a process forked from a Celery worker, and a
module the worker has not imported is imported again by every task. A Cosmos task imported
dbt itself (~2.3 s of a 7.8 s task in the test suite's server run, against ~1.3 s for the
whole task under `airflow dags test`, where one process keeps dbt imported): 32 times a
night. Airflow preloads its own operators the same way
(`celery_executor_utils.on_celery_import_modules`). docker-compose.yml and the test
suite's server (tests/airflow_server.py) set `AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS` to
`countyhealth.celery_config.CELERY_CONFIG`.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

# what a dbt task imports (dbt and its Postgres adapter, Cosmos's local operators) and the
# DAG's own steps; GX, used by two tasks a night, is left to them
PRELOADED = (
    "dbt.cli.main",
    "dbt.adapters.postgres",
    "cosmos.operators.local",
    "countyhealth.pipeline",
    "countyhealth.dbt_group",
)

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG,
                 "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), *PRELOADED)}
