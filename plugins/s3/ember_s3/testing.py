"""A throw-away S3 for tests of jobs that read from or checkpoint to ``s3://``: moto's server
(``pip install 'moto[server]'``) on a free loopback port::

    server = MotoServer().start()
    os.environ.update(server.environment())      # boto3 here and in the workers uses it
    server.client().create_bucket(Bucket="my-bucket")
    ... ssc.checkpoint("s3://my-bucket/job") ...
    server.kill()
"""

from __future__ import annotations

from pathlib import Path

from ember.plugins.testing import ServerProcess, free_port, installed_script


class MotoServer(ServerProcess):
    """moto's server from the running environment; it answers S3 (and STS, and more) at
    ``endpoint`` for the test credentials of ``environment()``."""

    def __init__(self, workdir: Path | None = None):
        port = free_port()
        super().__init__(
            "moto_server",
            [installed_script("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            port,
            workdir,
        )
        self.endpoint = f"http://127.0.0.1:{port}"

    def environment(self) -> dict[str, str]:
        """The variables that point boto3 (in this process and in worker processes) at it."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self, service: str = "s3"):
        """A boto3 client of ``service`` on this server."""
        import boto3

        settings = self.environment()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=settings["AWS_DEFAULT_REGION"],
            aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
        )
