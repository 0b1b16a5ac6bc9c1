"""What the benchmark ran on: cores, CPU model, memory, Python and library versions."""

from __future__ import annotations

import os
import platform
import resource
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = (
    "flask",
    "werkzeug",
    "waitress",
    "uvloop",
    "httptools",
    "jsonschema",
    "cryptography",
    "pyjwt",
)


def _proc_field(path: str, name: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return ""


def memory_gib() -> float:
    """Total memory from /proc/meminfo (0 when unreadable)."""
    raw = _proc_field("/proc/meminfo", "MemTotal")
    return round(int(raw.split()[0]) / 1024**2, 1) if raw else 0.0


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _all_cores() -> list[float]:
    """``/proc/stat``'s first eight times of all cores since boot, in seconds."""
    fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:9]
    return [int(x) / os.sysconf("SC_CLK_TCK") for x in fields]


def busy_seconds() -> float:
    """CPU time all cores have spent busy since boot (``/proc/stat``), in seconds."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = _all_cores()
    return user + nice + system + irq + softirq + steal


def stolen_seconds() -> float:
    """CPU time the hypervisor gave other guests while this machine wanted it (steal, in s)."""
    return _all_cores()[7]


def own_and_children_seconds() -> float:
    """CPU time of this process plus its reaped children (wrk runs as one)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def loadavg() -> list[float]:
    """The 1, 5 and 15 minute load averages (other work on the machine skews the figures)."""
    return [round(x, 2) for x in os.getloadavg()]


def describe() -> dict[str, Any]:
    """The machine and software the figures belong to."""
    return {
        "nproc": os.cpu_count() or 0,
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "memory_gib": memory_gib(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "kernel": platform.release(),
        "load_average": loadavg(),
        "libraries": {name: _version(name) for name in LIBRARIES},
    }


def one_line(info: dict[str, Any]) -> str:
    """``2 x AMD EPYC, 23.5 GiB, CPython 3.11.7`` for the table's heading."""
    return (
        f"{info['nproc']} x {info['cpu_model']}, {info['memory_gib']} GiB, {info['python']}, "
        f"Linux {info['kernel']}"
    )
