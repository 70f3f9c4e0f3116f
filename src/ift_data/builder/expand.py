"""Expansion of one dataset's rows into examples: template assignment, options, few-shot, rendering."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from jinja2 import meta

from ift_data.builder.options import options_block
from ift_data.builder.recipe import ExpansionSpec, FewShotSpec
from ift_data.builder.row_store import slot_names
from ift_data.builder.seeds import derive_seed, rng_for
from ift_data.schema import Example, Message, Provenance, Segment
from ift_data.tasks.rows import TaskRow
from ift_data.templates.pack import Template, TemplatePack, check_fields
from ift_data.templates.promptsource_render import PromptsourceRenderer
from ift_data.templates.render import Renderer, RenderError, Span

Assignment = tuple[int, int]  # (row index, template index)
ROW_KEY_CACHE = 65_536  # few-shot: row keys kept at most (then the cache starts again)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One template applied to one row: the input and target spans (empty = skip; a promptsource
    template's skip also says why)."""

    input: list[Span]
    target: list[Span]
    answer_choices: tuple[str, ...] = ()
    skipped_reason: str | None = None


class Skipped(RenderError):
    """A template that makes no example for this row, by rule (promptsource: an unlabeled row, an empty
    prompt or target): counted by its reason like a render failure, never an error of the template."""


class DatasetExpander:
    """Expands the rows of one dataset with the templates of its family."""

    def __init__(self, dataset: str, split: str, rows: Sequence[TaskRow], pack: TemplatePack,
                 label_names: tuple[str, ...], expansion: ExpansionSpec, few_shot: FewShotSpec,
                 seed: int, renderer: Renderer | None = None) -> None:
        self.dataset, self.split, self.rows = dataset, split, rows
        self.templates = tuple(t for t in pack.templates if t.variant in expansion.variants)
        if not self.templates:
            raise ValueError(f"family {pack.family!r} has no templates of variants {expansion.variants}")
        self.label_names = label_names
        self.expansion, self.few_shot, self.seed = expansion, few_shot, seed
        self.renderer = renderer or Renderer()
        self.truncate_chars = pack.truncate_chars
        self.promptsource = PromptsourceRenderer() if any(t.jinja is not None for t in self.templates) else None
        # built-ins never shadow a field: an ift-data pack's own names (answer, options, ...) clash with
        # a field of that name at load time; a promptsource pack sees exactly the record's fields
        check_fields(pack, slot_names(rows), f"dataset {dataset!r}")  # known from reading (rows spilled to disk)
        self._uses_options = [self._uses(t.input, "options") for t in self.templates]
        self._offset = derive_seed(seed, dataset, "round-robin") % len(self.templates)
        self._row_keys: dict[int, tuple[Any, ...]] = {}  # few-shot: some rows' keys (bounded)
        self._groups = (tuple(i for i, t in enumerate(self.templates) if t.variant == "forward"),
                        tuple(i for i, t in enumerate(self.templates) if t.variant == "inverted"))
        self._share = _share(expansion.inverted_share, self._groups)

    @property
    def share_unmet(self) -> bool:
        """An ``inverted_share`` was asked that this pack cannot give (it lacks the forward or the inverted
        templates the share calls for): templates are then drawn from the variants it has."""
        return self.expansion.inverted_share is not None and self._share is None

    def _uses(self, body: str, name: str) -> bool:
        try:
            return name in meta.find_undeclared_variables(self.renderer.env.parse(body))
        except Exception:  # a syntax error surfaces when rendering
            return False

    # -- assignment -------------------------------------------------------------------------------
    def assignments(self, epoch: int = 0) -> list[Assignment]:
        """The (row, template) pairs of one pass over the rows; later epochs use other templates.
        With ``inverted_share``, each template draw first picks the variant (inverted with that
        probability; round-robin spreads the inverted rows evenly, exact to one row), then a template of it."""
        return list(self.iter_assignments(epoch))

    def assignment_arrays(self, epoch: int = 0) -> tuple[array[int], array[int]]:
        """``assignments(epoch)`` as two arrays (row indices, template indices): 12 bytes a pair, not ~100."""
        rows, templates = array("q"), array("i")
        for row, template in self.iter_assignments(epoch):
            rows.append(row)
            templates.append(template)
        return rows, templates

    def pool_size(self) -> int:
        """How many pairs one pass holds (``len(assignments(0))``, without drawing them)."""
        mode, n = self.expansion.assignment, len(self.rows)
        if mode == "all":
            return n * len(self.templates)
        if mode in ("round-robin", "random"):
            return n
        return n * min(self.expansion.k, len(self.templates))

    def iter_assignments(self, epoch: int = 0) -> Iterator[Assignment]:
        """The pairs of ``assignments(epoch)``, one at a time."""
        count, mode = len(self.templates), self.expansion.assignment
        if mode == "all":
            return ((i, t) for i in range(len(self.rows)) for t in range(count))
        if self._share is not None:
            return self._shared_assignments(epoch, self._share)
        if mode == "round-robin":
            return ((i, (i + self._offset + epoch) % count) for i in range(len(self.rows)))
        if mode == "random":
            return ((i, rng_for(self.seed, self.dataset, i, "template", epoch).randrange(count))
                    for i in range(len(self.rows)))
        k = min(self.expansion.k, count)
        return ((i, t) for i in range(len(self.rows))
                for t in sorted(rng_for(self.seed, self.dataset, i, "templates", epoch).sample(range(count), k)))

    def _shared_assignments(self, epoch: int, share: Fraction) -> Iterator[Assignment]:
        forward, inverted = self._groups
        mode = self.expansion.assignment
        if mode == "round-robin":
            used, p, q = [0, 0], share.numerator, share.denominator
            for i in range(len(self.rows)):
                at = i + self._offset + epoch  # the evenly spaced inverted rows move by one each pass
                kind = (at + 1) * p // q - at * p // q  # 1 on exactly p of every q consecutive rows
                group = (forward, inverted)[kind]
                yield i, group[(used[kind] + self._offset + epoch) % len(group)]
                used[kind] += 1
            return
        if mode == "random":
            for i in range(len(self.rows)):
                rng = rng_for(self.seed, self.dataset, i, "template", epoch)
                group = inverted if rng.random() < share else forward
                yield i, group[rng.randrange(len(group))]
            return
        k = min(self.expansion.k, len(self.templates))
        for i in range(len(self.rows)):
            rng = rng_for(self.seed, self.dataset, i, "templates", epoch)
            left = [list(forward), list(inverted)]
            picked = []
            for _ in range(k):
                kind = int(rng.random() < share)
                if not left[kind]:
                    kind = 1 - kind  # this variant is used up for the row: take the other
                picked.append(left[kind].pop(rng.randrange(len(left[kind]))))
            yield from ((i, t) for t in sorted(picked))

    # -- rendering ----------------------------------------------------------------------------------
    def _context(self, row: TaskRow, template_index: int, rng: Any) -> dict[str, Any]:
        template = self.templates[template_index]
        context: dict[str, Any] = dict(row.slots)
        context["label_names"] = list(self.label_names)
        context["_rng"] = rng
        choices = self._choices(template, context)
        context["answer_choices"] = choices
        block, markers = options_block(choices, self.expansion.options, rng)
        context["options"] = block
        label = row.slots.get("label")
        if choices and isinstance(label, int):
            if not 0 <= label < len(choices):
                raise RenderError(f"label index {label} is outside the {len(choices)} answer choices")
            use_marker = (self.expansion.option_target == "marker" and markers is not None
                          and self._uses_options[template_index])
            context["answer"] = markers[label] if use_marker and markers else choices[label]
        return context

    def _choices(self, template: Template, context: dict[str, Any]) -> list[str]:
        if template.verbalizer is not None:
            mapping = dict(template.verbalizer)
            missing = [n for n in self.label_names if n not in mapping]
            if missing:
                raise RenderError(f"verbalizer of {template.id} has no entry for label(s) {missing}")
            return [mapping[n] for n in self.label_names]
        if template.answer_choices is not None:
            text = self.renderer.render_plain(template.answer_choices, context)
            return [c.strip() for c in text.split("|||")] if text.strip() else []
        return list(self.label_names)

    def render_pair(self, row_index: int, template_index: int, epoch: int = 0) -> Rendered:
        row = self.rows[row_index]
        rng = rng_for(self.seed, self.dataset, row_index, template_index, epoch, "render")
        template = self.templates[template_index]
        if template.jinja is not None and self.promptsource is not None:
            applied = self.promptsource.apply(template, row.slots, rng, self.truncate_chars)
            return Rendered(applied.prompt, applied.target, applied.answer_choices or (), applied.skipped_reason)
        context = self._context(row, template_index, rng)
        prompt, target = self.renderer.render_parts((template.input, template.target), context)
        return Rendered(prompt, target, tuple(context["answer_choices"]))

    def example(self, row_index: int, template_index: int, epoch: int = 0) -> Example | None:
        """The example for one assignment; None when the template renders empty for this row.
        A broken template or value raises ``RenderError``."""
        made = self.made(row_index, template_index, epoch)
        return None if made is None else self.example_from(row_index, template_index, epoch, *made)

    def made(self, row_index: int, template_index: int, epoch: int = 0) -> tuple[Rendered, list[Rendered]] | None:
        """What ``example(...)`` is made of, the rendered query and its exemplars; None when it renders
        empty (the same errors raised)."""
        rendered = self.render_pair(row_index, template_index, epoch)
        if rendered.skipped_reason is not None:
            raise Skipped(rendered.skipped_reason)
        if not rendered.input or not rendered.target:
            return None
        return rendered, self._exemplars(row_index, template_index, epoch)

    def example_from(self, row_index: int, template_index: int, epoch: int, rendered: Rendered,
                     exemplars: Sequence[Rendered], location: str | None = None) -> Example:
        """The example of one assignment from what ``made`` returned (``location``: the row's, when known,
        so that the row is not read again)."""
        template = self.templates[template_index]
        messages = self._messages(rendered, list(exemplars))
        return Example(
            id=self.example_id(row_index, template_index, epoch),
            source=Provenance(dataset=self.dataset, task=template.family, template=template.id,
                              variant=template.variant, shots=len(exemplars),
                              row=self.rows[row_index].location if location is None else location,
                              split=self.split),
            messages=messages,
        )

    def example_id(self, row_index: int, template_index: int, epoch: int = 0) -> str:
        """The id of the example of one assignment (known without rendering it)."""
        suffix = f":e{epoch}" if epoch else ""
        return f"{self.dataset}:{row_index}:{self.templates[template_index].id}{suffix}"

    # -- few-shot -----------------------------------------------------------------------------------
    def _row_key(self, index: int) -> tuple[Any, ...]:
        """A row's values, to tell a duplicate of the query; made when asked (a row's key is not kept for
        every row: the rows may be spilled to disk), up to ``ROW_KEY_CACHE`` of them kept."""
        key = self._row_keys.get(index)
        if key is None:
            if len(self._row_keys) >= ROW_KEY_CACHE:
                self._row_keys.clear()
            key = self._row_keys[index] = tuple(sorted((k, str(v)) for k, v in self.rows[index].slots.items()))
        return key

    def _exemplars(self, row_index: int, template_index: int, epoch: int) -> list[Rendered]:
        spec = self.few_shot
        if spec.share <= 0 or spec.k <= 0 or len(self.rows) < 2:
            return []
        rng = rng_for(self.seed, self.dataset, row_index, epoch, "few-shot")
        if rng.random() >= spec.share:
            return []
        query_key = self._row_key(row_index)
        chosen: list[Rendered] = []
        used = 0
        for _ in range(spec.k * 4):
            if len(chosen) == spec.k:
                break
            candidate = rng.randrange(len(self.rows))
            if candidate == row_index or self._row_key(candidate) == query_key:
                continue  # never the query itself, never a duplicate of it
            try:
                rendered = self.render_pair(candidate, template_index, epoch)
            except RenderError:
                continue
            if rendered.skipped_reason is not None or not rendered.input or not rendered.target:
                continue
            size = sum(len(t) for t, _ in rendered.input) + sum(len(t) for t, _ in rendered.target)
            if used + size > spec.max_chars:
                break
            if any(r == rendered for r in chosen):
                continue
            chosen.append(rendered)
            used += size
        return chosen

    def _messages(self, query: Rendered, exemplars: list[Rendered]) -> tuple[Message, ...]:
        if exemplars and self.few_shot.style == "multi-turn":
            messages: list[Message] = []
            for shot in [*exemplars, query]:
                messages.append(_message("user", shot.input))
                messages.append(_message("assistant", shot.target))
            return tuple(messages)
        spans: list[Span] = []
        for shot in exemplars:
            spans.extend(shot.input)
            spans.append(("\n", "boilerplate"))
            spans.extend(shot.target)
            spans.append(("\n\n", "boilerplate"))
        spans.extend(query.input)
        return _message("user", spans), _message("assistant", query.target)


def _share(wanted: float | None, groups: tuple[tuple[int, ...], tuple[int, ...]]) -> Fraction | None:
    """The inverted share to draw with, exact (``0.3`` is 3/10, so round-robin gives 3 of every 10 rows);
    None: draw from all templates alike (no share asked, or the pack lacks a variant the share needs)."""
    if wanted is None:
        return None
    forward, inverted = groups
    if (wanted > 0 and not inverted) or (wanted < 1 and not forward):
        return None
    return Fraction(wanted).limit_denominator(10**6)


def _message(role: str, spans: list[Span]) -> Message:
    merged: list[Span] = []
    for text, kind in spans:
        if merged and merged[-1][1] == kind:
            merged[-1] = (merged[-1][0] + text, kind)
        else:
            merged.append((text, kind))
    return Message(role, tuple(Segment(text, kind, role) for text, kind in merged))  # type: ignore[arg-type]
