"""Downlink scheduling: per-gateway concentrator-time bookkeeping and the ScheduleDownlink flow."""
