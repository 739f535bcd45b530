"""Builds daira's native Python module with CMake for `pip install` (see pyproject.toml).

The extension daira._daira is the CMake target `_daira` (bindings/python/CMakeLists.txt). This file
only configures (once) and builds that target for the interpreter running pip, then copies the module
where setuptools packs it. Tests, benchmarks and the C ABI are not built.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def _version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text()
    m = re.search(r"project\(daira VERSION ([0-9.]+)", text)
    if not m:
        raise RuntimeError("setup.py: no `project(daira VERSION x.y.z)` in CMakeLists.txt")
    return m.group(1)


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        given = os.environ.get("DAIRA_BUILD_DIR", "")
        build_dir = Path(given).resolve() if given else ROOT / "build" / "pip"
        jobs = os.environ.get("DAIRA_JOBS", "2")
        if not (build_dir / "CMakeCache.txt").exists():
            build_dir.mkdir(parents=True, exist_ok=True)
            self._run(["cmake", "-S", str(ROOT), "-B", str(build_dir), "-G", "Ninja",
                       "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DDAIRA_BUILD_TESTS=OFF",
                       "-DDAIRA_BUILD_BENCHMARKS=OFF", "-DDAIRA_BUILD_C_ABI=OFF",
                       f"-DPython_EXECUTABLE={sys.executable}"])
        self._run(["cmake", "--build", str(build_dir), "--target", "_daira", "-j", jobs])
        built = sorted((build_dir / "bindings" / "python" / "daira").glob("_daira*.so"))
        if not built:
            raise RuntimeError(f"setup.py: the build in {build_dir} produced no daira/_daira*.so")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)

    @staticmethod
    def _run(cmd: list[str]) -> None:
        print("setup.py:", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)


setup(version=_version(), ext_modules=[CMakeExtension("daira._daira")], cmdclass={"build_ext": CMakeBuild})
