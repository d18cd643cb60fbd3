"""ember-socket: the TCP text source behind ``ssc.socketTextStream``."""

from ember_socket.receiver import SocketTextReceiver

__all__ = ["SocketTextReceiver"]
