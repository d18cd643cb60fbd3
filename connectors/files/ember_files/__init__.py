"""ember-files: the directory-watching sources behind ``textFileStream`` and ``binaryRecordsStream``."""

from ember_files.filesystem import FileStatus, LocalFileSystem
from ember_files.source import FileStreamSource

__all__ = ["FileStatus", "FileStreamSource", "LocalFileSystem"]
