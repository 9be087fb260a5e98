from airflow import BaseOperator

# The arguments of apache-airflow-providers-apache-spark's SparkSubmitOperator that the test turns
# into a spark-submit command line; any other argument is refused, so the DAG cannot use one the
# test would silently ignore.
KNOWN = {"conn_id", "application", "java_class", "name", "files", "conf", "driver_memory", "executor_memory",
         "executor_cores", "num_executors", "application_args"}


class SparkSubmitOperator(BaseOperator):
    def __init__(self, task_id, **kwargs):
        unknown = set(kwargs) - KNOWN
        if unknown:
            raise TypeError(f"SparkSubmitOperator argument(s) the test does not model: {sorted(unknown)}")
        super().__init__(task_id, **kwargs)
