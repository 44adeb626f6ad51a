"""The connector benchmark's idle and low-traffic CPU figures (used by ``bench/connector.py``).

For each connector measured: its CPU time (its process and its children, from /proc) as a
percentage of one core, (a) while ``bench/js/loadgen.js`` sends it a steady open-loop load of
``rate`` packets/s (a Prepare every 1/rate s on keep-alive connections, whether or not the
previous one was answered: how a node with light steady traffic behaves), after a second of the
same load as warm-up; and (b) with no traffic at all, a second after the last packet. The
pacer's own CPU is not counted. Issue 22's goals: idle < 1 % of a core, 100 packets/s < 5 %.

/proc counts CPU time in ticks of 1/``SC_CLK_TCK`` s (10 ms here), so a figure over a window of
S seconds is good to ±1 tick: ±0.33 % of a core for 3 s.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

PACED_WARMUP_SECONDS = 1.0  # the pacer's load before the CPU window opens
SETTLE_SECONDS = 1.0  # after the last packet, before the idle window opens


class PacerError(Exception):
    """The pacer (the Node load generator in its open-loop mode) failed."""


class Measured(Protocol):
    """A connector under test (``bench.connector.Target`` is one)."""

    @property
    def path(self) -> str: ...

    @property
    def urls(self) -> tuple[str, ...]: ...

    @property
    def token(self) -> str: ...

    def cpu_seconds(self) -> float | None: ...


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IdleFigures:
    """One connector's CPU use, in % of one core, idle and at a paced load."""

    path: str
    idle_seconds: float
    idle_cpu_percent: float | None
    rate: float  # the paced load asked for, packets/s
    paced_seconds: float
    paced_cpu_percent: float | None
    paced_packets_per_second: float
    paced_p50_ms: float | None
    paced_p99_ms: float | None
    paced_errors: int
    paced_rejected: int


def cpu_percent(before: float | None, after: float | None, seconds: float) -> float | None:
    if before is None or after is None or seconds <= 0:
        return None
    return (after - before) / seconds * 100


def paced_run(
    command: list[str], cpu: Callable[[], float | None], seconds: float
) -> tuple[float | None, dict[str, Any]]:
    """Run the pacer `command` (its warm-up and duration already in its config); the CPU % of
    `cpu` over `seconds` from the pacer's MEASURING line, and the pacer's RESULT payload."""
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as pacer:
        assert pacer.stdout is not None
        assert pacer.stderr is not None
        line = pacer.stdout.readline()
        if line.strip() != "MEASURING":
            pacer.kill()
            raise PacerError(f"pacer printed {line!r} instead of MEASURING: {pacer.stderr.read()}")
        before, started = cpu(), time.monotonic()
        time.sleep(seconds)
        percent = cpu_percent(before, cpu(), time.monotonic() - started)
        try:
            out, err = pacer.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired as error:
            pacer.kill()
            raise PacerError("pacer hung") from error
    for text in out.splitlines():
        if text.startswith("RESULT "):
            payload: dict[str, Any] = json.loads(text[len("RESULT ") :])
            return percent, payload
    raise PacerError(f"pacer exited {pacer.returncode} without a RESULT line:\n{err[-1500:]}")


def measure_idle(
    targets: Sequence[Measured],
    pacer: Callable[[Measured, dict[str, Any]], list[str]],
    *,
    seconds: float,
    rate: float,
) -> list[IdleFigures]:
    """The paced load on each target in turn (the others idle meanwhile), then all of them idle
    at once. `pacer(target, config)` is the pacer's command line for that target, given the
    config keys of its open-loop mode."""
    paced: dict[str, tuple[float | None, dict[str, Any]]] = {}
    for target in targets:
        config = {
            "rate": rate,
            "warmupMs": round(PACED_WARMUP_SECONDS * 1000),
            # A little past the CPU window, so that the load lasts while it is open.
            "durationMs": round((seconds + 0.5) * 1000),
        }
        paced[target.path] = paced_run(pacer(target, config), target.cpu_seconds, seconds)
        print(f"  {target.path:<21} paced at {rate:g} packets/s: done", flush=True)
    time.sleep(SETTLE_SECONDS)
    before = {target.path: target.cpu_seconds() for target in targets}
    started = time.monotonic()
    time.sleep(seconds)
    after = {target.path: target.cpu_seconds() for target in targets}
    elapsed = time.monotonic() - started
    figures = []
    for target in targets:
        percent, raw = paced[target.path]
        figures.append(
            IdleFigures(
                path=target.path,
                idle_seconds=elapsed,
                idle_cpu_percent=cpu_percent(before[target.path], after[target.path], elapsed),
                rate=rate,
                paced_seconds=seconds,
                paced_cpu_percent=percent,
                paced_packets_per_second=float(raw["packetsPerSecond"]),
                paced_p50_ms=raw["p50Ms"],
                paced_p99_ms=raw["p99Ms"],
                paced_errors=int(raw["errors"]),
                paced_rejected=int(raw["rejected"]),
            )
        )
    return figures


def report_idle(figures: Sequence[IdleFigures]) -> None:
    if not figures:
        return
    first = figures[0]
    tick = 100 / os.sysconf("SC_CLK_TCK")
    print()
    print(
        f"CPU with no traffic ({first.idle_seconds:.1f} s, {SETTLE_SECONDS:g} s after the last"
        f" packet) and at a paced {first.rate:g} packets/s ({first.paced_seconds:g} s after"
        f" {PACED_WARMUP_SECONDS:g} s of it), % of one core (±{tick / first.idle_seconds:.2f}"
        f" idle, ±{tick / first.paced_seconds:.2f} paced: /proc's ticks); goals: idle < 1 %,"
        f" {first.rate:g} packets/s < 5 %"
    )
    print(
        f"{'path':<21} {'idle %':>7} {'paced %':>8} {'packets/s':>10} {'p50 ms':>8}"
        f" {'p99 ms':>8} {'rejected':>9} {'errors':>7}"
    )
    for f in figures:
        print(
            f"{f.path:<21} {_percent(f.idle_cpu_percent):>7} {_percent(f.paced_cpu_percent):>8}"
            f" {f.paced_packets_per_second:>10,.1f} {_ms(f.paced_p50_ms):>8}"
            f" {_ms(f.paced_p99_ms):>8} {f.paced_rejected:>9,} {f.paced_errors:>7,}"
        )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
