"""PostgreSQL implementations of the Identity Server's stores (see ``identityserver.store``)."""

from identityserver.pgstore.access import AccessStore
from identityserver.pgstore.entities import EntityStore, Page
from identityserver.pgstore.users import UserSecrets

__all__ = ["AccessStore", "EntityStore", "Page", "UserSecrets"]
