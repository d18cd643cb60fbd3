"""Building and installing real distributions for tests: wheels made by pip from a
pyproject.toml, installed by pip into a target directory or a virtual environment."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

PIP_TIMEOUT_S = 300


def write_distribution(root: pathlib.Path, name: str, package: str, plugin_source: str) -> pathlib.Path:
    """A source tree for distribution ``name`` whose ``package.plugin`` module is the
    entry point ``ember``/``name``."""
    tree = root / name
    (tree / package).mkdir(parents=True)
    (tree / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "9.9.9"
        dependencies = []

        [project.entry-points.ember]
        {name} = "{package}.plugin"

        [tool.setuptools]
        packages = ["{package}"]
        """)
    )
    (tree / package / "__init__.py").write_text("")
    (tree / package / "plugin.py").write_text(textwrap.dedent(plugin_source))
    return tree


def pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def build_wheels(sources: list[pathlib.Path], wheelhouse: pathlib.Path) -> None:
    pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheelhouse), *map(str, sources))


def run_python(
    python: str, *args: str, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run([python, *args], capture_output=True, text=True, timeout=timeout, env=env)
