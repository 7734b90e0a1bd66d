"""Reading and validating tour files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CONTENT_DIR", "LANGUAGES", "Step", "Tour", "TourError", "load_tour", "load_tours"]

CONTENT_DIR = Path(__file__).parent / "content"
LANGUAGES = ("en", "zh-hans")
VIEWS = re.compile(r"^(overview|control-plane|storage|network|nodes/[A-Za-z0-9._-]+)$")
# A highlight names a component id, every component of a kind (`kind:pod`), those of a kind on one
# node (`kind:pod@worker-1`), or every edge of a kind (`edge:watch`).
SELECTOR = re.compile(r"^(kind:[a-z-]+(@[A-Za-z0-9._-]+)?|edge:[a-z-]+|[a-z-]+/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?)$")
STEP_TEXT_KEYS = {"title", "what", "talks_to", "breaks", "try"}
STEP_KEYS = {"key", "highlight", "view", "try", "animate"}


class TourError(ValueError):
    """A tour file is malformed; the message names the file, the line and what is wrong."""


class _LineLoader(yaml.SafeLoader):
    """Remembers the line each mapping starts on, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Mapping(dict):  # type: ignore[type-arg]
    line = 0


def _read(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise TourError(f"{_name(path)}{line}: not valid YAML ({getattr(error, 'problem', error)})") from None
    except OSError as error:
        raise TourError(f"{_name(path)}: cannot be read ({error.strerror})") from None


def _name(path: Path) -> str:
    try:
        return str(path.relative_to(CONTENT_DIR.parent.parent.parent))
    except ValueError:
        return str(path)


def _fail(path: Path, where: Any, message: str) -> TourError:
    line = getattr(where, "line", 0)
    return TourError(f"{_name(path)}{f', line {line}' if line else ''}: {message}")


@dataclass(frozen=True)
class TryIt:
    """A simulator command the learner can run, and the event that shows it took effect."""

    command: dict[str, Any]
    wait_for: dict[str, str]
    # The state the command brings about ({"component": id, "status": word}): when the
    # cluster is already so (the step is run a second time), the next step is offered at once.
    already: dict[str, str] | None = None


@dataclass(frozen=True)
class Step:
    key: str
    number: int
    view: str
    highlight: tuple[str, ...]
    texts: dict[str, dict[str, str]]  # language -> title, what, talks_to, breaks, try
    try_it: TryIt | None = None
    # Event reason -> what to highlight when the simulator performs that hop.
    animate: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def text(self, language: str) -> dict[str, str]:
        return self.texts.get(language) or self.texts["en"]


@dataclass(frozen=True)
class Tour:
    slug: str
    order: int
    titles: dict[str, str]
    summaries: dict[str, str]
    steps: tuple[Step, ...]

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles["en"]

    def summary(self, language: str) -> str:
        return self.summaries.get(language) or self.summaries["en"]

    def step(self, number: int) -> Step | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None


def _selectors(path: Path, where: Any, value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, where, f"{what} must be a list of selectors")
    for selector in value:
        if not SELECTOR.match(selector):
            raise _fail(path, where, f"{what}: {selector!r} is not a component id, kind:<kind> or edge:<kind>")
    return tuple(value)


def _structure(path: Path) -> tuple[int, list[dict[str, Any]]]:
    data = _read(path)
    if not isinstance(data, dict):
        raise _fail(path, data, "a tour.yaml is a mapping with 'order' and 'steps'")
    unknown = set(data) - {"order", "view", "steps"}
    if unknown:
        raise _fail(path, data, f"unknown keys: {', '.join(sorted(unknown))}")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise _fail(path, data, "'steps' must be a non-empty list")
    default_view = data.get("view", "overview")
    parsed = []
    seen: set[str] = set()
    for raw in steps:
        if not isinstance(raw, dict):
            raise _fail(path, data, "each step is a mapping with at least 'key' and 'highlight'")
        unknown = set(raw) - STEP_KEYS
        if unknown:
            raise _fail(path, raw, f"unknown step keys: {', '.join(sorted(unknown))}")
        key = raw.get("key")
        if not isinstance(key, str) or not re.match(r"^[a-z0-9-]+$", key):
            raise _fail(path, raw, "a step needs a 'key' of lowercase letters, digits and dashes")
        if key in seen:
            raise _fail(path, raw, f"step key {key!r} is used twice")
        seen.add(key)
        view = raw.get("view", default_view)
        if not isinstance(view, str) or not VIEWS.match(view):
            raise _fail(path, raw, f"step {key!r}: unknown view {view!r}")
        try_it = None
        if "try" in raw:
            spec = raw["try"]
            if not isinstance(spec, dict) or not isinstance(spec.get("command"), dict):
                raise _fail(path, raw, f"step {key!r}: 'try' needs a 'command' mapping")
            if not isinstance(spec["command"].get("action"), str):
                raise _fail(path, spec, f"step {key!r}: the try command needs an 'action'")
            wait_for = spec.get("wait_for")
            if not isinstance(wait_for, dict) or not isinstance(wait_for.get("reason"), str):
                raise _fail(
                    path, spec, f"step {key!r}: 'try' needs 'wait_for' with the event 'reason' that shows it worked"
                )
            already = spec.get("already")
            if already is not None and (
                not isinstance(already, dict)
                or set(already) != {"component", "status"}
                or not all(isinstance(v, str) for v in already.values())
            ):
                raise _fail(path, spec, f"step {key!r}: 'already' names a 'component' id and the 'status' it reaches")
            try_it = TryIt(
                dict(spec["command"]), {k: str(v) for k, v in wait_for.items()}, dict(already) if already else None
            )
        animate: dict[str, tuple[str, ...]] = {}
        if "animate" in raw:
            if not isinstance(raw["animate"], dict):
                raise _fail(path, raw, f"step {key!r}: 'animate' maps event reasons to selectors")
            for reason, selectors in raw["animate"].items():
                animate[str(reason)] = _selectors(path, raw["animate"], selectors, f"step {key!r} animate {reason}")
        parsed.append(
            {
                "key": key,
                "view": view,
                "highlight": _selectors(path, raw, raw.get("highlight", []), f"step {key!r} highlight"),
                "try_it": try_it,
                "animate": animate,
            }
        )
    order = data.get("order", 99)
    if not isinstance(order, int):
        raise _fail(path, data, "'order' must be a whole number")
    return order, parsed


def _texts(path: Path, keys: list[str], tries: set[str]) -> tuple[str, str, dict[str, dict[str, str]]]:
    data = _read(path)
    if not isinstance(data, dict):
        raise _fail(path, data, "a language file is a mapping with 'title', 'summary' and 'steps'")
    for required in ("title", "summary", "steps"):
        if required not in data:
            raise _fail(path, data, f"missing {required!r}")
    for required in ("title", "summary"):
        if not isinstance(data[required], str) or not data[required].strip():
            raise _fail(path, data, f"{required!r} must be text")
    steps = data["steps"]
    if not isinstance(steps, dict):
        raise _fail(path, data, "'steps' maps each step key to its text")
    missing = [k for k in keys if k not in steps]
    if missing:
        raise _fail(path, steps, f"no text for steps: {', '.join(missing)}")
    extra = [k for k in steps if k not in keys]
    if extra:
        raise _fail(path, steps, f"steps not in tour.yaml: {', '.join(extra)}")
    texts: dict[str, dict[str, str]] = {}
    for key in keys:
        entry = steps[key]
        if not isinstance(entry, dict):
            raise _fail(path, steps, f"step {key!r}: a mapping of title, what, talks_to, breaks")
        unknown = set(entry) - STEP_TEXT_KEYS
        if unknown:
            raise _fail(path, entry, f"step {key!r}: unknown keys {', '.join(sorted(unknown))}")
        needed = {"title", "what"} | ({"try"} if key in tries else set())
        for name in sorted(needed):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise _fail(path, entry, f"step {key!r} lacks {name!r}")
        texts[key] = {name: str(value).strip() for name, value in entry.items()}
    return data["title"].strip(), data["summary"].strip(), texts


def load_tour(folder: Path) -> Tour:
    structure = folder / "tour.yaml"
    order, steps = _structure(structure)
    keys = [s["key"] for s in steps]
    tries = {s["key"] for s in steps if s["try_it"]}
    titles: dict[str, str] = {}
    summaries: dict[str, str] = {}
    texts: dict[str, dict[str, dict[str, str]]] = {}
    for language in LANGUAGES:
        path = folder / f"{language}.yaml"
        if not path.exists():
            raise TourError(f"{_name(path)}: missing (every tour has a file per language: {', '.join(LANGUAGES)})")
        titles[language], summaries[language], texts[language] = _texts(path, keys, tries)
    return Tour(
        slug=folder.name,
        order=order,
        titles=titles,
        summaries=summaries,
        steps=tuple(
            Step(
                key=s["key"],
                number=i,
                view=s["view"],
                highlight=s["highlight"],
                texts={language: texts[language][s["key"]] for language in LANGUAGES},
                try_it=s["try_it"],
                animate=s["animate"],
            )
            for i, s in enumerate(steps, start=1)
        ),
    )


@cache
def load_tours(content_dir: Path = CONTENT_DIR) -> dict[str, Tour]:
    """Every tour, by slug, in their order."""
    tours = [load_tour(folder) for folder in sorted(content_dir.iterdir()) if (folder / "tour.yaml").exists()]
    return {t.slug: t for t in sorted(tours, key=lambda t: (t.order, t.slug))}
