"""Lorastack: the shared library of the LoRaWAN network server cluster."""
