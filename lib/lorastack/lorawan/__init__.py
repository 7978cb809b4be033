"""Pure LoRaWAN protocol code: frames, crypto, MAC commands, regions. No I/O."""
