"""The Identity Server: users, organizations, applications, gateways, devices, keys and rights."""
