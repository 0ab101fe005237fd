"""Reading and writing compose files; every I/O failure becomes a clear problem.

Writing is atomic: a temporary file beside the target, then a rename, so the file is always
either the complete old or the complete new text. A symlinked compose file stays a symlink and
its target is edited. Just before the rename the target is read again; if someone else changed
it since composeswap read it, nothing is written.

Paths are plain strings handled by os.path: importing pathlib alone would add ~4 ms to every run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from composeswap.errors import ComposeswapError, fail

if sys.platform != "win32":
    import fcntl

TEMP_SUFFIX = ".composeswap.tmp"
LOCK_WAIT_SECONDS = 10.0


class ComposeFile(NamedTuple):
    path: str  # as the user names it, for messages
    raw: bytes  # the bytes read, to detect a change by someone else before writing
    text: str

    @property
    def name(self) -> str:
        return self.path


def read(path: str) -> ComposeFile:
    try:
        if os.path.exists(path) and not os.path.isdir(path) and not os.path.isfile(path):
            raise fail(path, "is not a regular file (a pipe or a device?); give a compose file")
        raw = _read_bytes(path)
    except FileNotFoundError:
        raise fail(path, "no such file") from None
    except IsADirectoryError:
        raise fail(path, "is a directory, not a compose file") from None
    except PermissionError:
        raise fail(path, "cannot read it: permission denied") from None
    except OSError as error:
        raise fail(path, f"cannot read it: {error.strerror or error}") from None
    return ComposeFile(path, raw, _decode(path, raw))


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as source:
        return source.read()


def _decode(name: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise fail(
            name,
            f"not UTF-8 text (byte 0x{raw[error.start]:02x}); compose files are UTF-8",
            line=line,
            column=column,
        ) from None


@contextlib.contextmanager
def exclusive(path: str) -> Iterator[None]:
    """Hold the folder's lock from reading to writing, so two composeswap runs take turns.

    The lock is an advisory ``flock`` on the folder itself, so no lock file is left in the
    user's repository. Where there is no ``flock`` (Windows), the check before the rename still
    refuses to overwrite a change made in between.
    """
    if sys.platform == "win32":
        yield
        return
    target = os.path.realpath(path)
    try:
        descriptor = os.open(os.path.dirname(target), os.O_RDONLY)
    except OSError:
        yield  # reading the file will report what is wrong with its folder
        return
    try:
        if _wait_for_lock(descriptor, path):
            remove_stale_temps(target)  # another run's temp file could be in use without it
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _wait_for_lock(descriptor: int, name: str) -> bool:
    """Whether the lock is held: False on a file system that has no locks."""
    assert sys.platform != "win32"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise fail(
                    name,
                    "another composeswap has been editing this file's folder for "
                    f"{LOCK_WAIT_SECONDS:.0f} s; nothing written: try again",
                ) from None
            time.sleep(0.02)
        except OSError:
            return False  # a file system without locks: the check before the rename still guards


def remove_stale_temps(target: str) -> None:
    """Temporary files a killed run left behind; only called while holding the lock."""
    folder, base = os.path.split(target)
    prefix = f".{base}."
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if (
                name.startswith(prefix)
                and name.endswith(TEMP_SUFFIX)
                and len(name) >= len(prefix) + len(TEMP_SUFFIX)
            ):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_all(changes: Sequence[tuple[ComposeFile, str]]) -> None:
    """Replace several files' content: every new text is written to a temporary file first,
    and only when all are written, and none of the files changed since it was read, is each
    renamed into place. Each file is always its complete old or new text; a process that dies
    between two renames leaves the first files new and the others old."""
    temps: list[tuple[ComposeFile, str, str]] = []
    try:
        for file, text in changes:
            target = os.path.realpath(file.path)
            temps.append((file, target, _prepare(file, target, text)))
        for file, target, _temp in temps:
            if _read_bytes(target) != file.raw:
                raise fail(
                    file.name,
                    "changed by someone else while composeswap was working; "
                    "nothing written: run again",
                )
        for file, target, temp in temps:
            try:
                os.replace(temp, target)
            except OSError as error:
                raise _write_error(file, error) from None
            _sync_folder(os.path.dirname(target))
    finally:
        for _file, _target, temp in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)


def _prepare(file: ComposeFile, target: str, text: str) -> str:
    """The new text in a temporary file beside the target, with the target's mode."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
        # The rename would replace the file whatever its permissions say: honour them here.
        if not mode & 0o222 or not _writable(target):
            raise fail(
                file.name, "the file is read-only; nothing written (make it writable to switch it)"
            )
        return _write_temp(target, text.encode("utf-8"), mode)
    except OSError as error:
        raise _write_error(file, error) from None


def _writable(target: str) -> bool:
    effective = os.access in os.supports_effective_ids  # as the user we run as, even under sudo -u
    return os.access(target, os.W_OK, effective_ids=effective)


# A new file only, never through a symlink, not handed to child processes: as mkstemp opens it.
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOINHERIT", 0)
    | getattr(os, "O_BINARY", 0)
)


def _write_temp(target: str, data: bytes, mode: int) -> str:
    handle, temp = _create_temp(target)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return temp


def _create_temp(target: str) -> tuple[int, str]:
    """A new, empty temp file beside ``target`` (``.NAME.RANDOM.composeswap.tmp``, mode 0600),
    made as tempfile.mkstemp makes one but without importing tempfile (with random, hashlib and
    shutil: more time than the rest of a small file's write)."""
    folder, name = os.path.split(target)
    for _ in range(100):  # a name taken by chance: another one
        temp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}{TEMP_SUFFIX}")
        try:
            return os.open(temp, _CREATE, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free name for a temporary file", folder)


def _sync_folder(folder: str) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders; the rename itself is already atomic
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _write_error(file: ComposeFile, error: OSError) -> ComposeswapError:
    reason = error.strerror or str(error)
    if isinstance(error, PermissionError):
        reason = "permission denied (the file or its folder is read-only)"
    return fail(file.name, f"cannot write it: {reason}; the file is unchanged")
