"""gRPC plumbing: server interceptors, error status, credentials."""
