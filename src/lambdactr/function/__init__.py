"""The shipped Lambda: this folder, and nothing else of `lambdactr`, is the deployed artifact.

It imports only the standard library, Powertools, botocore and iptocc; the operator's tools
outside it (cli, local, report, replay, snippet) may import it, never the other way round.
"""
