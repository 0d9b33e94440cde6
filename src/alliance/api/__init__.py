"""The node's HTTP API (FastAPI): thin routes over the services; errors become statuses in `errors.py` only."""
