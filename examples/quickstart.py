"""A complete streaming job with nothing to start by hand.

A small TCP server in this process writes lines of text to a socket for a few seconds; ember
reads them with ``socketTextStream``, counts the words of each one-second batch and prints
them with ``pprint``, then stops gracefully once the server is done.

    python -m ember run examples/quickstart.py
"""

import socket
import threading
import time

from ember import SparkContext
from ember.streaming import StreamingContext

LINES = [
    "to be or not to be",
    "that is the question",
    "whether tis nobler in the mind to suffer",
    "the slings and arrows of outrageous fortune",
]
SECONDS = 4


def serve_lines(server: socket.socket) -> None:
    """Accept ember's connection and write a few lines every 100 ms for SECONDS seconds."""
    connection, _ = server.accept()
    with connection:
        deadline = time.monotonic() + SECONDS
        index = 0
        while time.monotonic() < deadline:
            connection.sendall((LINES[index % len(LINES)] + "\n").encode())
            index += 1
            time.sleep(0.1)
    server.close()


def main() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    feeder = threading.Thread(target=serve_lines, args=(server,), daemon=True)
    feeder.start()

    sc = SparkContext(appName="QuickStartWordCount")
    ssc = StreamingContext(sc, 1)
    lines = ssc.socketTextStream("127.0.0.1", port)
    counts = (
        lines.flatMap(lambda line: line.split(" "))
        .map(lambda word: (word, 1))
        .reduceByKey(lambda a, b: a + b)
    )
    counts.pprint()

    ssc.start()
    feeder.join()
    ssc.stop(stopSparkContext=True, stopGraceFully=True)


if __name__ == "__main__":
    main()
