"""moto_server for daira's blob tests (scripts/lib/servers.sh starts it), with one change.

moto checks an S3 request's SigV4 signature against the URL werkzeug reconstructs for Flask
(request.url), which is an IRI: %2F in a query value comes back as '/', %28 in a path as '(', UTF-8
percent-escapes as raw characters. A request signed by the specification (every byte but A-Z a-z 0-9
-_.~ percent-encoded, as AWS S3, R2 and MinIO verify it) is then refused with SignatureDoesNotMatch
whenever its key or prefix holds such a byte. Here the signature check alone sees the request target
exactly as it came over the wire; everything else in moto is untouched, and a wrong secret is still
refused.

Second change: presigned URLs are verified. moto (5.x) checks only the Authorization header: a
query-string-signed request (X-Amz-Signature=…, no Authorization header) fails inside moto with HTTP
500 once auth is on. Here such a request is checked as S3 checks it: the key (an IAM user's, or an STS
assumed role's whose X-Amz-Security-Token must match) is looked up through moto's own code, the URL must
not have expired (X-Amz-Date + X-Amz-Expires), and the signature is recomputed by botocore's
S3SigV4QueryAuth — an implementation independent of daira's — over the request target exactly as sent.
A mismatch is SignatureDoesNotMatch (403), an expired URL AccessDenied (403), an unknown key
InvalidAccessKeyId, a wrong token InvalidToken. The key's IAM policy is not evaluated for presigned
requests (the test user may do s3:* anyway).

Usage: python moto_server.py -H 127.0.0.1 -p PORT   (the same arguments as moto_server)
"""
import datetime
import hmac
import sys
from urllib.parse import unquote, urlsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from flask import request as flask_request
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
from moto.s3.exceptions import (S3AccessDeniedError, S3InvalidAccessKeyIdError, S3InvalidTokenError,
                                S3SignatureDoesNotMatchError)
from moto.server import main
from moto.utilities.utils import get_partition

_original_check = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _verify_presigned(self, raw):
    parts = urlsplit(raw)
    pairs = [p.partition("=") for p in parts.query.split("&") if p]
    params = {unquote(k): unquote(v) for k, _, v in pairs}
    try:
        access_key_id, _, region, service, _ = params["X-Amz-Credential"].split("/")
        amz_date = params["X-Amz-Date"]
        expires = int(params["X-Amz-Expires"])
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except (KeyError, ValueError):
        raise S3AccessDeniedError()
    headers = {}
    if "X-Amz-Security-Token" in params:
        headers["X-Amz-Security-Token"] = params["X-Amz-Security-Token"]
    try:
        key = create_access_key(account_id=self.current_account, partition=get_partition(region),
                                access_key_id=access_key_id, headers=headers)
    except CreateAccessKeyFailure as e:
        raise S3InvalidTokenError() if e.reason == "InvalidToken" else S3InvalidAccessKeyIdError()
    if datetime.datetime.now(datetime.timezone.utc) > signed_at + datetime.timedelta(seconds=expires):
        raise S3AccessDeniedError()  # S3: "Request has expired"
    unsigned = "&".join(p for p in parts.query.split("&") if p and not p.startswith("X-Amz-Signature="))
    host = self.headers.get("Host", "")
    request = AWSRequest(method=self.method, url=f"http://{host}{parts.path}?{unsigned}", headers={"host": host})
    request.context["timestamp"] = amz_date
    auth = S3SigV4QueryAuth(key.create_credentials(), service, region, expires=expires)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
        raise S3SignatureDoesNotMatchError()


def _check_over_wire_bytes(self, iam_request_cls, resource="*"):
    raw = flask_request.environ.get("RAW_URI") or flask_request.environ.get("REQUEST_URI")
    if (raw and "Authorization" not in self.headers and "X-Amz-Signature=" in (urlsplit(raw).query or "")
            and ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT):
        return _verify_presigned(self, raw)
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
