"""The entry point of ember-files: the ``text-files`` and ``binary-files`` source kinds, and
the ``file`` and ``s3`` filesystems they read through."""

from __future__ import annotations

from ember.plugins import FileSystem, SourceKind, hookimpl, open_filesystem
from ember_files.filesystem import LocalFileSystem
from ember_files.records import FixedLengthRecords, TextLines
from ember_files.s3 import S3FileSystem
from ember_files.source import FileStreamSource


def create_text_source(ssc, directory: str) -> FileStreamSource:
    """``ssc.textFileStream(directory)``: the lines of each new file."""
    return FileStreamSource(directory, open_filesystem(directory, "textFileStream"), TextLines())


def create_binary_source(ssc, directory: str, recordLength: int) -> FileStreamSource:
    """``ssc.binaryRecordsStream(directory, recordLength)``: fixed-length records of new files."""
    records = FixedLengthRecords(recordLength)
    return FileStreamSource(directory, open_filesystem(directory, "binaryRecordsStream"), records)


@hookimpl
def ember_source_kinds() -> list[SourceKind]:
    return [
        SourceKind(
            "text-files",
            create_text_source,
            "textFileStream: lines of new files in a directory (path, glob, file://, s3://)",
        ),
        SourceKind(
            "binary-files",
            create_binary_source,
            "binaryRecordsStream: fixed-length records of new files in a directory",
        ),
    ]


@hookimpl
def ember_filesystems() -> list[FileSystem]:
    return [
        FileSystem("file", LocalFileSystem, "local directories (plain paths and file:// URLs)"),
        FileSystem("s3", S3FileSystem, "S3 bucket prefixes through boto3 (ember-files[s3])"),
    ]
