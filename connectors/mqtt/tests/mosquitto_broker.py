"""A real Mosquitto broker for the MQTT tests, and a paho publisher that waits for delivery."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from services import SuiteServer, unavailable

from ember.plugins.testing import free_port


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it (openssl)."""
    ca_key, ca, key, request, certificate = (
        directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        [
            "openssl",
            "req",
            "-x509",
            *new_key,
            "-days",
            "2",
            "-subj",
            "/CN=ember test CA",
            "-keyout",
            ca_key,
            "-out",
            ca,
        ],
        ["openssl", "req", *new_key, "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", request],
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            request,
            "-CA",
            ca,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "/dev/stdin",
            "-out",
            certificate,
        ],
    ]
    try:
        for command in commands:
            subprocess.run(
                [str(part) for part in command],
                check=True,
                capture_output=True,
                input=b"subjectAltName=IP:127.0.0.1\n",
            )
    except (OSError, subprocess.CalledProcessError) as error:
        unavailable("mosquitto with TLS", f"openssl could not make test certificates: {error}")
    return ca, certificate, key


class Mosquitto(SuiteServer):
    """``mosquitto -c CONF`` on a free port; with ``users``, anonymous clients are refused;
    with ``tls``, a second listener (``tls_url``) serves TLS with a certificate signed by
    ``ca_file``."""

    def __init__(self, workdir: Path, users: dict[str, str] | None = None, tls: bool = False):
        port = free_port()
        # as root, mosquitto switches to this user: the one that owns the test's files
        lines = [f"listener {port} 127.0.0.1", "persistence false", f"user {getpass.getuser()}"]
        if users:
            password_file = workdir / "passwords"
            password_file.write_text("".join(f"{user}:{password}\n" for user, password in users.items()))
            try:
                subprocess.run(
                    ["mosquitto_passwd", "-U", str(password_file)], check=True, capture_output=True
                )
            except (OSError, subprocess.CalledProcessError) as error:
                unavailable("mosquitto", f"mosquitto_passwd failed: {error}")
            password_file.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            self.ca_file, certificate, key = make_certificates(workdir)
            tls_port = free_port()
            self.tls_url = f"ssl://127.0.0.1:{tls_port}"
            lines += [
                f"listener {tls_port} 127.0.0.1",
                f"cafile {self.ca_file}",
                f"certfile {certificate}",
                f"keyfile {key}",
            ]
        config = workdir / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"  # sbin: not on every user's PATH
        super().__init__("mosquitto", [binary, "-c", str(config)], port, workdir)
        self.url = f"tcp://127.0.0.1:{port}"

    def redelivered_to(self, client_id: str, until, timeout_s: float = 10.0) -> list[str]:
        """The payloads the broker delivers again to the persistent session ``client_id``, read
        until ``until(payloads)`` holds or ``timeout_s`` passes."""
        got: list[str] = []
        done = threading.Event()

        def received(client, userdata, message) -> None:
            got.append(message.payload.decode())
            if until(got):
                done.set()

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        client.on_message = received
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        try:
            done.wait(timeout_s)
        finally:
            client.disconnect()
            client.loop_stop()
        return got


class Publisher:
    """A paho client publishing to the broker; ``publish`` returns once the broker has it."""

    def __init__(self, broker: Mosquitto, **credentials: str):
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        if credentials:
            self.client.username_pw_set(credentials["username"], credentials["password"])
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def publish(self, topic: str, *payloads: str | bytes, qos: int = 1) -> None:
        for payload in payloads:
            self.client.publish(topic, payload, qos=qos).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
