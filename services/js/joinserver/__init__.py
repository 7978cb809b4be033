"""The Join Server: root keys, OTAA joins, session keys and key wrapping."""
