"""Every task of the workspace. Members are discovered on disk, so a new package joins every
session without editing this file.

    nox -l                         # list sessions
    nox -s lint imports typing     # static checks
    nox -s "tests(package='spike-core')"
    nox -s integration docs build
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "imports", "tests", "integration", "typing", "docs", "build"]

ROOT = Path(__file__).parent


def _members() -> dict[str, Path]:
    """Workspace members found on disk: distribution name -> folder."""
    found = {}
    for pyproject in sorted(
        [*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("apps/*/pyproject.toml")]
    ):
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        found[name] = pyproject.parent
    return found


MEMBERS = _members()
PACKAGES = [n for n, p in MEMBERS.items() if p.parent.name == "packages"]


def _sync(session: nox.Session, *args: str) -> None:
    """Install into the session's venv from the committed lock (workspace sources resolve)."""
    env = {"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}
    session.run_install("uv", "sync", "--locked", "--no-default-groups", *args, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    _sync(session, "--only-group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def imports(session: nox.Session) -> None:
    """import-linter contracts of design §2 (dependency direction)."""
    _sync(session, "--all-packages", "--group", "lint")
    session.run("lint-imports")


@nox.session
@nox.parametrize("package", PACKAGES)
def tests(session: nox.Session, package: str) -> None:
    """One package's tests in an environment holding only that member and its dependencies."""
    _sync(session, "--package", package, "--all-extras", "--group", "test")
    folder = MEMBERS[package]
    session.run("pytest", str(folder / "tests"), "-n", "2", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """Cross-package tests (root tests/, including the built docs site) and the app's tests."""
    _sync(session, "--all-packages", "--all-extras", "--group", "test", "--group", "docs")
    session.run("pytest", "tests", "apps", "-n", "2", *session.posargs)


@nox.session
def typing(session: nox.Session) -> None:
    """mypy over every member's src/."""
    _sync(session, "--all-packages", "--all-extras", "--group", "typing")
    srcs = [str(p / "src") for p in MEMBERS.values()]
    session.run("mypy", *srcs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    _sync(session, "--all-packages", "--all-extras", "--group", "docs")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))


@nox.session
def build(session: nox.Session) -> None:
    """Build every member without workspace sources; install each wheel alone and import it."""
    session.install("uv")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)  # no stale wheel of the same version
    for name in MEMBERS:
        session.run("uv", "build", "--package", name, "--no-sources", "--out-dir", str(dist))
    tmp = Path(session.create_tmp())
    for name in MEMBERS:
        module = name.replace("-", "_") if name != "spike-cli" else "spike_cli"
        venv = tmp / f"venv-{name}"
        session.run("uv", "venv", "--quiet", "--clear", str(venv))
        py = str(venv / "bin" / "python")
        wheel = sorted(dist.glob(f"{name.replace('-', '_')}-*.whl"))[-1]
        # Sibling wheels resolve from dist/ (they are not on an index); torch and numpy from PyPI.
        # Re-read the workspace's own wheels (same version as any cached build); the rest cached.
        refresh = [arg for member in MEMBERS for arg in ("--refresh-package", member)]
        session.run(
            "uv",
            "pip",
            "install",
            "--quiet",
            *refresh,
            "--python",
            py,
            "--find-links",
            str(dist),
            str(wheel),
        )
        session.run(
            py,
            "-c",
            f"import {module}; print({module}.__name__, {module}.__version__)",
            external=True,
        )


@nox.session
def gpu(session: nox.Session) -> None:
    """Only the GPU-marked tests (needs CUDA)."""
    _sync(session, "--all-packages", "--all-extras", "--group", "test")
    session.run("pytest", "-m", "gpu", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Speed and memory benchmarks, on demand: nox -s bench -- benchmarks/neurons.py [args]."""
    _sync(session, "--all-packages", "--all-extras", "--group", "test")
    args = session.posargs or [str(p) for p in sorted((ROOT / "benchmarks").glob("[!_]*.py"))]
    for script in args:
        session.run(
            "python", script, env={"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
        )
