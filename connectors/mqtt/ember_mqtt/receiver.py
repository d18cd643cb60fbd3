"""The MQTT receiver: a paho-mqtt 2.x subscriber that stores each message it is delivered.

paho's network thread reconnects by itself, waiting 0.1 s and doubling up to
``spark.streaming.receiverRestartDelay`` (the first connection included), and resubscribes
after every connect.  Messages are acknowledged by hand (paho's ``manual_ack``) and only after
``store`` has returned, so a QoS 1 or 2 message the receiver dies holding is delivered again by
the broker (to the same session: ``cleanSession=False`` and a fixed ``clientId``) instead of
being lost; with the write-ahead log on, ``store`` returning means the record is logged.
"""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from ember.plugins import Receiver, ReceiverStoppedError, StorageLevel, duration_ms
from ember_mqtt.options import PROTOCOL_VERSIONS, Broker, MQTTOptions

RESTART_DELAY_SETTING = "spark.streaming.receiverRestartDelay"
FIRST_RECONNECT_DELAY_S = 0.1
SESSION_NEVER_EXPIRES = 0xFFFFFFFF
#: CONNACK reasons that retrying with the same settings cannot fix
_AUTH_FAILURES = ("bad user name or password", "not authorized")


class MQTTReceiver(Receiver):
    """Subscribes to ``topics`` on ``broker``; stores payloads (str), or ``(topic, payload)``
    pairs when ``paired``."""

    def __init__(
        self,
        broker: Broker,
        topics: list[str],
        options: MQTTOptions,
        paired: bool,
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        max_reconnect_delay_s: float = 2.0,
    ):
        super().__init__(storageLevel)
        self.broker = broker
        self.topics = topics
        self.options = options
        self.paired = paired
        self.max_reconnect_delay_s = max(max_reconnect_delay_s, FIRST_RECONNECT_DELAY_S)
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_stream(
        cls,
        ssc,
        brokerUrl: str,
        topics: list[str],
        options: MQTTOptions,
        paired: bool,
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
    ) -> MQTTReceiver:
        """The ``mqtt`` source kind's constructor (see ``ember_mqtt.plugin``)."""
        conf = ssc.sparkContext.getConf()
        restart_ms = duration_ms(conf.get(RESTART_DELAY_SETTING, "2000ms"), RESTART_DELAY_SETTING)
        return cls(Broker.parse(brokerUrl), topics, options, paired, storageLevel, restart_ms / 1000)

    def name(self) -> str:
        return f"MQTTReceiver({self.broker} {','.join(self.topics)})"

    def onStart(self) -> None:
        client = self._new_client()
        with self._lock:
            self._client = client
        client.connect_async(
            self.broker.host, self.broker.port, self.options.keepAliveInterval, **self._session_arguments()
        )
        client.loop_start()

    def onStop(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()

    def _session_arguments(self) -> dict:
        """MQTT 5 says ``cleanSession`` as clean start plus a session that outlives the connection."""
        if self.options.mqttVersion != 5:
            return {}
        if self.options.cleanSession:
            return {"clean_start": True}
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_NEVER_EXPIRES
        return {"clean_start": False, "properties": properties}

    # -- the client and its callbacks (all run on paho's network thread) -------------------------
    def _new_client(self) -> mqtt.Client:
        options = self.options
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=options.clientId or "",
            clean_session=None if options.mqttVersion == 5 else options.cleanSession,
            protocol=getattr(mqtt, PROTOCOL_VERSIONS[options.mqttVersion]),
            manual_ack=True,
        )
        client.connect_timeout = options.connectionTimeout
        # paho's annotations say int; it takes any number of seconds (0.1 here)
        client.reconnect_delay_set(FIRST_RECONNECT_DELAY_S, self.max_reconnect_delay_s)  # type: ignore[arg-type]
        if options.username is not None:
            client.username_pw_set(options.username, options.password)
        if isinstance(options.tls, dict):
            client.tls_set(**options.tls)
        elif options.tls is not None:
            client.tls_set_context(options.tls)
        elif self.broker.tls:
            client.tls_set()
        client.on_connect = self._connected
        client.on_connect_fail = self._connect_failed
        client.on_disconnect = self._disconnected
        client.on_subscribe = self._subscribed
        client.on_message = self._received
        return client

    def _connected(self, client, userdata, flags, reason: ReasonCode, properties) -> None:
        if reason.is_failure:
            hint = (
                " (check the username and password options)" if str(reason).lower() in _AUTH_FAILURES else ""
            )
            self.reportError(
                f"MQTT broker {self.broker} refused the connection: {reason}{hint}; "
                f"retrying every {self.max_reconnect_delay_s:g} s at most"
            )
            return
        client.subscribe([(topic, self.options.qos) for topic in self.topics])

    def _connect_failed(self, client, userdata) -> None:
        self.reportError(
            f"cannot connect to MQTT broker {self.broker}; retrying with backoff up to "
            f"{self.max_reconnect_delay_s:g} s"
        )

    def _disconnected(self, client, userdata, flags, reason: ReasonCode, properties) -> None:
        if not self.isStopped() and reason.is_failure:
            self.reportError(f"lost the connection to MQTT broker {self.broker} ({reason}); reconnecting")

    def _subscribed(self, client, userdata, mid, reasons: list[ReasonCode], properties) -> None:
        for topic, reason in zip(self.topics, reasons):
            if reason.is_failure:
                self.reportError(
                    f"MQTT broker {self.broker} refused the subscription to {topic!r}: "
                    f"{reason} (check the broker's access control for this client)"
                )

    def _received(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        if self.isStopped():
            return  # not acknowledged: the broker delivers it again to this session's next client
        payload = self._decoded(message)
        try:
            self.store((message.topic, payload) if self.paired else payload)
        except ReceiverStoppedError:
            return  # the stream stopped: not stored, so not acknowledged
        if message.qos > 0:
            client.ack(message.mid, message.qos)

    def _decoded(self, message: mqtt.MQTTMessage) -> str:
        """The payload as text; bytes that are not UTF-8 become U+FFFD and are reported."""
        try:
            return message.payload.decode("utf-8")
        except UnicodeDecodeError as error:
            self.reportError(
                f"MQTT message on {message.topic!r} is not UTF-8 at byte {error.start} "
                f"({error.reason}); the bytes were replaced by U+FFFD"
            )
            return message.payload.decode("utf-8", errors="replace")
