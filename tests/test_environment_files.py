"""pyproject.toml, environment.yml and binder/environment.yml must name the same packages."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# conda-forge spells a few packages differently from PyPI.
CONDA_TO_PYPI = {"pysoundfile": "soundfile"}
# Not packages of the workbook: the interpreter and the installer themselves.
IGNORED = {"python", "pip"}


def _name(spec: str) -> str:
    name = re.split(r"[<>=!~;\[\s]", spec.strip(), maxsplit=1)[0]
    name = name.lower().replace("_", "-")
    return CONDA_TO_PYPI.get(name, name)


def pyproject_names(path: Path = ROOT / "pyproject.toml") -> set[str]:
    project = tomllib.loads(path.read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return {_name(s) for s in specs}


def conda_names(path: Path) -> set[str]:
    env = yaml.safe_load(path.read_text())
    names = set()
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for spec in entry.get("pip", []):
                if spec.startswith("-e") or spec.startswith("."):
                    continue
                names.add(_name(spec))
        else:
            names.add(_name(entry))
    return names - IGNORED


@pytest.mark.parametrize("env_file", ["environment.yml", "binder/environment.yml"])
def test_environment_file_names_same_packages_as_pyproject(env_file):
    expected = pyproject_names()
    found = conda_names(ROOT / env_file)
    assert found == expected, (
        f"{env_file} and pyproject.toml disagree: "
        f"only in {env_file}: {sorted(found - expected)}, "
        f"only in pyproject.toml: {sorted(expected - found)}"
    )


def test_checker_notices_a_missing_package(tmp_path):
    """The comparison above really fails when one file gains a package."""
    text = (ROOT / "pyproject.toml").read_text().replace('"numpy', '"some-new-package>=1",\n    "numpy', 1)
    changed = tmp_path / "pyproject.toml"
    changed.write_text(text)
    assert pyproject_names(changed) - conda_names(ROOT / "environment.yml") == {"some-new-package"}


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(e["pip"] for e in env["dependencies"] if isinstance(e, dict))
    assert "-e ." in pip_section
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()
