"""Readers and writers for the hash-list formats of the field.

Each format module offers `read(text) -> list[MediaRecord]` and `write(records) -> str`. Readers
validate everything before returning, so an import is all or nothing; a `FormatError` names the
line or record at fault. Fields Alliance does not model are kept in `MediaRecord.metadata`, so an
export gives them back.
"""
