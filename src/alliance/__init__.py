"""Alliance: hash banks, matching and reporting for the Global Alliance against Child Sexual Abuse Online.

Alliance stores hashes and metadata, never images or videos.
"""

__version__ = "0.1.0"
