"""moto_server for daira's blob tests (scripts/lib/servers.sh starts it), with one change.

moto checks an S3 request's SigV4 signature against the URL werkzeug reconstructs for Flask
(request.url), which is an IRI: %2F in a query value comes back as '/', %28 in a path as '(', UTF-8
percent-escapes as raw characters. A request signed by the specification (every byte but A-Z a-z 0-9
-_.~ percent-encoded, as AWS S3, R2 and MinIO verify it) is then refused with SignatureDoesNotMatch
whenever its key or prefix holds such a byte. Here the signature check alone sees the request target
exactly as it came over the wire; everything else in moto is untouched, and a wrong secret is still
refused.

Usage: python moto_server.py -H 127.0.0.1 -p PORT   (the same arguments as moto_server)
"""
import sys

from flask import request as flask_request
from moto.core.authorization import ActionAuthenticatorMixin
from moto.server import main

_original_check = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _check_over_wire_bytes(self, iam_request_cls, resource="*"):
    raw = flask_request.environ.get("RAW_URI") or flask_request.environ.get("REQUEST_URI")
    saved = self.uri
    if raw:
        self.uri = raw  # the check reads only path and query from it
    try:
        return _original_check(self, iam_request_cls, resource)
    finally:
        self.uri = saved


ActionAuthenticatorMixin._authenticate_and_authorize_action = _check_over_wire_bytes

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
