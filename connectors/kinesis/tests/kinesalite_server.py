"""A real kinesalite (the Kinesis API on LevelDB, from npm) for the Kinesis tests, with the
producer-side helpers they need: put records, split a shard, build KPL aggregated records."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import boto3
from services import SuiteServer, unavailable

from ember.plugins.testing import free_port, wait_until

HERE = Path(__file__).parent
KINESALITE = HERE / "node_modules" / ".bin" / "kinesalite"
_names = itertools.count()


class Kinesalite(SuiteServer):
    def __init__(self, workdir: Path):
        if not KINESALITE.exists():
            unavailable("kinesalite", f"{KINESALITE} is missing: run `npm install` in {HERE}")
        port = free_port()
        super().__init__(
            "kinesalite",
            [
                str(KINESALITE),
                "--port",
                str(port),
                "--createStreamMs",
                "0",
                "--deleteStreamMs",
                "0",
                "--updateStreamMs",
                "0",
                "--shardLimit",
                "50",
            ],
            port,
            workdir,
        )
        self.endpoint = f"http://127.0.0.1:{port}"
        self.client = boto3.client(
            "kinesis",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test-key",
            aws_secret_access_key="test-secret",
        )

    def create_stream(self, shards: int) -> str:
        name = f"stream-{next(_names)}"
        self.client.create_stream(StreamName=name, ShardCount=shards)
        self.wait_active(name)
        return name

    def wait_active(self, name: str) -> None:
        wait_until(
            lambda: self.client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
                "StreamStatus"
            ]
            == "ACTIVE",
            what=f"stream {name} to be active",
        )

    def put(self, name: str, records: list[tuple[str, bytes]]) -> list[str]:
        """Put ``(partition key, data)`` records, one request each so their order is kept;
        returns their sequence numbers."""
        return [
            self.client.put_record(StreamName=name, PartitionKey=key, Data=data)["SequenceNumber"]
            for key, data in records
        ]

    def split(self, name: str, shard_id: str) -> None:
        shard = next(
            s for s in self.client.list_shards(StreamName=name)["Shards"] if s["ShardId"] == shard_id
        )
        low, high = (int(shard["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
        self.client.split_shard(
            StreamName=name, ShardToSplit=shard_id, NewStartingHashKey=str((low + high) // 2)
        )
        self.wait_active(name)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def kpl_aggregate(key: str, user_records: list[bytes]) -> bytes:
    """A Kinesis record as the KPL writes it: magic, protobuf AggregatedRecord, MD5 trailer
    (built from the format's description, independently of ember_kinesis)."""
    message = _field(1, key.encode())
    for data in user_records:
        message += _field(3, _field(1, 0) + _field(3, data) + _field(4, _field(1, b"tag") + _field(2, b"v")))
    return b"\xf3\x89\x9a\xc2" + message + hashlib.md5(message).digest()
