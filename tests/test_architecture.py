"""The design's structural rules (docs/architecture.md): no group of the project's modules imports
each other in a circle, counting imports inside functions, which is how a circle usually hides.

The layering and the Django-free domain modules are import-linter contracts (.importlinter, run
by `make lint`); this test covers what a contract cannot say: no circle anywhere, whatever the
modules' names.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "core", "partners", "matching", "sourcing", "accounts")
SKIPPED_FOLDERS = {"migrations", "__pycache__"}


def project_modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of the given top-level packages, by dotted name (a package by its own)."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else ():
            parts = path.relative_to(root).with_suffix("").parts
            if SKIPPED_FOLDERS.intersection(parts):
                continue
            name = ".".join(parts).removesuffix(".__init__")
            modules[name] = path
    return modules


def imported_names(module: str, path: Path) -> Iterator[str]:
    """The dotted names a module imports, anywhere in it: at the top, in a function, in a
    class. `from a import b` yields both `a` and `a.b` (b may be a module)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the project modules it imports. An import of a package's own parent package
    is left out: Python runs the parent first whatever the child imports."""
    modules = project_modules(root, packages)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        for name in imported_names(module, path):
            target = resolve(name)
            if target and target != module and not module.startswith(f"{target}."):
                graph[module].add(target)
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other in a circle (the strongly connected
    components of more than one module, or a module importing itself), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(start: str) -> None:
        # Tarjan's algorithm, iterative: the project's import chains are deep enough to make
        # recursion a risk.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph[node]:
                        circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(circles)


def test_no_modules_of_the_project_import_each_other_in_a_circle():
    graph = import_graph(ROOT, APPS)

    assert len(graph) > 50  # the project's modules were found
    assert import_circles(graph) == []


def test_partners_imports_no_later_app():
    graph = import_graph(ROOT, APPS)

    upward = sorted(
        (module, target)
        for module, targets in graph.items()
        if module.split(".")[0] == "partners"
        for target in targets
        if target.split(".")[0] in {"matching", "sourcing"}
    )
    assert upward == []


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_circle_closed_by_an_import_inside_a_function_is_found(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/runs.py": "def start():\n    from app.tasks import send\n",
            "app/tasks.py": "from app import runs\n",
            "app/views.py": "from app.runs import start\n",
            "app/migrations/0001_initial.py": "from app import views\n",
        },
    )

    assert import_circles(import_graph(tmp_path, ("app",))) == [["app.runs", "app.tasks"]]


def test_a_circle_through_relative_imports_and_a_package_face_is_found(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models/__init__.py": "from .site import Site\n",
            "app/models/site.py": "from ..linking import relink\n",
            "app/linking.py": "from app.version import bump\n",
            "app/version.py": "def bump():\n    from app.models import site\n",
        },
    )

    # version imports the models package, whose face imports site: the package is in it too.
    assert import_circles(import_graph(tmp_path, ("app",))) == [
        ["app.linking", "app.models", "app.models.site", "app.version"]
    ]
