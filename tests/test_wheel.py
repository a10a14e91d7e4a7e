"""Install: the wheel that ``pip install .`` / ``pipx install .`` builds works from a clean virtual
environment — ``bookrelay --version`` and the whole demo, with nothing of the project's checkout or
development environment on the path.

Honest and still cheap enough for a 2-core CI: the venv is a fresh one without system site-packages,
and the wheel's dependencies are resolved by pip from the registry as a user's install would be; only
pip's own cache is shared (it saves downloads, not correctness), and byte-code compilation is skipped
(it costs half the install's CPU and proves nothing). It runs once per CI run (``CI=true``) or when
``BOOKRELAY_TEST_WHEEL=1``; elsewhere it skips, since it takes a minute or two.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from bookrelay import __version__
from tests.conftest import IN_CI, PROJECT_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (IN_CI or os.environ.get("BOOKRELAY_TEST_WHEEL") == "1"),
        reason="builds and installs the wheel (a minute or two): runs in CI or with BOOKRELAY_TEST_WHEEL=1",
    ),
]


def _clean_env(home: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: no bookrelay or Python variables of this session."""
    keep = {"PATH", "LANG", "LC_ALL", "PIP_CONFIG_FILE", "PIP_CACHE_DIR", "SSL_CERT_FILE"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["HOME"] = str(home)
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))  # reuse the downloads
    return env


def test_the_wheel_installs_in_a_clean_venv_and_runs_version_and_the_demo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("bookrelay-*.whl")
    # Every file of the package in the checkout (templates, migrations, the schema …) is in the wheel.
    names = set(zipfile.ZipFile(wheel).namelist())
    tree = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "bookrelay").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert tree - names == set()

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-compile", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    # The clean venv sees neither the checkout nor the development venv.
    where = subprocess.run(
        [str(python), "-c", "import bookrelay, sys; print(bookrelay.__file__); print(sys.prefix)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(env_dir)) and where[1] == str(env_dir)

    program = str(env_dir / "bin" / "bookrelay")
    version = subprocess.run(
        [program, "--version"], capture_output=True, text=True, env=env, cwd=home, check=False
    )
    assert version.returncode == 0 and version.stdout.strip() == f"bookrelay {__version__}"
    demo = subprocess.run(
        [program, "demo"], capture_output=True, text=True, env=env, cwd=home, timeout=600, check=False
    )
    assert demo.returncode == 0, (demo.stdout[-2000:], demo.stderr[-2000:])
    assert "Hardcover" in demo.stdout and "conflict" in demo.stdout.lower()
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith(".")) == []  # leaves nothing
