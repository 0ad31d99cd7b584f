"""A PostgreSQL server of a test's own, in a temporary folder, that the test may stop and start.

Tests of what happens while the database is away cannot stop the suite's shared server, so they
make a throwaway cluster with the installed server's own tools (Debian's
/usr/lib/postgresql/<version>/bin): initdb, then pg_ctl to start and stop it on a free port of
127.0.0.1. initdb refuses to run as root, so as root (CI) every tool runs as the `postgres` user
through runuser, in a folder handed to that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from skranke.testing.server import free_port

# Seconds pg_ctl waits for the server to start or stop before it gives up.
PG_CTL_TIMEOUT_SECONDS = 30
# A port found free can be taken before the server binds it; starting is tried this often.
PORT_ATTEMPTS = 3
SUPERUSER = "postgres"


class ClusterError(RuntimeError):
    """A PostgreSQL tool failed; the message holds its output."""


def _server_binaries() -> Path:
    """Return the folder of initdb and pg_ctl, the newest installed version first."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda path: int(Path(path).parts[-3].split(".")[0]))
        return Path(newest).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ClusterError(
            "initdb was not found (Debian: apt install postgresql); this test starts a "
            "PostgreSQL server of its own"
        )
    return Path(initdb).parent


class ThrowawayCluster:
    """One PostgreSQL cluster in a temporary folder; `remove()` stops it and deletes the folder."""

    def __init__(self, folder: Path, binaries: Path, as_user: list[str]) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.binaries = binaries
        self._as_user = as_user
        self.port = 0
        self.running = False

    @classmethod
    def create(cls) -> ThrowawayCluster:
        """Make a new cluster with trust authentication for the superuser `postgres`."""
        binaries = _server_binaries()
        folder = Path(tempfile.mkdtemp(prefix="skranke-postgres-"))
        as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError:
                shutil.rmtree(folder)
                raise ClusterError(
                    f"running as root needs a {SUPERUSER!r} user for initdb"
                ) from None
            os.chown(folder, owner.pw_uid, owner.pw_gid)
            as_user = ["runuser", "-u", SUPERUSER, "--"]
        cluster = cls(folder, binaries, as_user)
        try:
            cluster._run(
                "initdb",
                "--pgdata",
                str(cluster.data),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-locale",
                # A throwaway cluster: nothing needs to survive a crash of the machine.
                "--no-sync",
            )
        except ClusterError:
            cluster.remove()
            raise
        return cluster

    def url(self, database: str = "postgres") -> str:
        """Return the SKRANKE_DATABASE_URL of ``database`` in this cluster."""
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server (on the port of an earlier start, else a free one); wait for it."""
        attempts = 1 if self.port else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self.port or free_port()
            try:
                self._pg_ctl(
                    "start",
                    "--log",
                    str(self.folder / "postgresql.log"),
                    "--options",
                    # Only loopback, the socket in the cluster's own folder, and no waiting on
                    # the disk: the data is thrown away after the test.
                    f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                )
            except ClusterError:
                if attempt == attempts:
                    raise
                continue
            self.port = port
            self.running = True
            return

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session at once, as an administrator would."""
        self._pg_ctl("stop", "--mode", mode)
        self.running = False

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster's folder."""
        if self.running:
            with contextlib.suppress(ClusterError):
                self.stop(mode="immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg_ctl(self, action: str, *arguments: str) -> None:
        self._run(
            "pg_ctl",
            action,
            "--pgdata",
            str(self.data),
            "--wait",
            "--timeout",
            str(PG_CTL_TIMEOUT_SECONDS),
            *arguments,
        )

    def _run(self, tool: str, *arguments: str) -> None:
        command = [*self._as_user, str(self.binaries / tool), *arguments]
        result = subprocess.run(
            command, cwd=self.folder, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            log = self.folder / "postgresql.log"
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise ClusterError(
                f"`{' '.join(command)}` failed with status {result.returncode}:\n"
                f"{result.stdout}{result.stderr}{server_log}"
            )
