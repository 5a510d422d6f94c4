"""Every kind of source reads into a frame, and every bad source gives one clear line.

CSV (delimiter and encoding sniffed or given), Parquet, an http(s) URL (served from a local
server on 127.0.0.1), a database URL with a query (SQLite in a temporary file), with secrets
written as ${VAR} and masked whenever a source is shown.
"""

from __future__ import annotations

import functools
import http.server
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tabular_mlops.data.sources import (
    PACKAGED_SOURCES,
    CsvOptions,
    SourceError,
    display_source,
    expand_secrets,
    read_source,
    source_kind,
)

FRAME = pd.DataFrame(
    {
        "plain": [1, 2, 3],
        "with space": [0.5, None, 2.5],
        "slash/name": ["a", "b, with a comma", "c"],
        "flag": [True, False, True],
    }
)


def _read_error(source: str, **options: Any) -> str:
    with pytest.raises(SourceError) as caught:
        read_source(source, **options)
    message = str(caught.value)
    assert "\n" not in message, "an error is one line"
    return message


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        *[(name, "package") for name in PACKAGED_SOURCES],
        ("data/external/sales.csv", "file"),
        ("/srv/data/sales.parquet", "file"),
        ("file:///srv/data/sales.csv", "file"),
        ("https://example.org/sales.csv", "url"),
        ("HTTP://example.org/sales.csv", "url"),
        ("sqlite:///data/sales.db", "database"),
        ("postgresql+psycopg://analyst@db.example.org/sales", "database"),
    ],
)
def test_the_kind_of_a_source_is_recognised(source: Any, kind: Any) -> None:
    assert source_kind(source) == kind


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: Any) -> None:
    path = tmp_path / "data.csv"
    FRAME.to_csv(path, sep=delimiter, index=False)
    pd.testing.assert_frame_equal(read_source(str(path)), FRAME)


def test_a_configured_delimiter_overrides_the_guess(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a;b,c\n1;2,3\n4;5,6\n", encoding="utf-8")
    read = read_source(str(path), csv_options=CsvOptions(delimiter=";"))
    assert list(read.columns) == ["a", "b,c"]


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("\ufeffcity,n\nKöln,1\n".encode(), "Köln"),  # UTF-8 with a byte-order mark
        ("city,n\nKöln,1\n".encode(), "Köln"),
        ("city,n\nKöln,1\n".encode("cp1252"), "Köln"),  # Windows-1252 (Excel on Windows)
    ],
)
def test_csv_encoding_is_detected(tmp_path: Path, encoded: Any, expected: Any) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(encoded)
    read = read_source(str(path))
    assert list(read.columns) == ["city", "n"]
    assert read.loc[0, "city"] == expected


@pytest.mark.parametrize("encoding", ["utf-8", "no-such-encoding"])
def test_a_wrong_configured_encoding_names_the_setting(tmp_path: Path, encoding: Any) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("city\nKöln\n".encode("cp1252"))
    message = _read_error(str(path), csv_options=CsvOptions(encoding=encoding))
    assert "data.csv.encoding" in message
    assert encoding in message


def test_parquet_is_recognised_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"  # the name does not matter, the magic bytes do
    FRAME.to_parquet(path)
    pd.testing.assert_frame_equal(read_source(str(path)), FRAME, check_dtype=False)


def test_a_damaged_parquet_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    assert "not a readable Parquet file" in _read_error(str(path))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty (0 bytes)"),
        (b"\n  \n", "is empty"),
        (b"PK\x03\x04\x00\x00binary\x00content", "binary file"),
        (b'[{"a": 1}, {"a": 2}]', "looks like JSON"),
        (b'{"a": [1, 2]}', "looks like JSON"),
    ],
)
def test_a_file_that_is_not_csv_gives_one_clear_line(
    tmp_path: Path, content: Any, expected: Any
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    message = _read_error(str(path))
    assert expected in message
    assert str(path) in message


def test_a_missing_file_or_a_folder_is_named(tmp_path: Path) -> None:
    assert "does not exist" in _read_error(str(tmp_path / "absent.csv"))
    assert "is a folder" in _read_error(str(tmp_path))


# --- URLs, served from a local server ---------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_: object) -> None:  # keep the test output clean
        pass


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served on 127.0.0.1 by a server in a thread: (base URL, folder)."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_url_is_downloaded_and_parsed(http_root: tuple[str, Path]) -> None:
    base, folder = http_root
    FRAME.to_csv(folder / "data.csv", sep=";", index=False)
    pd.testing.assert_frame_equal(read_source(f"{base}/data.csv"), FRAME)


def test_an_http_error_is_named(http_root: tuple[str, Path]) -> None:
    base, _ = http_root
    message = _read_error(f"{base}/absent.csv")
    assert "HTTP 404" in message
    assert f"{base}/absent.csv" in message


def test_an_unreachable_url_is_named() -> None:
    with socket.socket() as probe:  # a port that nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = _read_error(f"http://127.0.0.1:{port}/data.csv")
    assert message.startswith(f"cannot reach http://127.0.0.1:{port}/data.csv")


# --- databases: SQLite in a temporary file -------------------------------------------------


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as connection:
        FRAME.assign(flag=FRAME["flag"].astype(int)).to_sql("sales", connection, index=False)
    connection.close()
    return path


def test_a_database_query_is_read(sqlite_file: Path) -> None:
    read = read_source(f"sqlite:///{sqlite_file}", query='SELECT "plain", "slash/name" FROM sales')
    pd.testing.assert_frame_equal(read, FRAME[["plain", "slash/name"]])


def test_secrets_are_read_from_the_environment(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_DB_FOLDER", str(sqlite_file.parent))
    read = read_source("sqlite:///${SHOP_DB_FOLDER}/shop.db", query="SELECT * FROM sales")
    assert len(read) == len(FRAME)
    assert expand_secrets("x://${SHOP_DB_FOLDER}/y") == f"x://{sqlite_file.parent}/y"


def test_an_unset_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_DB_PASSWORD", raising=False)
    message = _read_error(
        "postgresql://analyst:${SHOP_DB_PASSWORD}@127.0.0.1/shop", query="SELECT 1"
    )
    assert "SHOP_DB_PASSWORD" in message
    assert "not set" in message


def test_passwords_are_masked_whenever_a_source_is_shown() -> None:
    assert display_source("postgresql://analyst:s3cret@db/sales") == (
        "postgresql://analyst:***@db/sales"
    )
    assert "s3cret" not in display_source("mysql+pymysql://a:s3cret@db:3306/x")
    assert display_source("https://example.org/a:b@c.csv") == "https://example.org/a:b@c.csv"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = _read_error(f"postgresql://analyst:s3cret@127.0.0.1:{port}/shop", query="SELECT 1")
    assert "s3cret" not in message
    assert "analyst:***@" in message


@pytest.mark.parametrize(
    ("source", "query", "expected"),
    [
        ("sqlite:///{db}", None, "needs a query"),
        ("sqlite:///{db}", "SELECT * FROM no_such_table", "no such table: no_such_table"),
        ("nosuchdialect://host/db", "SELECT 1", "no SQLAlchemy dialect"),
        ("postgresql://analyst@host:notaport/db", "SELECT 1", "not a valid database URL"),
    ],
)
def test_a_bad_database_source_or_query_is_named(
    sqlite_file: Path, source: Any, query: Any, expected: Any
) -> None:
    assert expected in _read_error(source.format(db=sqlite_file), query=query)
