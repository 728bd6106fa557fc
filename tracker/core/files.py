"""Files the app writes, written whole or not at all.

Every file the tracker writes (exports, the generated secret key) goes through
`atomic_write`: the bytes go to a temporary file in the target's folder, are flushed to
the disk, and only then take the target's name in one rename. A crash, a kill or a full
disk midway leaves the previous file exactly as it was; an ordinary failure leaves no
temporary file behind either (a SIGKILL can leave one, named `.<target>.*.tmp`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

#: Permissions of a new file: the exports hold password hashes, the key signs sessions.
PRIVATE = 0o600


@contextlib.contextmanager
def atomic_write(
    path: Path, *, exclusive: bool = False, mode: int | None = None
) -> Iterator[IO[str]]:
    """Yield a text stream whose content becomes `path` only once the block completes, so
    a reader or a crash never sees half a file.

    `exclusive=True` refuses to replace an existing file (FileExistsError), so two
    processes creating the same file at once end with one of their contents. A new file
    gets `mode` (default owner-only); a replaced file keeps its permissions.
    """
    target = Path(os.path.realpath(path))  # write where a symbolic link points, keep the link
    folder = target.parent
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), _mode_for(target, mode))
            yield out
            out.flush()
            os.fsync(out.fileno())
        if exclusive:
            os.link(temporary, target)  # fails if the target exists; never overwrites
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _mode_for(target: Path, mode: int | None) -> int:
    """The permissions the finished file gets: the replaced file's, else `mode`."""
    if mode is not None:
        return mode
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return PRIVATE


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (the folder's entry), where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
