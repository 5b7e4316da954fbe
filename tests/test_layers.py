"""The engine's layers (docs/architecture.md): no module imports from a higher layer, and there is no cycle;
play loads nothing of the data layer."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lower number, lower layer; a module may import its own layer or lower ones.
LAYERS = {"engine.actions": 0, "engine.config": 0, "engine.errors": 0, "engine.files": 0, "engine.geometry": 0,
          "engine.images": 0,
          "engine.interrupts": 0, "engine.policies": 0, "engine.reports": 0,
          "engine.data": 1, "engine.memory": 1, "engine.models": 2, "engine.training": 3, "engine.pack": 4, "engine.export": 5,
          "engine.runtime": 6, "engine.evaluation": 7, "engine.env": 8, "engine.cli": 8, "app": 9}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[0] if parts[0] == "app" else ".".join(parts[:2])


def imports(modules: bool = False) -> dict[str, set[str]]:
    """Every engine/app module's imports of engine/app modules, lazy imports inside functions included.
    With ``modules``, ``from package import name`` names the submodule ``package.name`` where there is one."""
    found: dict[str, set[str]] = {}
    paths = [*ROOT.glob("engine/**/*.py"), *ROOT.glob("app/**/*.py")]
    known = {".".join(path.relative_to(ROOT).with_suffix("").parts) for path in paths}
    for path in paths:
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if parts[-1] == "__init__" else module.rsplit(".", 1)[0]
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base])
                base = base.strip(".")
                submodules = {f"{base}.{alias.name}" for alias in node.names} & known if modules else set()
                names.update(submodules or {base})
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module] = {name for name in names if name.split(".")[0] in ("engine", "app")}
    return found


def test_no_module_imports_from_a_higher_layer():
    found = imports()
    assert "engine.pack" in found["engine.runtime.session"] and "engine.pack.rollout" in found["engine.export.export"]
    upward = [f"{module} -> {name}" for module, names in found.items() for name in names
              if LAYERS[layer_of(name)] > LAYERS[layer_of(module)]]
    assert upward == []


def test_no_import_cycle_between_packages():
    edges: dict[str, set[str]] = {}
    for module, names in imports().items():
        edges.setdefault(layer_of(module), set()).update(layer_of(name) for name in names if layer_of(name) != layer_of(module))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(step == goal or (step not in seen and reaches(step, goal, seen | {step}))
                   for step in edges.get(start, ()))

    assert [package for package in edges if reaches(package, package, set())] == []


def test_no_import_cycle_between_modules():
    """A lazy import inside a function hides a cycle from the interpreter, not from the reader: the two
    modules still cannot be understood, tested or moved apart."""
    edges = imports(modules=True)
    assert "engine.training.latents" in edges["engine.training.memory_anchors"]

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(edges.get(start, ()))
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(edges.get(module, ()))
        return seen

    assert sorted(module for module in edges if module in reachable(module)) == []


def loaded_modules(module: str) -> set[str]:
    """The modules a fresh interpreter loads to import ``module`` (``python -X importtime``)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def test_play_loads_nothing_of_the_data_layer():
    """Play shares its image arithmetic with training through engine.images, and its agents' policies through
    engine.policies, not through engine.data: the runtime and the player start without the simulators'
    modules, and no play module imports them later either."""
    for module in ("engine.runtime", "app.player"):
        loaded = loaded_modules(module)
        assert {module, "engine.images", "engine.runtime.session"} <= loaded
        assert sorted(name for name in loaded if name == "engine.data" or name.startswith("engine.data.")) == []
    play = [f"{module} -> {name}" for module, names in imports().items() for name in names
            if (layer_of(module) in ("engine.runtime", "engine.memory", "engine.pack") or module == "app.player")
            and layer_of(name) == "engine.data"]
    assert "engine.policies" in imports()["app.player"] and play == []
