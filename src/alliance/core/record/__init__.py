"""The Alliance's own record: members, commitments and reports, indicators, awareness, the report's view."""
