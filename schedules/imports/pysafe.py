"""Read Python source without running it: ``ast.parse`` plus a small evaluator over a whitelist.

Evaluated: literals, names bound earlier in the file, ``+ - * / // % **`` on numbers, lists, tuples, dicts,
constant subscripts, ``int/float/min/max/round/abs``, ``math.ceil/floor/sqrt/pi/e``, and calls of the known
constructors (torch optimizers and schedulers, optax and Keras schedules), which become
:class:`Call` records, never objects. Anything else inside a known constructor's arguments (a lambda, an
f-string, a comparison) is refused with its line; elsewhere it binds an opaque value, which is refused only if
a constructor then needs it as a number. ``eval``, ``exec``, ``__import__``, ``getattr`` and the dunder
attributes sandbox escapes use are refused wherever they appear. Statements that bind nothing the importer
reads (loops, prints, function calls) are skipped, never run.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Any

from schedules.errors import SpecError

MAX_SOURCE_BYTES = 64 * 1024
MAX_NODES = 20_000
#: Exponents and results are bounded so ``10 ** 10 ** 10`` cannot take the machine.
MAX_POW_EXPONENT = 1024
MAX_INT_DIGITS = 40

FORBIDDEN_NAMES = {
    "eval", "exec", "compile", "__import__", "getattr", "setattr", "delattr", "globals", "locals", "vars",
    "breakpoint", "__builtins__",
    # The attributes sandbox escapes walk through (``().__class__.__bases__[0].__subclasses__()``).
    "__class__", "__bases__", "__base__", "__mro__", "__subclasses__", "__globals__", "__dict__", "__code__",
    "__getattribute__", "__getattr__", "__setattr__", "__delattr__", "__reduce__", "__reduce_ex__", "__loader__",
    "__spec__", "__closure__", "__func__", "__self__", "__qualname__", "__module__",
}


@dataclass(frozen=True)
class Module:
    """A dotted import path (``torch.optim.lr_scheduler``) or a name imported from one."""

    path: str


@dataclass(frozen=True)
class Opaque:
    """Something the importer does not evaluate (``model.parameters()``, ``len(loader)``)."""

    text: str


@dataclass
class Call:
    """A call of a known constructor: its dotted name, positional and keyword arguments, source line."""

    name: str
    args: list[Any]
    kwargs: dict[str, Any]
    line: int
    used: bool = field(default=False)

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]


def parse(source: str) -> ast.Module:
    """``ast.parse`` with size and node caps; every failure is one SpecError line."""
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise SpecError("config", f"Python source must be at most {MAX_SOURCE_BYTES // 1024} KB", len(source))
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise SpecError("config", f"is not valid Python: {exc.msg} at line {exc.lineno}") from None
    except (RecursionError, MemoryError, ValueError):
        raise SpecError("config", "is not readable Python (nested too deeply or not text)") from None
    for count, node in enumerate(ast.walk(tree), 1):
        if count > MAX_NODES:
            raise SpecError("config", f"Python source must have at most {MAX_NODES:,} syntax nodes")
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name is not None and name in FORBIDDEN_NAMES:
            raise SpecError("config", f"uses {name} at line {node.lineno}: refused (the importer never runs "
                            "code)")
    return tree


class Evaluator:
    """Walks the module's statements in order, binding names to evaluated values."""

    def __init__(self, known: dict[str, str]) -> None:
        #: dotted constructor path -> canonical name (e.g. torch.optim.lr_scheduler.StepLR -> StepLR).
        self.known = known
        self.env: dict[str, Any] = {}
        self.calls: list[Call] = []
        #: > 0 while evaluating a known constructor's arguments: there an unsupported construct is an
        #: error naming its line; elsewhere (a script's other assignments) it binds an Opaque value.
        self.strict = 0

    def run(self, tree: ast.Module) -> None:
        self._block(tree.body)

    def _block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self._stmt(stmt)

    def _stmt(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.env[alias.asname] = Module(alias.name)
                else:
                    root = alias.name.split(".")[0]
                    self.env[root] = Module(root)
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            for alias in stmt.names:
                self.env[alias.asname or alias.name] = Module(f"{base}.{alias.name}" if base else alias.name)
        elif isinstance(stmt, ast.Assign):
            value = self.value_of(stmt.value)
            for target in stmt.targets:
                self._bind(target, value)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._bind(stmt.target, self.value_of(stmt.value))
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            current = self.env.get(stmt.target.id)
            self.env[stmt.target.id] = self._binop(stmt.op, current, self.value_of(stmt.value), stmt)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = self._func_name(stmt.value.func)
            if func is not None:
                self.value_of(stmt.value)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.With, ast.AsyncWith, ast.For,
                               ast.AsyncFor, ast.While)):
            self._block(stmt.body)
        elif isinstance(stmt, ast.If):
            self._block(stmt.body)
            self._block(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            self._block(stmt.body)

    def _bind(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (tuple, list)) \
                and len(value) == len(target.elts):
            for t, v in zip(target.elts, value, strict=True):
                self._bind(t, v)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._bind(t, Opaque("unpacked value"))

    def _func_name(self, node: ast.expr) -> str | None:
        value = self._peek(node)
        if isinstance(value, Module) and value.path in self.known:
            return self.known[value.path]
        return None

    def _peek(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.env.get(node.id, Module(node.id))
        if isinstance(node, ast.Attribute):
            base = self._peek(node.value)
            if isinstance(base, Module):
                return Module(f"{base.path}.{node.attr}")
            return Opaque(node.attr)
        return None

    def value_of(self, node: ast.expr) -> Any:
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bytes, complex)) or node.value is Ellipsis:
                raise SpecError("config", f"has an unsupported literal at line {line}")
            if isinstance(node.value, int) and not isinstance(node.value, bool) \
                    and len(str(abs(node.value))) > MAX_INT_DIGITS:
                raise SpecError("config", f"has a number too large at line {line}")
            return node.value
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            if node.id in self.env:
                return self.env[node.id]
            return Module(node.id)
        if isinstance(node, ast.Attribute):
            base = self.value_of(node.value)
            if isinstance(base, Module):
                if base.path == "math" and node.attr in ("pi", "e", "inf"):
                    return getattr(math, node.attr)
                return Module(f"{base.path}.{node.attr}")
            return Opaque(f"{node.attr}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.value_of(node.operand)
            if not _is_num(value):
                return self._unsupported(f"negates a non-number at line {line}")
            return -value if isinstance(node.op, ast.USub) else +value
        if isinstance(node, ast.BinOp):
            return self._binop(node.op, self.value_of(node.left), self.value_of(node.right), node)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.value_of(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise SpecError("config", f"uses ** in a dict at line {line}: refused")
            return {self._key(k): self.value_of(v) for k, v in zip(node.keys, node.values, strict=True)}
        if isinstance(node, ast.Subscript):
            base, index = self.value_of(node.value), self.value_of(node.slice)
            if isinstance(base, (list, tuple, dict)) and isinstance(index, (int, str)):
                try:
                    return base[index]
                except (IndexError, KeyError, TypeError):
                    raise SpecError("config", f"indexes out of range at line {line}") from None
            return Opaque("subscript")
        if isinstance(node, ast.Call):
            return self._call(node)
        what = {ast.Lambda: "a lambda", ast.JoinedStr: "an f-string", ast.Compare: "a comparison",
                ast.IfExp: "a conditional expression", ast.ListComp: "a comprehension",
                ast.GeneratorExp: "a generator", ast.BoolOp: "and/or"}.get(type(node), type(node).__name__)
        return self._unsupported(f"has {what} at line {line}, which the importer does not evaluate (it never runs "
                                 "code); write the value as a number")

    def _unsupported(self, rule: str) -> Opaque:
        if self.strict:
            raise SpecError("config", rule)
        return Opaque(rule)

    def _key(self, node: ast.expr | None) -> Any:
        key = self.value_of(node) if node is not None else None
        if not isinstance(key, (str, int, float)):
            raise SpecError("config", f"has a non-literal dict key at line {getattr(node, 'lineno', 0)}")
        return key

    def _binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        line = getattr(node, "lineno", 0)
        if isinstance(a, Opaque) or isinstance(b, Opaque):
            return Opaque("arithmetic on an unknown value")
        if isinstance(op, ast.Add) and isinstance(a, (list, tuple)) and isinstance(b, type(a)):
            return a + b
        if not (_is_num(a) and _is_num(b)):
            return self._unsupported(f"has arithmetic on non-numbers at line {line}")
        try:
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.Div):
                return a / b
            if isinstance(op, ast.FloorDiv):
                return a // b
            if isinstance(op, ast.Mod):
                return a % b
            if isinstance(op, ast.Pow):
                if abs(b) > MAX_POW_EXPONENT:
                    raise SpecError("config", f"has an exponent too large at line {line}")
                result = a**b
                if isinstance(result, complex):
                    raise SpecError("config", f"has a complex power at line {line}")
                if isinstance(result, int) and len(str(abs(result))) > MAX_INT_DIGITS:
                    raise SpecError("config", f"has a number too large at line {line}")
                return result
        except (ZeroDivisionError, OverflowError):
            raise SpecError("config", f"has arithmetic that fails (division by zero or overflow) at line {line}") \
                from None
        return self._unsupported(f"uses operator {type(op).__name__} at line {line}, which is not evaluated")

    def _call(self, node: ast.Call) -> Any:
        line = node.lineno
        func = self.value_of(node.func)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise SpecError("config", f"uses *args or **kwargs at line {line}: write the arguments out")
        if isinstance(func, Module):
            if func.path in self.known:
                self.strict += 1
                try:
                    call = Call(self.known[func.path], [self.value_of(a) for a in node.args],
                                {k.arg: self.value_of(k.value) for k in node.keywords if k.arg}, line)
                finally:
                    self.strict -= 1
                self.calls.append(call)
                return call
            builtin = _BUILTINS.get(func.path)
            if builtin is not None:
                args = [self.value_of(a) for a in node.args]
                if not args or not all(_is_num(a) for a in args) or node.keywords:
                    return Opaque(func.path)
                try:
                    return builtin(*args)
                except (TypeError, ValueError, OverflowError):
                    raise SpecError("config", f"calls {func.path} with bad arguments at line {line}") from None
        return Opaque(getattr(func, "path", "call"))


_BUILTINS = {
    "int": int, "float": float, "min": min, "max": max, "abs": abs, "round": round,
    "math.ceil": math.ceil, "math.floor": math.floor, "math.sqrt": math.sqrt,
}


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def evaluate(source: str, known: dict[str, str]) -> Evaluator:
    """Parse and evaluate ``source``; ``known`` maps constructor paths to canonical names."""
    ev = Evaluator(known)
    ev.run(parse(source))
    return ev


def bind_args(call: Call, signature: tuple[tuple[str, Any], ...], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The call's arguments by name, defaults filled in, checked against ``signature`` (name, default)."""
    names = [n for n, _ in signature]
    if len(call.args) > len(names):
        raise SpecError(call.short, f"takes at most {len(names)} positional arguments (line {call.line})",
                        len(call.args))
    out = dict(signature)
    for name, value in zip(names, call.args, strict=False):
        out[name] = value
    for key, value in call.kwargs.items():
        if key not in out:
            raise SpecError(f"{call.short}.{key}", f"is not an argument of {call.short} (line {call.line})")
        out[key] = value
    for name in required:
        if out.get(name) is None:
            raise SpecError(f"{call.short}.{name}", f"is required (line {call.line})")
    return out
