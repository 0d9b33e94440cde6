"""Hashing media in memory: decoding with limits, PDQ (fast and reference paths) and the views of a picture."""
