"""Cluster plumbing: roles, peers and cluster-key authentication between services."""
