"""Every command the README shows works as written, in a checkout where `make run` has run.

`make run` is started for real (in a fresh instance directory, on a free port), then every
```sh block of the README runs in bash from the checkout, with `.venv/bin` first on PATH (as
after `. .venv/bin/activate`) and the README's address pointed at that port. A block preceded
by ``<!-- readme-test: background -->`` serves until stopped: it must start and keep running;
one preceded by ``<!-- readme-test: not-run … -->`` says why it is not run here (the two
set-up commands, which CI runs itself).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<mark>[^>]*?) -->\s*\n[ \t]*)?```sh\n(?P<body>.*?)```", re.DOTALL
)
ADDRESS = "127.0.0.1:8000"


def blocks() -> list[tuple[str, str]]:
    found = []
    for match in BLOCK.finditer(README.read_text(encoding="utf-8")):
        found.append(((match.group("mark") or "run").strip(), match.group("body")))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"`make run` stopped with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """`make run` in a fresh instance directory: what a newcomer has after the first command."""
    instance = tmp_path_factory.mktemp("instance")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BLOOD_")},
        "BLOOD_INSTANCE_PATH": str(instance),
        "PORT": str(port),
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    log = (instance / "make-run.log").open("w")
    server = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_ready(f"http://127.0.0.1:{port}/readyz", server, 180)
        yield env, port, instance
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _run(body: str, env: dict, port: int) -> subprocess.CompletedProcess:
    script = body.replace(ADDRESS, f"127.0.0.1:{port}")
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readme_shows_commands(checkout):
    assert len([b for b in blocks() if b[0] == "run"]) >= 5


@pytest.mark.parametrize("index", range(len(blocks())))
def test_every_readme_command_works_as_written(checkout, index):
    mark, body = blocks()[index]
    env, port, _instance = checkout
    if mark.startswith("not-run"):
        assert "make run" in body or "make test" in body, "only the set-up commands are not run"
        return
    if mark == "background":
        script = body.replace(ADDRESS, f"127.0.0.1:{port + 1}").replace(
            "0.0.0.0:8000", f"127.0.0.1:{port + 1}"
        )
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_ready(f"http://127.0.0.1:{port + 1}/healthz", process, 60)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        return
    result = _run(body, env, port)
    assert result.returncode == 0, (
        f"{body}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
