"""Finding, reading and writing the compose file: which file, which bytes, and what is left on
disk."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import composeswap.files
import composeswap.render
from composeswap.files import ComposeFile
from tests.helpers import LOCAL_API, REMOTE_API, Result, project, run, source_folder

OTHER_WRITER = b"services:\n  api:\n    image: someone/else:1\n"
NAMES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
)  # Compose's order
NOBODY = 65534


def listing(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def failed_cleanly(result: Result) -> None:
    assert result.exit_code == 2, result.stderr


# --- which file ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "present",
    [
        NAMES,
        NAMES[1:],
        NAMES[2:],
        NAMES[3:],
        (NAMES[1], NAMES[2]),
        (NAMES[0], NAMES[3]),
    ],
    ids=lambda names: "+".join(names),
)
def test_the_first_compose_name_present_is_used(tmp_path: Path, present: tuple[str, ...]) -> None:
    for name in present:
        project(tmp_path, REMOTE_API, "api", name=name)
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    chosen = present[0]
    assert result.stderr.startswith(f"{chosen}: ")
    for name in present:
        assert (tmp_path / name).read_bytes() == (LOCAL_API if name == chosen else REMOTE_API)


@pytest.mark.parametrize("option", ["-f", "--file"])
def test_file_option_wins_over_the_default_names(tmp_path: Path, option: str) -> None:
    default = project(tmp_path, REMOTE_API, "api")
    chosen = project(tmp_path, REMOTE_API, "api", name="stack.yml")
    result = run(tmp_path, option, "stack.yml", "local")
    assert result.exit_code == 0, result.stderr
    assert chosen.read_bytes() == LOCAL_API
    assert default.read_bytes() == REMOTE_API


def test_file_option_accepts_an_absolute_path(tmp_path: Path) -> None:
    compose = project(tmp_path / "stack", REMOTE_API, "api")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(elsewhere, "-f", str(compose), "local")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == LOCAL_API


def test_no_compose_file_lists_the_names_looked_for(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml.bak").write_bytes(REMOTE_API)
    result = run(tmp_path, "local")
    failed_cleanly(result)
    for name in NAMES:
        assert name in result.stderr
    assert "-f" in result.stderr
    assert listing(tmp_path) == {"compose.yaml.bak"}


def test_missing_file_given_with_f(tmp_path: Path) -> None:
    result = run(tmp_path, "-f", "missing.yaml", "local")
    failed_cleanly(result)
    assert result.stderr.startswith("missing.yaml: error: ")
    assert "no such file" in result.stderr
    assert listing(tmp_path) == set()


def test_dangling_symlink_given_with_f(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").symlink_to("gone.yaml")
    result = run(tmp_path, "-f", "compose.yaml", "remote")
    failed_cleanly(result)
    assert "no such file" in result.stderr
    assert not (tmp_path / "gone.yaml").exists()


def test_directory_given_with_f(tmp_path: Path) -> None:
    (tmp_path / "stack").mkdir()
    result = run(tmp_path, "-f", "stack", "local")
    failed_cleanly(result)
    assert result.stderr.startswith("stack: error: ")
    assert "folder" in result.stderr
    assert listing(tmp_path / "stack") == set()


@pytest.mark.parametrize(
    "text, position",
    [
        (b"services:\n  api:\n    image: caf\xe9-dev\n", "3:15"),
        (b"# r\xe9sum\xe9\nservices:\n  api:\n    image: a\n", "1:4"),
        (b"\xff\xfes\x00e\x00r\x00", "1:1"),
    ],
    ids=["latin-1 value", "latin-1 comment", "utf-16"],
)
def test_not_utf8_is_reported_with_its_position(tmp_path: Path, text: bytes, position: str) -> None:
    compose = project(tmp_path, text, "api")
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert result.stderr.startswith(f"compose.yaml:{position}: error: "), result.stderr
    assert "UTF-8" in result.stderr
    assert compose.read_bytes() == text


# --- writing only when something changed --------------------------------------------------------


def identity(path: Path) -> tuple[int, int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns, info.st_size


@pytest.mark.parametrize(
    "args",
    [
        ["local"],
        ["local", "api"],
        ["local", "--check"],
        ["local", "--dry-run"],
        ["local", "--diff"],
    ],
)
def test_nothing_is_written_without_a_change(tmp_path: Path, args: list[str]) -> None:
    compose = project(tmp_path, LOCAL_API, "api")
    os.utime(compose, ns=(1_000_000_000, 1_000_000_000))
    before = identity(compose)
    result = run(tmp_path, *args)
    assert result.exit_code == 0, result.stderr
    assert identity(compose) == before
    assert compose.read_bytes() == LOCAL_API


@pytest.mark.parametrize("flag", ["--check", "--dry-run", "--diff"])
def test_modes_that_write_nothing_leave_the_file_untouched(tmp_path: Path, flag: str) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    os.utime(compose, ns=(1_000_000_000, 1_000_000_000))
    before = identity(compose)
    run(tmp_path, "local", flag)
    assert identity(compose) == before
    assert listing(tmp_path) == {"api", "compose.yaml"}


# --- writing atomically -------------------------------------------------------------------------


def test_write_renames_a_temp_file_from_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    renames: list[tuple[Path, Path, bytes]] = []
    real_replace = os.replace

    def recording_replace(source: Any, target: Any, **kwargs: Any) -> None:
        renames.append((Path(source), Path(target), Path(source).read_bytes()))
        real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", recording_replace)
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert len(renames) == 1
    source, target, written = renames[0]
    assert source.parent.resolve() == tmp_path.resolve()
    assert target.resolve() == compose.resolve()
    assert written == LOCAL_API
    assert listing(tmp_path) == {"api", "compose.yaml"}


def test_no_temp_file_is_left_after_many_runs(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    for args in (
        ["local"],
        ["local"],
        ["remote"],
        ["remote", "--diff"],
        ["local", "--check"],
        ["local", "nope"],
        ["local", "--dry-run"],
        ["local"],
        ["remote"],
    ):
        run(tmp_path, *args)
    assert listing(tmp_path) == {"api", "compose.yaml"}
    assert compose.read_bytes() == REMOTE_API


def test_a_write_removes_its_own_stale_temps_and_nothing_else(tmp_path: Path) -> None:
    # What a killed run leaves is .compose.yaml.<random>.composeswap.tmp; other files stay.
    project(tmp_path, REMOTE_API, "api")
    suffix = composeswap.files.TEMP_SUFFIX
    stale = f".compose.yaml.k1ll3d{suffix}"
    kept = {
        f".other.yaml.k1ll3d{suffix}",
        ".compose.yaml.bak",
        f"compose.yaml.x{suffix}",
        f".compose.yaml{suffix}",
    }
    for name in {stale, *kept}:
        (tmp_path / name).write_text("left over\n")
    assert run(tmp_path, "local").exit_code == 0
    assert listing(tmp_path) == {"api", "compose.yaml", *kept}


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_without_a_lock_no_temp_file_is_taken_for_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where flock fails (a file system without locks), another run may be writing its temp
    # file right now: it is left alone, and the switch still happens.
    import fcntl

    def no_locks(_fd: int, _operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    project(tmp_path, REMOTE_API, "api")
    other = f".compose.yaml.k1ll3d{composeswap.files.TEMP_SUFFIX}"
    (tmp_path / other).write_text("another run's new text\n")
    assert run(tmp_path, "local").exit_code == 0
    assert listing(tmp_path) == {"api", "compose.yaml", other}
    assert (tmp_path / "compose.yaml").read_bytes() == LOCAL_API


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664, 0o755])
def test_write_keeps_the_mode(tmp_path: Path, mode: int) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    compose.chmod(mode)
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == LOCAL_API
    assert stat.S_IMODE(compose.stat().st_mode) == mode


def test_symlinked_file_stays_a_symlink_and_its_target_is_edited(tmp_path: Path) -> None:
    real = project(tmp_path, REMOTE_API, "api", name="real.yaml")
    real.chmod(0o640)
    link = tmp_path / "compose.yaml"
    link.symlink_to("real.yaml")
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert os.readlink(link) == "real.yaml"
    assert real.read_bytes() == LOCAL_API
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert run(tmp_path, "remote").exit_code == 0
    assert link.is_symlink()
    assert real.read_bytes() == REMOTE_API
    assert listing(tmp_path) == {"api", "compose.yaml", "real.yaml"}


def test_symlink_into_another_folder_edits_the_target_there(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "compose.yaml"
    real.write_bytes(REMOTE_API)
    stack = tmp_path / "stack"
    source_folder(stack / "api")
    link = stack / "compose.yaml"
    link.symlink_to("../shared/compose.yaml")
    result = run(stack, "local")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert real.read_bytes() == LOCAL_API
    assert listing(shared) == {"compose.yaml"}
    assert listing(stack) == {"api", "compose.yaml"}


# --- someone else writes the file meanwhile -----------------------------------------------------


def other_writer_during(monkeypatch: pytest.MonkeyPatch, action: Callable[[], object]) -> None:
    """Make ``action`` happen after composeswap has read the file and before it writes."""
    real_apply = composeswap.render.apply
    acted: list[bool] = []

    def apply(*args: Any, **kwargs: Any) -> str:
        if not acted:
            acted.append(True)
            action()
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(composeswap.render, "apply", apply)


def test_a_change_made_meanwhile_is_kept_and_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    other_writer_during(monkeypatch, lambda: compose.write_bytes(OTHER_WRITER))
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert "changed by someone else" in result.stderr
    assert compose.read_bytes() == OTHER_WRITER
    assert listing(tmp_path) == {"api", "compose.yaml"}


def test_a_change_right_after_reading_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    real_read = composeswap.files.read

    def read_then_other_writer(path: str) -> ComposeFile:
        file = real_read(path)
        compose.write_bytes(OTHER_WRITER)
        return file

    monkeypatch.setattr(composeswap.files, "read", read_then_other_writer)
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert "changed by someone else" in result.stderr
    assert compose.read_bytes() == OTHER_WRITER
    assert listing(tmp_path) == {"api", "compose.yaml"}


def test_a_same_size_change_made_meanwhile_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    edited = REMOTE_API.replace(b"-dev", b"-dex")
    mtime = compose.stat().st_mtime_ns

    def edit_keeping_mtime() -> None:
        compose.write_bytes(edited)
        os.utime(compose, ns=(mtime, mtime))

    other_writer_during(monkeypatch, edit_keeping_mtime)
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert compose.read_bytes() == edited


def test_a_replacement_made_meanwhile_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")

    def replace_atomically() -> None:
        (tmp_path / "editor.swp").write_bytes(OTHER_WRITER)
        os.replace(tmp_path / "editor.swp", compose)

    other_writer_during(monkeypatch, replace_atomically)
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert compose.read_bytes() == OTHER_WRITER
    assert listing(tmp_path) == {"api", "compose.yaml"}


def test_a_deletion_made_meanwhile_is_not_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    other_writer_during(monkeypatch, compose.unlink)
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert "compose.yaml" in result.stderr
    assert listing(tmp_path) == {"api"}


# --- write failures -----------------------------------------------------------------------------


def raising(error: OSError) -> Callable[..., None]:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise error

    return fail


@pytest.mark.parametrize(
    "error, words",
    [
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (OSError(errno.EROFS, "Read-only file system"), "Read-only file system"),
    ],
    ids=["permission", "full disk", "read-only file system"],
)
def test_failing_rename_keeps_the_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, words: str
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    monkeypatch.setattr(os, "replace", raising(error))
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert result.stderr.startswith("compose.yaml: error: cannot write it: "), result.stderr
    assert words in result.stderr
    assert "unchanged" in result.stderr
    assert compose.read_bytes() == REMOTE_API
    assert listing(tmp_path) == {"api", "compose.yaml"}


def test_full_disk_while_writing_keeps_the_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    monkeypatch.setattr(os, "fsync", raising(OSError(errno.ENOSPC, "No space left on device")))
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert "No space left on device" in result.stderr
    assert compose.read_bytes() == REMOTE_API
    assert listing(tmp_path) == {"api", "compose.yaml"}


@pytest.fixture
def open_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder another user can reach: the pytest temp root is private to its owner."""
    if os.geteuid() != 0:
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="composeswap-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def run_unprivileged(folder: Path, *args: str) -> Result:
    """Run composeswap with file permissions in force: as root, acting as an ordinary user."""
    if os.geteuid() != 0:
        return run(folder, *args)
    # The same command on a copy first, as root, so that every module it needs is imported:
    # the interpreter's own files may be unreadable to the user the real run acts as.
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "copy"
        shutil.copytree(folder, copy, symlinks=True)
        run(copy, *args)
        copy.chmod(0o755)
    groups = os.getgroups()
    os.setgroups([])
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        return run(folder, *args)
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups(groups)


def test_read_only_file_is_refused_and_unchanged(open_folder: Path) -> None:
    compose = project(open_folder, REMOTE_API, "api")
    open_folder.chmod(0o777)  # the rename alone would be allowed: only the file says no
    compose.chmod(0o444)
    result = run_unprivileged(open_folder, "local")
    failed_cleanly(result)
    assert result.stderr.startswith("compose.yaml: error: "), result.stderr
    assert "read-only" in result.stderr
    assert compose.read_bytes() == REMOTE_API
    assert listing(open_folder) == {"api", "compose.yaml"}


def test_read_only_file_is_refused_for_root_too(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    compose.chmod(0o444)
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert "read-only" in result.stderr
    assert compose.read_bytes() == REMOTE_API
    assert stat.S_IMODE(compose.stat().st_mode) == 0o444


def test_file_of_another_user_that_is_not_writable_is_refused(open_folder: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give the test file to another user")
    compose = project(open_folder, REMOTE_API, "api")
    open_folder.chmod(0o777)
    compose.chmod(0o644)  # writable by its owner, root, not by the user composeswap runs as
    result = run_unprivileged(open_folder, "local")
    failed_cleanly(result)
    assert compose.read_bytes() == REMOTE_API
    assert compose.stat().st_uid == 0
    assert listing(open_folder) == {"api", "compose.yaml"}


def test_read_only_folder_is_refused_and_the_file_unchanged(open_folder: Path) -> None:
    compose = project(open_folder, REMOTE_API, "api")
    compose.chmod(0o666)
    open_folder.chmod(0o555)
    try:
        result = run_unprivileged(open_folder, "local")
    finally:
        open_folder.chmod(0o755)
    failed_cleanly(result)
    assert result.stderr.startswith("compose.yaml: error: cannot write it: "), result.stderr
    assert "read-only" in result.stderr
    assert "unchanged" in result.stderr
    assert compose.read_bytes() == REMOTE_API
    assert listing(open_folder) == {"api", "compose.yaml"}


def test_unreadable_file_is_refused(open_folder: Path) -> None:
    compose = project(open_folder, REMOTE_API, "api")
    compose.chmod(0o000)
    result = run_unprivileged(open_folder, "local")
    compose.chmod(0o644)
    failed_cleanly(result)
    assert "permission denied" in result.stderr
    assert compose.read_bytes() == REMOTE_API


# --- line endings, BOM and the final newline ----------------------------------------------------


BOM = b"\xef\xbb\xbf"
SHAPES = {
    "LF": (REMOTE_API, LOCAL_API),
    "CRLF": (REMOTE_API.replace(b"\n", b"\r\n"), LOCAL_API.replace(b"\n", b"\r\n")),
    "BOM": (BOM + REMOTE_API, BOM + LOCAL_API),
    "no final newline": (REMOTE_API[:-1], LOCAL_API[:-1]),
    "CRLF, BOM, no final newline": (
        BOM + REMOTE_API.replace(b"\n", b"\r\n")[:-2],
        BOM + LOCAL_API.replace(b"\n", b"\r\n")[:-2],
    ),
    "CRLF with keys after": (
        b"services:\r\n  api:\r\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\r\n"
        b'    ports:\r\n      - "80:80"\r\n',
        b"services:\r\n  api:\r\n    build:\r\n      context: ./api\r\n      target: dev\r\n"
        b'    ports:\r\n      - "80:80"\r\n',
    ),
    "CR only": (REMOTE_API.replace(b"\n", b"\r"), LOCAL_API.replace(b"\n", b"\r")),
}


@pytest.mark.parametrize("remote, local", SHAPES.values(), ids=SHAPES.keys())
def test_file_shape_is_kept_both_ways(tmp_path: Path, remote: bytes, local: bytes) -> None:
    compose = project(tmp_path, remote, "api")
    assert run(tmp_path, "local").exit_code == 0
    assert compose.read_bytes() == local
    assert run(tmp_path, "remote").exit_code == 0
    assert compose.read_bytes() == remote
    assert run(tmp_path, "local").exit_code == 0
    assert compose.read_bytes() == local


def test_crlf_file_with_overrides_stays_crlf(tmp_path: Path) -> None:
    text = (
        b"services:\r\n  api:  # ours\r\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\r\n"
        b"  db:\r\n    image: postgres:16\r\n"
    )
    compose = project(tmp_path, text, "api")
    source_folder(tmp_path / "src")
    result = run(tmp_path, "local", "api", "--context", "api=./src", "--target", "test")
    assert result.exit_code == 0, result.stderr
    after = compose.read_bytes()
    assert after.count(b"\r\n") == after.count(b"\n")
    assert b"\r\n      context: ./src\r\n      target: test\r\n" in after
    assert run(tmp_path, "remote", "api").exit_code == 0
    assert compose.read_bytes() == text


# --- taking turns ---------------------------------------------------------------------------------


@pytest.fixture
def folder_lock(tmp_path: Path) -> Iterator[int]:
    """The folder's lock, held as another composeswap run would hold it."""
    import fcntl

    descriptor = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def test_a_run_that_cannot_get_the_folder_lock_writes_nothing(
    tmp_path: Path, folder_lock: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    monkeypatch.setattr(composeswap.files, "LOCK_WAIT_SECONDS", 0.2)
    result = run(tmp_path, "local")
    failed_cleanly(result)
    assert "another composeswap has been editing this file's folder" in result.stderr
    assert compose.read_bytes() == REMOTE_API


def test_a_run_waits_for_the_lock_and_then_switches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other run ends exactly when this one first finds the folder locked: no timer, so
    the wait is exercised however slow the machine is."""
    import fcntl

    compose = project(tmp_path, REMOTE_API, "api")
    descriptor = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    events: list[str] = []
    real_flock = fcntl.flock

    def flock(fd: int, operation: int) -> None:
        try:
            real_flock(fd, operation)
        except BlockingIOError:
            if "blocked" not in events:  # the other run ends now
                events.append("blocked")
                os.close(descriptor)
            raise

    real_write = composeswap.files.write_all

    def spy(changes: Sequence[tuple[ComposeFile, str]]) -> None:
        events.append("write")
        real_write(changes)

    monkeypatch.setattr(fcntl, "flock", flock)
    monkeypatch.setattr(composeswap.files, "write_all", spy)
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert events == ["blocked", "write"]
    assert compose.read_bytes() == LOCAL_API


def test_reading_modes_do_not_wait_for_the_lock(
    tmp_path: Path, folder_lock: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    monkeypatch.setattr(composeswap.files, "LOCK_WAIT_SECONDS", 0.0)
    assert run(tmp_path, "local", "--diff").exit_code == 0
    assert run(tmp_path, "local", "--check").exit_code == 1
    assert compose.read_bytes() == REMOTE_API


def test_a_temp_name_taken_by_chance_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Random names can meet another run's: the first free one is used, the other file kept.
    project(tmp_path, REMOTE_API, "api")
    taken = tmp_path / f".compose.yaml.{'00' * 6}{composeswap.files.TEMP_SUFFIX}"
    names = iter([bytes(6), bytes(6), b"\x01" * 6])
    monkeypatch.setattr(os, "urandom", lambda size: next(names))
    real_open = os.open

    def keep_taken(path: str, flags: int, mode: int = 0o777) -> int:
        if path == str(taken) and not taken.exists():
            taken.write_text("another run's\n")  # appears just before composeswap's create
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", keep_taken)
    assert run(tmp_path, "local").exit_code == 0
    assert taken.read_text() == "another run's\n"
    assert (tmp_path / "compose.yaml").read_bytes() == LOCAL_API


def test_no_free_temp_name_is_a_write_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    (tmp_path / f".compose.yaml.{'00' * 6}{composeswap.files.TEMP_SUFFIX}").write_text("x\n")
    monkeypatch.setattr(os, "urandom", lambda size: bytes(size))
    monkeypatch.setattr(composeswap.files, "remove_stale_temps", lambda target: None)
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert "no free name for a temporary file" in result.stderr
    assert compose.read_bytes() == REMOTE_API
