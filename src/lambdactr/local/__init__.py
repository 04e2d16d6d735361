"""The counter on the operator's machine: no Docker, no AWS.

`lambdactr serve` puts the Lambda's own handler behind a local HTTP server, translating each
request into the API Gateway HTTP API event (payload 2.0) that AWS would send, with an embedded
DynamoDB (moto) whose table survives restarts. `lambdactr invoke` runs the handler on one event
file. The Lambda path never imports this package.
"""
