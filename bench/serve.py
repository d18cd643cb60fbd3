"""W1's text source: ``python -m bench.serve CORPUS_LINES`` serves the cached corpus over TCP.

A process of its own, as ``nc -lk`` would be, so the corpus is not counted in the measured
engine's memory.  Prints its port, sends the corpus to the first client, then keeps the
connection open (a closed socket makes receivers reconnect) until its stdin closes.
"""

import socket
import sys

from bench.corpus import corpus_path

with open(corpus_path(int(sys.argv[1])), "rb") as source:
    text = source.read() + b"\n"
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
client, _ = server.accept()
client.sendall(text)
del text
sys.stdin.read()
client.close()
