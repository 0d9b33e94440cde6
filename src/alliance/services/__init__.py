"""Use cases over the core and the store: banks, hashing files, matching, the demo.

Services take what they need as parameters and raise `alliance.core.errors` exceptions; the CLI
and API map those to exit codes and statuses.
"""
