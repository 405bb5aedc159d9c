# The server image: Airflow 3.3 with the countyhealth package and the pinned environment.
FROM apache/airflow:3.3.2-python3.11
USER airflow
COPY --chown=airflow:root pyproject.toml constraints.txt README.md /opt/countyhealth/
COPY --chown=airflow:root src /opt/countyhealth/src
RUN pip install --no-cache-dir -c /opt/countyhealth/constraints.txt /opt/countyhealth
