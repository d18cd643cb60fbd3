"""Building and installing real distributions for tests: wheels made by pip from a
pyproject.toml, installed by pip into a target directory or a virtual environment."""

from __future__ import annotations

import importlib.metadata
import pathlib
import shutil
import subprocess
import sys
import textwrap

PIP_TIMEOUT_S = 300
#: what the core needs installed, copied from this environment into fresh ones (no index)
CORE_DEPENDENCIES = ["pluggy", "msgpack", "zstandard", "cloudpickle"]


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


def copy_distribution(name: str, site_packages: pathlib.Path) -> None:
    """Copy an installed distribution's files (code and metadata) into another environment."""
    dist = importlib.metadata.distribution(name)
    for file in dist.files or []:
        source = pathlib.Path(dist.locate_file(file))
        if source.is_file() and ".." not in file.parts and "__pycache__" not in file.parts:
            target = site_packages / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def venv_with_wheels(root: pathlib.Path, sources: list[pathlib.Path], names: list[str]) -> str:
    """A fresh virtual environment under ``root`` with wheels built from ``sources`` installed
    (not editable) as ``names``, and the core's dependencies copied from this one; its python."""
    build_wheels(sources, root / "wheels")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=60
    )
    python = str(root / "venv" / "bin" / "python")
    site = pathlib.Path(
        run_python(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    )
    for name in CORE_DEPENDENCIES:
        copy_distribution(name, site)
    pip(
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--find-links",
        str(root / "wheels"),
        *names,
    )
    return python
