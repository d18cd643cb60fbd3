"""What an MQTT stream connects to and how: the broker URL, topic filters and client options.

Everything is checked when the stream is created, so a typo in a URL or a topic filter is an
error in the user's ``createStream`` line rather than a receiver that silently never connects.
The option names are Bahir's ``MQTTUtils`` ones (clientId, cleanSession, qos, ...).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: URL scheme -> (default port, whether the connection uses TLS); Paho Java's names and the
#: ``mqtt``/``mqtts`` names other clients use
SCHEMES = {"tcp": (1883, False), "mqtt": (1883, False), "ssl": (8883, True), "mqtts": (8883, True)}
#: MQTT protocol levels by Bahir's ``mqttVersion`` numbers (3 = 3.1, 4 = 3.1.1, 5 = 5.0)
PROTOCOL_VERSIONS = {3: "MQTTv31", 4: "MQTTv311", 5: "MQTTv5"}


class MQTTConfigError(ValueError):
    """A broker URL, topic filter or option that cannot work; says which and why."""


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Broker:
        """``tcp://host:port`` (or ``ssl://``, ``mqtt://``, ``mqtts://``); a bare ``host:port`` is tcp."""
        if not isinstance(url, str) or not url.strip():
            raise MQTTConfigError(f"brokerUrl must be a URL such as tcp://localhost:1883, got {url!r}")
        parts = urlsplit(url if "://" in url else f"tcp://{url}")
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise MQTTConfigError(
                f"brokerUrl {url!r}: scheme {scheme!r} is not supported; use one of "
                + ", ".join(f"{s}://" for s in SCHEMES)
            )
        try:
            port = parts.port
        except ValueError:
            raise MQTTConfigError(f"brokerUrl {url!r}: the port is not a number in 1..65535") from None
        if not parts.hostname:
            raise MQTTConfigError(f"brokerUrl {url!r} names no host")
        default_port, tls = SCHEMES[scheme]
        return cls(parts.hostname, port or default_port, tls)

    def __str__(self) -> str:
        return f"{'ssl' if self.tls else 'tcp'}://{self.host}:{self.port}"


def check_topic_filter(topic: Any) -> str:
    """``topic`` when it is a valid MQTT subscription filter, else a clear MQTTConfigError.

    ``+`` must fill a whole level and ``#`` must be the whole last level (MQTT 3.1.1, 4.7.1).
    """
    if not isinstance(topic, str) or not topic:
        raise MQTTConfigError(f"an MQTT topic must be a non-empty string, got {topic!r}")
    if "\x00" in topic or len(topic.encode("utf-8")) > 65535:
        raise MQTTConfigError(f"MQTT topic {topic!r} contains NUL or is longer than 65535 bytes")
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise MQTTConfigError(
                f"MQTT topic filter {topic!r}: '#' must be a whole level, the last one " "(e.g. sensors/#)"
            )
        if "+" in level and level != "+":
            raise MQTTConfigError(
                f"MQTT topic filter {topic!r}: '+' must be a whole level (e.g. sensors/+/temp)"
            )
    return topic


@dataclass(frozen=True)
class MQTTOptions:
    """The client options of a stream (keyword arguments of ``createStream``/``createPairedStream``).

    ``tls`` is ``None`` (TLS only for ssl:// URLs, with the system's CA certificates), an
    ``ssl.SSLContext``, or a dict of ``paho.mqtt.client.Client.tls_set`` arguments
    (``ca_certs``, ``certfile``, ``keyfile``, ...).  ``password`` never appears in ``repr``.
    """

    clientId: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cleanSession: bool = True
    qos: int = 1
    connectionTimeout: float = 30.0
    keepAliveInterval: int = 60
    mqttVersion: int = 4
    tls: Any = None

    def __post_init__(self) -> None:
        if self.qos not in (0, 1, 2):
            raise MQTTConfigError(f"qos must be 0, 1 or 2, got {self.qos!r}")
        if self.mqttVersion not in PROTOCOL_VERSIONS:
            raise MQTTConfigError(f"mqttVersion must be 3 (3.1), 4 (3.1.1) or 5, got {self.mqttVersion!r}")
        if self.password is not None and self.username is None:
            raise MQTTConfigError("a password was given without a username")
        if not self.cleanSession and not self.clientId:
            raise MQTTConfigError(
                "cleanSession=False keeps a session on the broker under the client "
                "id, so it needs a fixed clientId"
            )
        if self.tls is not None and not isinstance(self.tls, (ssl.SSLContext, dict)):
            raise MQTTConfigError(
                "tls must be an ssl.SSLContext or a dict of Client.tls_set "
                f"arguments, got {type(self.tls).__name__}"
            )
        for key in ("ca_certs", "certfile", "keyfile"):
            path = self.tls.get(key) if isinstance(self.tls, dict) else None
            if path is not None and not os.path.isfile(path):
                raise MQTTConfigError(f"tls {key}={path!r} is not a readable file")
        if self.connectionTimeout <= 0 or self.keepAliveInterval <= 0:
            raise MQTTConfigError("connectionTimeout and keepAliveInterval must be positive")
