"""The architecture, checked: the core's layers import downwards only and form no circle, the
plugin author API loads no engine module, and plugins import only the documented API.

docs/architecture.md describes the same layers; change both together.
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

#: bottom to top; a module may import its own layer and those below it.  A name stands for a
#: module and, when it is a package, everything inside it.
LAYERS = [
    (
        "foundation",
        [
            "ember._lazy",
            "ember._typing",
            "ember._version",
            "ember.conf",
            "ember.errors",
            "ember.storagelevel",
            "ember.resultiterable",
        ],
    ),
    ("serde", ["ember.serde"]),
    ("author API", ["ember.plugins"]),
    ("plugin host", ["ember.pluginhost"]),
    ("executor", ["ember.executor"]),
    ("rdd", ["ember.rdd", "ember.context", "ember.accumulators", "ember.broadcast"]),
    ("streaming", ["ember.streaming"]),
    ("checkpoint", ["ember.checkpoint"]),
    ("top", ["ember", "ember.cli", "ember.testing", "ember.statcounter", "ember.__main__"]),
]

#: what a plugin distribution may import from ember: the author API (with its test helpers),
#: the executor interface (``ember.executor``'s namespace, for executor plugins) and the
#: PySpark-mirroring API
AUTHOR_API = {
    "ember",
    "ember.plugins",
    "ember.plugins.testing",
    "ember.executor",
    "ember.streaming",
    "ember.streaming.listener",
    "ember.testing",
}
PLUGIN_FOLDERS = ["connectors", "sinks", "plugins"]

#: the engine: what importing the author API must not load
ENGINE = ["ember.rdd", "ember.streaming", "ember.executor", "ember.checkpoint", "ember.context"]


def module_name(path: pathlib.Path, base: pathlib.Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: pathlib.Path, *, type_only: bool = True) -> list[tuple[int, str, list[str]]]:
    """Every import in the file, at any depth (inside functions too): (line, module, the names
    taken from it).  ``type_only=False`` leaves out those under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped = (
        set()
        if type_only
        else {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for statement in block.body
            for node in ast.walk(statement)
        }
    )
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def unit_of(module: str) -> str:
    """The layer entry a core module belongs to (the longest matching name)."""
    names = [name for _, names in LAYERS for name in names]
    matches = [name for name in names if module == name or module.startswith(name + ".")]
    assert matches, f"{module} is in no layer: add it to LAYERS (and docs/architecture.md)"
    return max(matches, key=len)


def layer_of(unit: str) -> int:
    return next(index for index, (_, names) in enumerate(LAYERS) if unit in names)


def core_imports(type_only: bool = True) -> list[tuple[str, int, str, str]]:
    """(importing file, line, importing unit, imported unit) for every ember import in the core."""
    edges = []
    for path in sorted((CORE / "ember").rglob("*.py")):
        importer = unit_of(module_name(path, CORE))
        for line, module, _ in imported_modules(path, type_only=type_only):
            if module == "ember" or module.startswith("ember."):
                edges.append((str(path.relative_to(CORE)), line, importer, unit_of(module)))
    return edges


def test_every_core_import_goes_down_the_layers():
    upward = [
        f"{where}:{line}: {importer} ({LAYERS[layer_of(importer)][0]}) imports {imported} "
        f"({LAYERS[layer_of(imported)][0]})"
        for where, line, importer, imported in core_imports()
        if layer_of(imported) > layer_of(importer)
    ]
    assert upward == []


def test_the_core_packages_form_no_circle():
    """Imports that only annotate (``if TYPE_CHECKING:``) must go down the layers too, but may
    point back within a layer (an RDD's ``context`` is a SparkContext): they run no code."""
    graph: dict[str, set[str]] = {}
    for _, _, importer, imported in core_imports(type_only=False):
        if importer != imported:
            graph.setdefault(importer, set()).add(imported)
    circles = [cycle for cycle in (_cycle_through(graph, unit) for unit in sorted(graph)) if cycle]
    assert circles == []


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start when there is one."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        unit, path = stack.pop()
        for following in sorted(graph.get(unit, ())):
            if following == start:
                return path + [start]
            if following not in seen:
                seen.add(following)
                stack.append((following, path + [following]))
    return None


def test_the_layer_test_sees_imports_hidden_in_functions(tmp_path):
    hidden = tmp_path / "hidden.py"
    hidden.write_text("def f():\n    from ember.checkpoint import open_store\n", encoding="utf-8")
    assert imported_modules(hidden) == [(2, "ember.checkpoint", ["open_store"])]


def test_importing_the_author_api_loads_no_engine_module():
    program = (
        "import sys, ember.plugins\n"
        f"print(sorted(m for m in sys.modules if m.startswith({tuple(ENGINE)!r})))"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_plugins_import_only_the_documented_author_api():
    submodules = {
        module_name(path, CORE).rsplit(".", 1)[-1]
        for path in (CORE / "ember" / "plugins").glob("*.py")
        if path.stem != "__init__"
    }
    offenders = []
    for folder in PLUGIN_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            for line, module, names in imported_modules(path):
                if not (module == "ember" or module.startswith("ember.")):
                    continue
                if module not in AUTHOR_API or (module == "ember.plugins" and submodules & set(names)):
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {module} {names}")
    assert offenders == []


def test_each_lazy_package_name_is_the_object_of_the_module_it_names():
    for package_name in ("ember.plugins", "ember.streaming"):
        package = importlib.import_module(package_name)
        homes = vars(package)["_HOMES"]
        assert sorted(homes) == sorted(package.__all__), package_name
        for name, home in homes.items():
            assert getattr(package, name) is getattr(importlib.import_module(home), name), name


def test_a_worker_loads_neither_the_plugin_host_nor_the_streaming_driver():
    """What a worker imports to start, to run a task and to host a receiver: its start-up, and
    a receiver's restart on another worker, must not wait for the driver's side."""
    program = (
        "import sys, ember.executor.worker, ember.rdd.scheduler, ember.streaming.receiver_service\n"
        "print(sorted(m for m in sys.modules if m.startswith(('ember.pluginhost', 'ember.streaming.context'))))"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
