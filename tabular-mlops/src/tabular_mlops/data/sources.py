"""Read a data source into a data frame: a file, a URL, a database query or a packaged dataset.

Every problem a user can cause with a source (a missing or empty file, a binary or JSON
file given as CSV, an unreachable URL, an HTTP error, a bad database URL or query) becomes
one :class:`SourceError` whose message names the source and what would be right, so the
command line prints one ``error:`` line instead of a traceback. Secrets are written as
``${VAR}`` in a database URL and read from the environment, so they never reach
``params.yaml`` or Git, and they are masked whenever a source is shown.
"""

from __future__ import annotations

import csv
import io
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ProjectError

PARQUET_MAGIC = b"PAR1"
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
DOWNLOAD_TIMEOUT_S = 60
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class SourceError(ProjectError, ValueError):
    """A data source cannot be read; the message says which and why."""


def _load_palmerpenguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


# Datasets that ship inside an installed package, so the demo needs no network.
PACKAGED_SOURCES: dict[str, Callable[[], pd.DataFrame]] = {
    "palmerpenguins": _load_palmerpenguins,
}


@dataclass(frozen=True)
class CsvOptions:
    """How to read a CSV file; ``None`` means detect it."""

    delimiter: str | None = None
    encoding: str | None = None


def source_kind(source: str) -> str:
    """One of ``package``, ``url``, ``database`` or ``file``."""
    if source in PACKAGED_SOURCES:
        return "package"
    match = _URL_SCHEME.match(source)
    if match is None:
        return "file"
    scheme = match.group(1).lower()
    if scheme in ("http", "https"):
        return "url"
    if scheme == "file":
        return "file"
    return "database"


def expand_secrets(source: str) -> str:
    """Replace each ``${VAR}`` with the environment variable ``VAR``."""
    missing = sorted({name for name in _ENV_REFERENCE.findall(source) if name not in os.environ})
    if missing:
        raise SourceError(
            f"the data source refers to environment variable(s) {', '.join(missing)}, which "
            "are not set: export them in the shell (or as CI secrets) and retry"
        )
    return _ENV_REFERENCE.sub(lambda match: os.environ[match.group(1)], source)


def display_source(source: str) -> str:
    """The source as it may be shown and recorded: any literal password masked."""
    if source_kind(source) != "database":
        return source
    return re.sub(r"(://[^/:@]*:)([^/@]+)(@)", r"\1***\3", source)


def _decode(data: bytes, name: str, encoding: str | None) -> str:
    if encoding is not None:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as error:
            raise SourceError(
                f"{name} cannot be read as {encoding}: {error}; fix data.csv.encoding in "
                "params.yaml (null detects UTF-8 or Windows-1252)"
            ) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return (
            data.decode("cp1252", errors="strict") if _is_cp1252(data) else data.decode("latin-1")
        )


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(text: str, name: str) -> str:
    sample = text[:SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        if any(delimiter in first_line for delimiter in DELIMITERS):
            return max(DELIMITERS, key=first_line.count)
        # One column, or a delimiter we do not guess: let the header decide below.
        return ","


def _check_text_is_csv(text: str, name: str) -> None:
    stripped = text.lstrip()
    if not stripped:
        raise SourceError(f"{name} is empty: expected a header line and at least one row")
    if stripped[0] in "{[":
        raise SourceError(
            f"{name} looks like JSON, not CSV: export it as CSV or Parquet "
            "(for example with pandas: pd.read_json(...).to_csv(..., index=False))"
        )


def parse_bytes(data: bytes, name: str, options: CsvOptions) -> pd.DataFrame:
    """Parse CSV or Parquet content (Parquet is recognised by its magic bytes)."""
    if not data:
        raise SourceError(f"{name} is empty (0 bytes): expected a CSV or Parquet file")
    if data[:4] == PARQUET_MAGIC:
        return _parse_parquet(data, name)
    if b"\0" in data[:SNIFF_BYTES]:
        raise SourceError(
            f"{name} is a binary file, not CSV or Parquet: export the data as CSV (UTF-8) "
            "or Parquet"
        )
    text = _decode(data, name, options.encoding)
    _check_text_is_csv(text, name)
    delimiter = options.delimiter or _sniff_delimiter(text, name)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, low_memory=False)
    except (pd.errors.ParserError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise SourceError(
            f"{name} is not a valid CSV file with delimiter {delimiter!r}: {first_line}; "
            "set data.csv.delimiter in params.yaml if the guess is wrong"
        ) from error
    return frame


def _parse_parquet(data: bytes, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(data))
    except ImportError as error:
        raise SourceError(
            f"{name} is Parquet, which needs pyarrow: run 'uv sync' (it is in the pipeline "
            "dependency group)"
        ) from error
    except Exception as error:  # pyarrow raises several unrelated types for a bad file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise SourceError(f"{name} is not a readable Parquet file: {first_line}") from error


def _read_file(source: str, options: CsvOptions) -> pd.DataFrame:
    path = Path(source.removeprefix("file://"))
    if not path.exists():
        raise SourceError(
            f"data source '{source}' does not exist: give a CSV or Parquet file (absolute, or "
            f"relative to the project root), an http(s) URL, a database URL with a query, or "
            f"one of the packaged datasets ({', '.join(PACKAGED_SOURCES)})"
        )
    if path.is_dir():
        raise SourceError(f"data source '{source}' is a folder: name a CSV or Parquet file in it")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"data source '{source}' cannot be read: {error.strerror}") from error
    return parse_bytes(data, source, options)


def _read_url(source: str, options: CsvOptions) -> pd.DataFrame:
    request = urllib.request.Request(source, headers={"User-Agent": "mlops-template-ingest"})  # noqa: S310 - http(s) only, checked by source_kind
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:  # noqa: S310
            data = response.read()
    except urllib.error.HTTPError as error:
        error.close()  # it holds the response's socket, which the chained error would keep open
        raise SourceError(
            f"downloading {source} failed: HTTP {error.code} {error.reason}; check the URL"
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SourceError(
            f"cannot reach {source}: {reason}; check the URL and the network"
        ) from error
    return parse_bytes(data, source, options)


def _read_database(source: str, query: str | None) -> pd.DataFrame:
    shown = display_source(source)
    if not query or not query.strip():
        raise SourceError(
            f"the database source {shown} needs a query: set data.query in params.yaml "  # noqa: S608 - a message, not SQL
            "(or pass --query), for example: SELECT * FROM my_table"
        )
    try:
        import sqlalchemy
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
    except ImportError as error:
        raise SourceError(
            "database sources need SQLAlchemy: run 'uv sync' (pipeline dependency group)"
        ) from error
    url = expand_secrets(source)
    try:
        engine = sqlalchemy.create_engine(url)
    except NoSuchModuleError as error:
        raise SourceError(
            f"no SQLAlchemy dialect for {shown}: check the URL's scheme, and install the "
            "database's driver (PostgreSQL's is included), e.g. 'uv add pymysql' for mysql+pymysql://"
        ) from error
    except (ArgumentError, ValueError) as error:
        raise SourceError(
            f"'{shown}' is not a valid database URL: expected dialect[+driver]://user@host/db, "
            "for example postgresql://analyst:${DB_PASSWORD}@db.example.com/sales"
        ) from error
    except ImportError as error:
        raise SourceError(
            f"the database driver for {shown} is not installed ({error.name}): add it with "
            f"'uv add {error.name}'"
        ) from error
    try:
        with engine.connect() as connection:
            return pd.read_sql_query(sqlalchemy.text(query), connection)
    except (SQLAlchemyError, pd.errors.DatabaseError) as error:
        # pandas wraps SQLAlchemy's error in its own DatabaseError; the driver's is the clearest.
        cause = error.__cause__ if isinstance(error, pd.errors.DatabaseError) else error
        detail = str(getattr(cause, "orig", None) or error).strip().splitlines()[0]
        raise SourceError(f"reading {shown} with data.query failed: {detail}") from error
    finally:
        engine.dispose()


def read_source(
    source: str, *, query: str | None = None, csv_options: CsvOptions | None = None
) -> pd.DataFrame:
    """Return the data frame that ``source`` (and ``query``, for a database) describes."""
    options = csv_options or CsvOptions()
    kind = source_kind(source)
    if kind == "package":
        return PACKAGED_SOURCES[source]()
    if kind == "url":
        return _read_url(source, options)
    if kind == "database":
        return _read_database(source, query)
    return _read_file(source, options)
