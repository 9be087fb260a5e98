"""Airflow DAG: one party's side of a daily Veil job, submitted with SparkSubmitOperator.

Each party runs its own Airflow with its own copy of this DAG; the copies differ only in the
settings below (which can also come from the environment of the Airflow scheduler and workers).
Every party uses the same schedule and time zone, so all of them compute the same period for a run:
the run's logical date, ``{{ ds }}`` (for example 2026-11-05), passed to ``veil run --period``. Each
day is then a distinct job with its own job id, approvals, Kafka topics and receipt. The spec's
input and output paths can name the period (``path: hdfs:///warehouse/bank_a/customers/${period}``,
``${period.year}``, ``${period.month}``, ``${period.day}``), so each day reads its own data and keeps
its own result.

Retries, cleared tasks and backfills are safe: re-running a day that finished returns the result
its receipt records, without recomputing or sending anything. If that day's input has changed since,
the task fails and says so: run the new data under a new period label (2026-11-05.r2), which every
party must run.

The parties' runs must overlap: each waits up to the spec's peerTimeoutMs for the others'
approvals. Retries cover a party that starts late.

Needs Airflow 2.4 or later and the provider package apache-airflow-providers-apache-spark, and a
Spark connection (``SPARK_CONN_ID``) whose host is the master (``yarn``) and whose extra gives the
deploy mode, e.g. ``{"deploy-mode": "cluster", "queue": "default"}``. The worker needs spark-submit
and the files named below. In cluster mode the driver runs in a YARN container: keep the ledger on
HDFS (as below) or storage every node mounts, or use client mode.
"""

import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

# This party's settings. Each can be overridden by the environment variable of the same name.
SETTINGS = {
    "PARTY": "bank_a",
    "SPARK_CONN_ID": "spark_yarn",
    "VEIL_JAR": "/opt/veil/veil-psi-jobs-0.1.0-SNAPSHOT.jar",
    "SPEC": "/etc/veil/customer-overlap.yaml",  # the spec every party agreed on
    "KEY_FILE": "/etc/veil/bank_a.key",  # from `veil keygen`; mode 0400
    "POLICY": "/etc/veil/policy-bank_a.yaml",
    "LEDGER": "hdfs:///veil/ledger/bank_a.jsonl",  # on HDFS: a cluster-mode driver keeps it
    "BOOTSTRAP_SERVERS": "kafka-1.example.net:9093,kafka-2.example.net:9093",
    "TOPIC_PREFIX": "veil.bank_a-bank_b.",  # the same at every party of the job
    "REPLICATION_FACTOR": "3",
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_PROPERTIES": "/etc/veil/client-sasl-scram.properties",  # secrets; mode 0600
    "KAFKA_TRUSTSTORE": "/etc/veil/kafka.truststore.p12",
}
S = {name: os.environ.get(name, default) for name, default in SETTINGS.items()}
JOB = os.path.basename(S["SPEC"]).removesuffix(".yaml")

# A daily job. For a monthly report, use schedule="@monthly" and
# PERIOD = "{{ data_interval_start.strftime('%Y-%m') }}" (for example 2026-11).
PERIOD = "{{ ds }}"

with DAG(
    dag_id=f"veil_{JOB.replace('-', '_')}_{S['PARTY']}",
    description=f"Veil job {JOB}: {S['PARTY']}'s side, one job per day",
    schedule="@daily",
    start_date=datetime(2026, 11, 1),
    catchup=False,
    max_active_runs=1,  # one period at a time: each period's job uses a whole Spark application
    default_args={
        "owner": "data-platform",
        "retries": 3,
        "retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(hours=3),
    },
    tags=["veil"],
) as dag:
    # --files ships these into the driver's and executors' working directories (through the
    # application's staging directory, readable by the submitting user only), so the job names
    # them by their bare file names.
    files = [S["KEY_FILE"], S["POLICY"], S["SPEC"], S["KAFKA_PROPERTIES"], S["KAFKA_TRUSTSTORE"]]
    veil_run = SparkSubmitOperator(
        task_id="veil_run",
        conn_id=S["SPARK_CONN_ID"],
        application=S["VEIL_JAR"],
        java_class="io.veil.jobs.VeilCli",
        name=f"veil-{JOB}-{S['PARTY']}-{PERIOD}",
        files=",".join(files),
        driver_memory="2g",
        executor_memory="4g",
        executor_cores=4,
        num_executors=8,
        conf={
            "spark.yarn.maxAppAttempts": "1",  # a failed attempt is retried by Airflow, as a whole
            "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
        },
        # Everything after the jar goes to the Veil CLI; its --conf takes veil.* settings.
        application_args=[
            "run",
            "--spec", os.path.basename(S["SPEC"]),
            "--party", S["PARTY"],
            "--key", os.path.basename(S["KEY_FILE"]),
            "--policy", os.path.basename(S["POLICY"]),
            "--period", PERIOD,
            "--ledger", S["LEDGER"],
            "--conf", f"veil.channel.bootstrap.servers={S['BOOTSTRAP_SERVERS']}",
            "--conf", f"veil.channel.topic.prefix={S['TOPIC_PREFIX']}",
            "--conf", f"veil.channel.replication.factor={S['REPLICATION_FACTOR']}",
            "--conf", f"veil.channel.kafka.security.protocol={S['KAFKA_SECURITY_PROTOCOL']}",
            "--conf", "veil.channel.kafka.sasl.mechanism=SCRAM-SHA-512",
            "--conf", f"veil.channel.kafka.properties.file={os.path.basename(S['KAFKA_PROPERTIES'])}",
        ],
    )
