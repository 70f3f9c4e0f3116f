"""Build mistakes that would otherwise give exit 0 and a wrong or empty output: held-out clusters that
match nothing, held-out datasets without the eval split, a DMT schedule with an empty stage, datasets with
no rows or whose every row is rejected (at export too), and template packs that fail lint on the task's own
rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from ift_data.builder.counters import Ledger
from ift_data.builder.outcome import ROW_DROPPED_AT_EXPORT
from ift_data.builder.recipe import Collection, DatasetEntry, Recipe
from ift_data.errors import SpecError, TemplateError, UserError
from ift_data.schema import Reject
from ift_data.tasks.rows import TaskRow
from ift_data.templates.lint import LintIssue, lint_task
from ift_data.templates.pack import TemplatePack

LINT_SAMPLE_ROWS = 25


class LintFailure(TemplateError):
    """A pack fails lint on the rows of a task it is used for; ``issues`` holds every error."""

    def __init__(self, message: str, issues: Sequence[LintIssue], **where: object) -> None:
        self.issues = list(issues)
        super().__init__(message, **where)  # type: ignore[arg-type]


def split_held_out(recipe: Recipe) -> tuple[list[DatasetEntry], list[DatasetEntry]]:
    """(train, held out): held out is a dataset whose cluster is held out, or that names a held-out
    cluster as related. Every held-out cluster must match a dataset's cluster, and with ``write_eval``
    every dataset of a held-out cluster must have the eval split."""
    spec = recipe.held_out
    clusters = set(spec.clusters)
    entries = recipe.root.datasets()
    known = {e.task.cluster for e in entries}
    related = {r for e in entries for r in e.task.related}
    for name in spec.clusters:
        if name not in known | related:
            raise SpecError(f"held-out cluster {name!r} matches no dataset's cluster, so nothing would be held "
                            f"out (clusters: {', '.join(sorted(known))})", file=recipe.path,
                            field="held_out.clusters")
    train: list[DatasetEntry] = []
    held: list[DatasetEntry] = []
    for entry in entries:
        hit = entry.task.cluster in clusters or bool(clusters & set(entry.task.related))
        (held if hit else train).append(entry)
    if not train:
        raise SpecError("every dataset is held out; nothing is left to train on", file=recipe.path,
                        field="held_out.clusters")
    for entry in held:
        if entry.task.cluster in clusters and spec.write_eval and spec.eval_split not in dict(entry.task.source.splits):
            raise SpecError(f"dataset {entry.name!r} is held out (cluster {entry.task.cluster!r}) but has no "
                            f"{spec.eval_split!r} split to evaluate on (splits: "
                            f"{', '.join(s for s, _ in entry.task.source.splits)}); add it, or set "
                            "held_out.eval_split / held_out.write_eval", file=entry.task.path, field="source.splits")
    return train, held


def domain_datasets(recipe: Recipe) -> set[str]:
    """The names of the datasets the DMT schedule's ``domain`` names (a collection: all its datasets); a name
    that is no dataset or collection of the recipe is an error."""
    by_name = {member.name: member for member in _walk(recipe.root)}
    domain: set[str] = set()
    for name in recipe.schedule.domain:
        member = by_name.get(name)
        if member is None:
            raise SpecError(f"schedule names {name!r}, which is no dataset or collection of the recipe",
                            file=recipe.path, field="schedule.domain")
        domain |= {d.name for d in member.datasets()} if isinstance(member, Collection) else {name}
    return domain


def _walk(collection: Collection) -> Iterator[DatasetEntry | Collection]:
    for member in collection.members:
        yield member
        if isinstance(member, Collection):
            yield from _walk(member)


def check_schedule(recipe: Recipe, train: Sequence[DatasetEntry]) -> None:
    """A DMT schedule leaves neither stage without data: its domain names members of the recipe, not only
    held-out datasets (stage 1 would be empty), and not every trained dataset (stage 2 would hold no general
    data)."""
    if recipe.schedule.mode != "dmt":
        return
    domain = domain_datasets(recipe)
    trained = {entry.name for entry in train}
    if not domain & trained:
        raise SpecError(f"every dataset of the DMT domain ({', '.join(sorted(domain))}) is held out: stage 1 would "
                        "be empty", file=recipe.path, field="schedule.domain")
    if trained <= domain:
        raise SpecError("the DMT domain holds every trained dataset: stage 2 would have no general data "
                        "(use mode: single)", file=recipe.path, field="schedule.domain")


def check_not_all_rejected(dataset: str, rows_in: int, rejects: Sequence[Reject], allow: bool) -> None:
    """A dataset that had rows, all of them rejected, stops the build with the first reject's reason."""
    if allow or rows_in == 0 or len(rejects) < rows_in:
        return
    first = rejects[0]
    raise UserError(f"all {rows_in:,} rows of dataset {dataset!r} were rejected at stage {first.stage}; "
                    f"the first: {first.reason} (--allow-empty-datasets builds without them)",
                    file=first.file, line=first.line, field=first.field)


def check_has_rows(dataset: str, split: str, file: str, rows_in: int, allow: bool) -> None:
    """A split that holds no row at all (an empty or blank file, a header alone, a records path that matches
    nothing) stops the build like one whose rows are all rejected: it built 0 examples with exit 0."""
    if allow or rows_in:
        return
    raise UserError(f"no rows in the {split} split of dataset {dataset!r} (the file is empty, blank, or a header "
                    "without rows; --allow-empty-datasets builds without them)", file=file)


def check_not_all_exported(ledgers: Mapping[str, Ledger], allow: bool) -> None:
    """A dataset that had examples, every one dropped at export (a control token of the chat format in each,
    every one over ``--max-len``), stops the build with the first export reject's reason; before this it
    wrote an empty file with exit 0."""
    if allow:
        return
    for name, ledger in ledgers.items():
        exported = [r for r in ledger.rejects if isinstance(r, Reject) and r.stage == "export"]
        if ledger.used or not exported:
            continue
        first = exported[0]
        reason = first.reason.removeprefix(ROW_DROPPED_AT_EXPORT)
        raise UserError(f"every example of dataset {name!r} ({len(exported):,} rows) was dropped at export; the "
                        f"first: {reason} (--allow-empty-datasets builds without them)",
                        file=first.file, line=first.line, field=first.field)


def check_lint(entry: DatasetEntry, pack: TemplatePack, rows: Sequence[TaskRow], variants: Sequence[str],
               allow: bool) -> list[LintIssue]:
    """Lint the pack on the task's first rows; errors stop the build unless ``allow``."""
    issues = lint_task(pack, rows[:LINT_SAMPLE_ROWS], entry.task.label_names, tuple(variants))
    if issues and not allow:
        first = issues[0]
        raise LintFailure(f"template {first.template_id} fails lint ({first.code}) on the rows of task {entry.task.name!r} "
                          f"({entry.task.path}): {first.message}; {len(issues):,} lint error(s) in all; fix the "
                          "pack or the task spec, or pass --allow-lint-errors", issues,
                          file=first.file, line=first.line, field=f"templates.{first.template_id}")
    return issues
