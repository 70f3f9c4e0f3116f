"""Task specs: how a raw dataset's fields map onto a task family's slots and labels."""

from ift_data.tasks.spec import SourceSpec, TaskSpec, load_task_spec

__all__ = ["SourceSpec", "TaskSpec", "load_task_spec"]
