"""The part of Airflow's API that Veil's example DAG uses, for SchedulerExamplesIT: the DAG file is
executed as Airflow would import it, and every operator it creates is recorded with its arguments
(Airflow itself is not installable here; the test checks the command the DAG holds, not Airflow)."""

TASKS = []
_CONTEXT = []


class DAG:
    def __init__(self, dag_id, **kwargs):
        self.dag_id = dag_id
        self.kwargs = kwargs

    def __enter__(self):
        _CONTEXT.append(self)
        return self

    def __exit__(self, *exc):
        _CONTEXT.pop()
        return False


class BaseOperator:
    def __init__(self, task_id, **kwargs):
        if not _CONTEXT:
            raise RuntimeError(f"task {task_id} is created outside a DAG")
        self.task_id = task_id
        self.dag_id = _CONTEXT[-1].dag_id
        self.kwargs = kwargs
        TASKS.append(self)

    def __rshift__(self, other):
        return other
