"""Small builders for scenario YAML text used across tests."""

from __future__ import annotations

import textwrap
from typing import Any

import cstosim
from cstosim.compile import CompiledRules
from cstosim.report import Report

SYUNIK_FACTS: dict[str, Any] = {
    "id": "inc", "actor": "AZE", "target": "ARM", "locations": ["AM-SU"], "start": "2021-05-12",
    "state_forces": True, "crossed_border": True, "days_on_territory": 52, "depth_km": 3.5,
    "killed": 1, "wounded": 0, "captured": 6, "shots_fired": True, "border_delimited": False,
}


def _yaml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ", ".join(_yaml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_yaml_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def incident_yaml(**overrides: Any) -> str:
    facts = {**SYUNIK_FACTS, **overrides}
    return "  - incident: " + _yaml_value(facts) + "\n"


def scenario_text(as_of: str = "2021-07-03", events: str = "", changes: str = "",
                  extra: str = "") -> str:
    text = f"cstosim: 1\nname: test\nas_of: {as_of}\n"
    if changes:
        text += "changes:\n" + changes
    if events:
        text += "events:\n" + events
    return text + textwrap.dedent(extra)


def run(rules: CompiledRules, text: str, explain: str = "off", **kw: Any) -> Report:
    return cstosim.evaluate(rules, cstosim.scenario_from_text(text, rules), explain=explain, **kw)


def labels(report: Report) -> dict[str, str | None]:
    return {c.interpretation: c.label for c in report.classifications}


def on_terminal(args: list[str], *, env: dict[str, str] | None = None, cwd: Any = None,
                stdout_too: bool = True, timeout: float = 300,
                unset: tuple[str, ...] = ()) -> tuple[int, str, str]:
    """Run ``args`` with stderr (and stdout, unless ``stdout_too`` is false) on a pseudo-
    terminal, as a user's shell would. Returns the exit code, what the terminal showed and,
    when stdout was piped, what went to the pipe."""
    import os
    import pty
    import subprocess
    import threading

    leader, follower = pty.openpty()
    environ = {k: v for k, v in {**os.environ, **(env or {})}.items() if k not in unset}
    proc = subprocess.Popen(args, stdin=follower, stderr=follower, cwd=cwd,
                            stdout=follower if stdout_too else subprocess.PIPE, env=environ)
    os.close(follower)
    piped: list[bytes] = []
    reader = None
    if proc.stdout is not None:
        out = proc.stdout
        reader = threading.Thread(target=lambda: piped.append(out.read()))
        reader.start()
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end of the terminal
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=timeout)
    if reader is not None:
        reader.join(timeout)
    os.close(leader)
    shown = b"".join(chunks).decode("utf-8", "replace")
    return code, shown, b"".join(piped).decode("utf-8", "replace")
