"""The package's import graph: no module imports a module that imports it back, and
every module imports cleanly as the first one of a fresh interpreter."""
import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ('neon_compat', 'neon')


def package_modules():
    """{dotted module name: path} of every module of neon_compat and neon."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob('*.py'):
            parts = list(path.relative_to(ROOT).with_suffix('').parts)
            if parts[-1] == '__init__':
                parts.pop()
            modules['.'.join(parts)] = path
    return modules


def imported_modules(name, path, modules):
    """The package modules `name` imports anywhere in its code (function bodies too).

    `from a.b import c` counts a.b.c when c is a module, else a.b; the parent packages
    Python imports on the way are not counted (they cannot be avoided).
    """
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(parent + ([base] if base else []))
            for alias in node.names:
                sub = base + '.' + alias.name
                found.add(sub if sub in modules else base)
    return {m for m in found if m in modules and m != name}


def import_cycles(graph):
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_the_cycle_finder_finds_a_planted_circle():
    graph = {'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}
    assert import_cycles(graph) == [['a', 'b', 'c']]


def test_no_module_imports_a_module_that_imports_it_back():
    modules = package_modules()
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    assert graph['neon_compat.layers.layer'] >= {'neon_compat.layers.base',
                                                 'neon_compat.layers.convolutional'}
    assert import_cycles(graph) == []


def test_every_module_imports_first_and_layers_keep_neon_module_paths():
    modules = sorted(package_modules())
    result = subprocess.run([sys.executable, str(ROOT / 'tests' / 'import_check.py')] + modules,
                            cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
