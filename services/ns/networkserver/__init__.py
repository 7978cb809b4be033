"""The Network Server: the LoRaWAN MAC layer."""
