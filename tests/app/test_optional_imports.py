"""The start-up memory rule (bookrelay/cli/main.py): optional third-party packages are imported only in
the function that starts their feature, so importing the composition root does not load them."""

from __future__ import annotations

import json
import subprocess
import sys


def _loaded_after(*modules: str) -> set[str]:
    code = f"import json, sys\nimport {', '.join(modules)}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_importing_progress_and_audible_does_not_load_the_audible_package_or_pillow() -> None:
    loaded = _loaded_after("bookrelay.app.progress", "bookrelay.app.audible")
    assert "bookrelay.app.audible" in loaded
    assert "bookrelay.connectors.audible.session" in loaded
    assert "audible" not in loaded
    assert "PIL" not in loaded


def test_importing_doctor_and_serving_does_not_load_audible_or_the_web_server() -> None:
    loaded = _loaded_after("bookrelay.app.doctor", "bookrelay.app.serving")
    assert not {"audible", "PIL", "uvicorn", "fastapi", "apscheduler"} & loaded


def test_the_audible_package_is_loaded_when_a_session_is_built() -> None:
    code = (
        "import sys\n"
        "from bookrelay.connectors.audible.session import build_authenticator\n"
        "from bookrelay.errors import ConfigError\n"
        "try:\n    build_authenticator({}, user='alice')\n"
        "except ConfigError as exc:\n    print(exc.place)\n"
        "print('audible' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["audible", "auth", "for", "user", "alice", "True"]
