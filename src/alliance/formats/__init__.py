"""Readers and writers for the hash-list formats of the field.

Each format module offers `stream(source)`, yielding in file order each `MediaRecord` or a
`Skipped` part saying why it cannot be used (a `FormatError` only when the file cannot be read at
all), `write_to(records, out)`, which writes as it goes, and `read(text)` / `write(records)` for a
whole file in memory. Fields Alliance does not model are kept in `MediaRecord.metadata`, so an
export gives them back.
"""
