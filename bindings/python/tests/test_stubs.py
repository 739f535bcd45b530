"""_daira.pyi matches the native module: every public class and member the module has is in the stubs
(and the other way round), so type checkers and IDEs see the whole API."""

import ast
import pathlib

import daira
from daira import _daira

STUBS = pathlib.Path(daira.__file__).with_name("_daira.pyi")


def stub_classes():
    tree = ast.parse(STUBS.read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            out[node.name] = members
    return out


def native_classes():
    return {name: obj for name, obj in vars(_daira).items() if isinstance(obj, type) and not name.startswith("_")}


def test_every_native_class_and_member_is_stubbed():
    stubs = stub_classes()
    missing = []
    for name, cls in native_classes().items():
        if name not in stubs:
            missing.append(name)
            continue
        for member in vars(cls):
            if member.startswith("_"):
                continue
            if member not in stubs[name]:
                missing.append(f"{name}.{member}")
    assert missing == []


def test_every_stubbed_member_exists():
    native = native_classes()
    extra = []
    for name, members in stub_classes().items():
        if name not in native:
            extra.append(name)
            continue
        for member in members:
            if not member.startswith("_") and not hasattr(native[name], member):
                extra.append(f"{name}.{member}")
    assert extra == []
