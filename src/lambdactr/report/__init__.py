"""`lambdactr report`: read the hits table and tell a site owner what was read, by whom, from where.

scan (parallel Scan) ─► classify (browser, OS, device, bot reason) ─► aggregate (a `Report`)
─► render (table | json | csv | html). The Lambda never imports this package.
"""
