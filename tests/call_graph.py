"""Which adapter methods an entry point of functions/main.py can reach, read from the source.

A name-based call graph over functions/ (the adapters and the wiring left out): a definition
reaches every function, class and module-level value it names, and every method whose name it
uses as an attribute, among the classes of its own module and of the modules it imports. That
over-approximates (two methods of one name are both reached), never under-approximates calls
made by name, which is all the code does. An adapter call is `deps.<field>.<method>` (or
`self._deps...`) with `field` one of the Dependencies fields; naming a field without calling a
method on it (passing `deps.rate_limits` along) reaches every method of its adapter.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

WIRING = ("apkdrop.adapters", "apkdrop.dependencies", "apkdrop.wiring")
DEPENDENCIES_NAMES = {"deps", "_deps"}


@dataclass
class Module:
    name: str
    tree: ast.Module
    # local name -> (module, attribute or None for a whole module)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    definitions: dict[str, ast.AST] = field(default_factory=dict)  # qualname -> node
    methods: dict[str, list[str]] = field(default_factory=dict)  # method name -> qualnames


class Source:
    """The modules of one functions/ tree."""

    def __init__(self, root: Path) -> None:
        self.modules: dict[str, Module] = {}
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            self.modules[name] = Module(name, ast.parse(path.read_text(), str(path)))
        for module in self.modules.values():
            self._index(module)

    def imports_of(self, nodes: list[ast.stmt] | Iterator[ast.AST]) -> dict:
        """local name -> (module, attribute or None) for the import statements among `nodes`."""
        imports: dict[str, tuple[str, str | None]] = {}
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    whole = f"{node.module}.{alias.name}"
                    target = (whole, None) if whole in self.modules else (node.module, alias.name)
                    imports[alias.asname or alias.name] = target
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imports[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
        return imports

    def _index(self, module: Module) -> None:
        module.imports.update(self.imports_of(module.tree.body))
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                module.definitions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                module.definitions[node.name] = node
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        qualname = f"{node.name}.{item.name}"
                        module.definitions[qualname] = item
                        module.methods.setdefault(item.name, []).append(qualname)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        module.definitions[target.id] = node.value

    def resolve(
        self, module_name: str, name: str, seen: frozenset = frozenset(), local: dict | None = None
    ) -> list[str]:
        """`module:qualname` keys that `name` means in `module_name` (following re-exports);
        `local` holds the imports made inside the function being read."""
        module = self.modules.get(module_name)
        if module is None or (module_name, name) in seen:
            return []
        if local and name in local:
            target, attribute = local[name]
            return [] if attribute is None else self.resolve(target, attribute, seen)
        if name in module.definitions:
            node = module.definitions[name]
            if isinstance(node, ast.ClassDef):  # naming a class reaches all its methods
                return [f"{module_name}:{q}" for q in module.definitions if q.startswith(name)]
            return [f"{module_name}:{name}"]
        if name in module.imports:
            target, attribute = module.imports[name]
            if attribute is not None:
                return self.resolve(target, attribute, seen | {(module_name, name)})
        return []

    def imported_modules(self, module: Module) -> set[str]:
        return {target for target, _ in module.imports.values() if target in self.modules}


@dataclass(frozen=True)
class AdapterCall:
    field: str
    method: str | None  # None: the field itself is passed along


class Reach:
    """Follows definitions from an entry point, collecting the adapter calls they make."""

    def __init__(self, source: Source, fields: set[str]) -> None:
        self.source = source
        self.fields = fields

    def from_entry_point(self, module_name: str, function: str) -> set[AdapterCall]:
        calls: set[AdapterCall] = set()
        pending = [f"{module_name}:{function}"]
        visited: set[str] = set()
        while pending:
            key = pending.pop()
            if key in visited or key.startswith(WIRING):
                continue
            visited.add(key)
            name, qualname = key.split(":")
            module = self.source.modules[name]
            node = module.definitions[qualname]
            calls |= set(self._adapter_calls(node))
            pending += self._references(module, node)
        return calls

    def _references(self, module: Module, node: ast.AST) -> Iterator[str]:
        # Imports inside the function too: entry points import their feature on first call.
        local = self.source.imports_of(ast.walk(node))
        imports = {**module.imports, **local}
        local_modules = {target for target, _ in local.values() if target in self.source.modules}
        scope = [module.name, *self.source.imported_modules(module), *local_modules]
        for child in ast.walk(node):
            if isinstance(child, ast.Name):
                yield from self.source.resolve(module.name, child.id, local=local)
            elif isinstance(child, ast.Attribute):
                if isinstance(child.value, ast.Name) and child.value.id in imports:
                    target, attribute = imports[child.value.id]
                    if attribute is None:
                        yield from self.source.resolve(target, child.attr)
                for name in scope:
                    for qualname in self.source.modules[name].methods.get(child.attr, []):
                        yield f"{name}:{qualname}"

    def _adapter_calls(self, node: ast.AST) -> Iterator[AdapterCall]:
        called: set[int] = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Attribute) and self._is_field(child.value):
                called.add(id(child.value))
                yield AdapterCall(child.value.attr, child.attr)
        for child in ast.walk(node):
            if self._is_field(child) and id(child) not in called:
                yield AdapterCall(child.attr, None)

    def _is_field(self, node: ast.AST) -> bool:
        """`deps.<field>` or `self._deps.<field>`: the Dependencies instance is always `deps`."""
        if not (isinstance(node, ast.Attribute) and node.attr in self.fields):
            return False
        receiver = node.value
        name = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
        return name in DEPENDENCIES_NAMES
