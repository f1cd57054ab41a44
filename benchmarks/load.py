"""Load with wrk, replaying requests signed as Slack signs them.

wrk is the issue's tool: a C load generator costs the two cores far less than a Python
one would, so more of the machine is left to the server being measured. It is a Debian
package (`apt-get install -y wrk`); when it is missing the benchmarks that need it say
so and are skipped rather than measured with a different tool.
"""

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

SCRIPT = Path(__file__).with_name("signed.lua")
FORM = "application/x-www-form-urlencoded"
WRK_MISSING = ("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or "
               "`brew install wrk`, then run again")


def wrk_missing() -> str | None:
    """Why wrk cannot be used, or None when it can."""
    return None if shutil.which("wrk") else WRK_MISSING


def write_requests(path: Path, bodies: Sequence[bytes], signing_secret: str) -> Path:
    """Sign each body with the current time, one request a line, for signed.lua."""
    signer = SignatureVerifier(signing_secret)
    stamp = str(int(time.time()))
    with path.open("w", encoding="utf-8") as out:
        for body in bodies:
            text = body.decode()
            if "\t" in text or "\n" in text:
                raise ValueError("a form body never holds a raw tab or newline")
            signature = signer.generate_signature(timestamp=stamp, body=body)
            out.write(f"{FORM}\t{stamp}\t{signature}\t{text}\n")
    return path


@dataclass(frozen=True)
class Load:
    """What wrk saw: answers, throughput and latency percentiles (closed loop)."""

    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        """Requests answered with an HTTP error, timed out or lost on the socket."""
        return sum(self.errors.values())


def _command(url: str, requests: Path, connections: int, seconds: float) -> list[str]:
    return ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(SCRIPT), url, "--", str(requests)]


def _parse(returncode: int, stdout: str, stderr: str, connections: int) -> Load:
    line = next((line for line in stdout.splitlines() if line.startswith("KAPBOT_BENCH ")),
                None)
    if returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({returncode}): {stderr or stdout}")
    raw = json.loads(line.removeprefix("KAPBOT_BENCH "))
    return Load(connections=connections, requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6, p50_ms=raw["p50_us"] / 1000,
                p95_ms=raw["p95_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
                errors={k: raw[k] for k in ("connect", "read", "write", "status", "timeout")})


def wrk(url: str, requests: Path, connections: int, seconds: float) -> Load:
    """Keep `connections` requests in flight for `seconds`."""
    done = subprocess.run(_command(url, requests, connections, seconds), capture_output=True,
                          text=True, check=False)
    return _parse(done.returncode, done.stdout, done.stderr, connections)


def wrk_until(url: str, requests: Path, connections: int, enough: Callable[[], bool],
              seconds: float) -> Load:
    """Load until `enough()` holds (checked ten times a second), at most `seconds`.

    wrk counts time, not requests; interrupted, it stops and reports what it measured.
    """
    process = subprocess.Popen(_command(url, requests, connections, seconds),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline and not enough():
        time.sleep(0.1)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    return _parse(0 if process.returncode in (0, -signal.SIGINT) else process.returncode,
                  stdout, stderr, connections)
