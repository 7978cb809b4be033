"""The Semtech UDP packet forwarder front end (protocol version 2)."""
