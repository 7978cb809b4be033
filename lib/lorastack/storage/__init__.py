"""Connections to the stores: Redis for GS, NS, AS and JS, PostgreSQL for the IS."""
