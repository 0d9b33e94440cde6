"""The pure domain: signal types, image hashing, the matching index.

Nothing here imports a database, HTTP or CLI library, and nothing here writes to disk except
`index.save`, which writes only hashes.
"""
