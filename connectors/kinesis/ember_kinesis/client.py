"""Talking to Kinesis with boto3: credentials, errors a user can act on, throttling backoff.

Credentials come from ``awsAccessKeyId``/``awsSecretKey`` when given, else from boto3's usual
chain (environment, shared files, instance roles), optionally exchanged for a role's through
STS.  They are kept out of every ``repr``, message and log line.  ``KinesisAccess`` is plain
data so a replayable source can travel to worker processes; each process opens its own client
once (``shared_client``).

boto3 is imported when a client is first opened or an error looked at, not with this module:
a task that reads records the driver fetched (``KinesisSource.prefetched``) unpickles the
source without paying for boto3's import (a few tenths of a second in each worker).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import botocore.session

T = TypeVar("T")
THROTTLING_CODES = {
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "KMSThrottlingException",
    "ThrottlingException",
}
CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "AccessDeniedException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
}


class KinesisError(RuntimeError):
    """A problem with the Kinesis stream or the way ember reaches it; the message says which."""


class KinesisStreamNotFound(KinesisError):
    pass


class KinesisCredentialsError(KinesisError):
    pass


class KinesisUnreachable(KinesisError):
    pass


class Throttled(KinesisError):
    """Kinesis kept refusing for lack of throughput after every retry."""


@dataclass(frozen=True)
class KinesisAccess:
    """Where the stream is and who reads it; ``repr`` shows no secret."""

    stream_name: str
    endpoint_url: str | None
    region_name: str
    access_key_id: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    sts_role_arn: str | None = None
    sts_session_name: str | None = None
    sts_external_id: str | None = field(default=None, repr=False)

    def where(self) -> str:
        return f"Kinesis stream {self.stream_name!r} at {self.endpoint_url or 'AWS'} ({self.region_name})"

    def open(self):
        """A boto3 Kinesis client with these credentials (or boto3's chain)."""
        import boto3.session
        import botocore.config

        session = boto3.session.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_key,
            region_name=self.region_name,
            botocore_session=_session_keeping_timestamps(),
        )
        if self.sts_role_arn:
            session = self._assumed_role(session)
        config = botocore.config.Config(
            retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30
        )
        return session.client("kinesis", endpoint_url=self.endpoint_url or None, config=config)

    def _assumed_role(self, session):
        import boto3.session

        extra = {"ExternalId": self.sts_external_id} if self.sts_external_id else {}
        answer = session.client("sts").assume_role(
            RoleArn=self.sts_role_arn, RoleSessionName=self.sts_session_name or "ember-kinesis", **extra
        )
        granted = answer["Credentials"]
        return boto3.session.Session(
            aws_access_key_id=granted["AccessKeyId"],
            aws_secret_access_key=granted["SecretAccessKey"],
            aws_session_token=granted["SessionToken"],
            region_name=self.region_name,
            botocore_session=_session_keeping_timestamps(),
        )


def _session_keeping_timestamps() -> botocore.session.Session:
    """A botocore session whose clients leave the timestamps of answers as sent: ember reads
    no record's ``ApproximateArrivalTimestamp``, and turning each into a datetime with the
    local time zone took a third of the CPU of reading a record."""
    import botocore.session

    session = botocore.session.get_session()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_as_sent)
    return session


def _as_sent(value):
    return value


#: clients of temporary (STS) credentials are reopened well before the credentials expire
STS_CLIENT_MAX_AGE_S = 10 * 60
_clients: dict[KinesisAccess, tuple[float, object]] = {}
_clients_lock = threading.Lock()


def shared_client(access: KinesisAccess):
    """This process's client for ``access``: every task of every batch reuses it (opening one
    costs far more than a read; boto3 clients are thread-safe)."""
    with _clients_lock:
        opened_at, client = _clients.get(access, (0.0, None))
        if client is None or (access.sts_role_arn and time.monotonic() - opened_at > STS_CLIENT_MAX_AGE_S):
            client = access.open()
            _clients[access] = (time.monotonic(), client)
        return client


def error_code(error: BaseException) -> str | None:
    import botocore.exceptions

    if isinstance(error, botocore.exceptions.ClientError):
        return error.response.get("Error", {}).get("Code")
    return None


def explained(error: BaseException, access: KinesisAccess, doing: str) -> KinesisError | None:
    """The user-facing error for a boto3 failure, or None when it is not one we explain."""
    import botocore.exceptions

    code = error_code(error)
    if code == "ResourceNotFoundException":
        return KinesisStreamNotFound(
            f"{access.where()} does not exist (while {doing}); create it, or "
            "check streamName, regionName and endpointUrl"
        )
    if code in CREDENTIAL_CODES:
        return KinesisCredentialsError(
            f"AWS refused the credentials for {access.where()} ({code}, while "
            f"{doing}); check awsAccessKeyId/awsSecretKey or boto3's credential "
            "chain and the IAM policy"
        )
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return KinesisCredentialsError(
            f"no AWS credentials for {access.where()}: pass awsAccessKeyId and "
            "awsSecretKey, or configure boto3's chain (environment, ~/.aws, roles)"
        )
    if isinstance(
        error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError)
    ):
        return KinesisUnreachable(f"cannot reach {access.where()} (while {doing}): {error}")
    return None


def call(
    access: KinesisAccess,
    doing: str,
    action: Callable[[], T],
    patience_s: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``action()``, retried with growing pauses (0.1 s doubling to 2 s) while Kinesis throttles,
    for up to ``patience_s``; boto3 errors a user can act on come out explained."""
    delay, waited = 0.1, 0.0
    while True:
        try:
            return action()
        except Exception as error:
            if error_code(error) in THROTTLING_CODES:
                if waited >= patience_s:
                    raise Throttled(
                        f"{access.where()} kept throttling for {waited:.0f} s while {doing}; "
                        "add shards or read less often"
                    ) from error
                sleep(delay)
                waited += delay
                delay = min(delay * 2, 2.0)
                continue
            better = explained(error, access, doing)
            if better is None:
                raise
            raise better from error


def is_throttling(error: BaseException) -> bool:
    return error_code(error) in THROTTLING_CODES
