"""Run the five roles as local processes: the README's cluster and the integration tests."""

from lorastack.devcluster.cluster import LOCAL_PORTS, MODULES, LocalCluster, RoleProcess

__all__ = ["LOCAL_PORTS", "MODULES", "LocalCluster", "RoleProcess"]
