"""Finding stored signals: the PDQ index engines, their saved file, and the exact-digest prefilter."""
