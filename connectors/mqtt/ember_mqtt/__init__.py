"""ember-mqtt: MQTT input streams for ember (``from ember.streaming.mqtt import MQTTUtils``
once installed).  See docs/connectors.md."""

from ember_mqtt.options import MQTTConfigError, MQTTOptions
from ember_mqtt.receiver import MQTTReceiver
from ember_mqtt.utils import MQTTUtils

__all__ = ["MQTTConfigError", "MQTTOptions", "MQTTReceiver", "MQTTUtils"]
