"""The LoRa Basics Station LNS front end: discovery and traffic WebSockets."""
