"""Read-only queries of the case manager.

One module per face: cases, queue, audit, analytics, home pages, reports and roster.
"""
