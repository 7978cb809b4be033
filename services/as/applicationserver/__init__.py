"""The Application Server: payload decryption, formatters and integrations."""
