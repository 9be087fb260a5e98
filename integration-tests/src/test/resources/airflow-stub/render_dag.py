"""Imports an Airflow DAG file with the stub airflow package and prints its SparkSubmitOperator
tasks as JSON, with the template {{ ds }} rendered as the given date (any other template is an
error: the test would not know its value). Usage: render_dag.py DAG_FILE DS"""
import json
import re
import runpy
import sys

import airflow
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator


def render(value, ds):
    if isinstance(value, str):
        out = re.sub(r"\{\{\s*ds\s*\}\}", ds, value)
        if "{{" in out:
            raise ValueError(f"template the test cannot render: {value}")
        return out
    if isinstance(value, list):
        return [render(v, ds) for v in value]
    if isinstance(value, dict):
        return {k: render(v, ds) for k, v in value.items()}
    return value


runpy.run_path(sys.argv[1], run_name="dag_file")
tasks = [{"dag_id": t.dag_id, "task_id": t.task_id, "kwargs": render(t.kwargs, sys.argv[2])}
         for t in airflow.TASKS if isinstance(t, SparkSubmitOperator)]
print(json.dumps(tasks))
