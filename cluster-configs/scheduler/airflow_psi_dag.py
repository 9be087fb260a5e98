"""Airflow DAG: one party's side of a daily Veil PSI job (the customer-overlap spec).

Each party runs its own Airflow (or other scheduler) with its own copy of this DAG. The copies
differ only in PARTY and the paths. Both copies use the same schedule and time zone, so that both
parties compute the same period string for a run. The period is the run's logical date,
``{{ ds }}`` (for example 2026-11-05). It is passed to ``veil run --period``, which makes each day
a distinct job with its own job id, per-job keys, approvals, Kafka topics and receipt.

Re-running a period is idempotent: clearing a task, an Airflow retry, or a backfill of the same
date runs the same job (same contract hash, same job id). Each party derives the same per-job keys
again, sends the same messages (the peer drops the duplicates), and, given the same input, writes
the same result: the output directory is overwritten and a new receipt is appended to the ledger.
If a period's input has changed since its first run and you want a new result, use a new period
label, for example 2026-11-05.r2. That is a new job, and both parties must run it.

The spec's input and output paths are the same for every period: the period changes the job, not
the paths. So the upstream pipeline must have put the period's data at the input path before the
run, and each run replaces the previous period's output. The keep_output task copies the output
to a directory per period.

The two parties' runs must overlap: each waits up to the spec's peerTimeoutMs for the other's
approval. Retries cover a party that starts late.

Needs Airflow 2.4 or later (``schedule=``) and only core operators. On the worker, it needs
spark-submit and the files named below.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

PARTY = "bank_a"
VEIL_JAR = "/opt/veil/veil-psi-jobs-0.1.0-SNAPSHOT.jar"
SPEC = "/etc/veil/psi.yaml"
SUBMIT = "/opt/veil/cluster-configs/spark/submit-yarn.sh"

# A daily job. For a monthly report, use schedule="@monthly" and
# PERIOD = "{{ data_interval_start.strftime('%Y-%m') }}" (for example 2026-11).
PERIOD = "{{ ds }}"

with DAG(
    dag_id=f"veil_psi_customer_overlap_{PARTY}",
    description="Veil PSI: customers bank_a and bank_b have in common, one job per day",
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
    tags=["veil", "psi"],
) as dag:
    # Prints the contract hash and job id of this period into the task log. Both parties can
    # compare them, and an ACL task can use the job id (cluster-configs/kafka/acls.md, option B).
    # Nothing is read or sent here.
    spec_hash = BashOperator(
        task_id="spec_hash",
        bash_command=(
            f"spark-submit --master 'local[1]' --class io.veil.jobs.VeilCli {VEIL_JAR} "
            f"spec-hash --spec {SPEC} --period {PERIOD}"
        ),
    )

    # Submits this party's side to YARN and waits for it. A non-zero exit code fails the task, and
    # the retry runs the same period again (idempotent, see above).
    run_psi = BashOperator(
        task_id="run_psi",
        bash_command=f"{SUBMIT} {PERIOD}",
        env={"PARTY": PARTY, "SPEC": SPEC, "VEIL_JAR": VEIL_JAR},
        append_env=True,
    )

    # The spec's output directory is overwritten by every period's run; keep a copy per period.
    keep_output = BashOperator(
        task_id="keep_output",
        bash_command=(
            "hdfs dfs -mkdir -p /warehouse/veil/bank_a/history/customer-overlap && "
            "hdfs dfs -rm -r -f /warehouse/veil/bank_a/history/customer-overlap/{{ ds }} && "
            "hdfs dfs -cp /warehouse/veil/bank_a/results/customer-overlap "
            "/warehouse/veil/bank_a/history/customer-overlap/{{ ds }}"
        ),
    )

    spec_hash >> run_psi >> keep_output
