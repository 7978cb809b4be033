"""Configuration: the frequency plans this cluster knows (public, no rights needed)."""

from __future__ import annotations

import grpc

from lorastack.lorawan.frequencyplans import list_plans
from ttn.lorawan.v3 import configuration_services_pb2, configuration_services_pb2_grpc

__all__ = ["ConfigurationServicer"]


class ConfigurationServicer(configuration_services_pb2_grpc.ConfigurationServicer):
    async def ListFrequencyPlans(
        self,
        request: configuration_services_pb2.ListFrequencyPlansRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> configuration_services_pb2.ListFrequencyPlansResponse:
        plans = [
            configuration_services_pb2.FrequencyPlanDescription(
                id=plan.id, base_id=plan.base_id or "", name=plan.name, base_frequency=plan.base_frequency
            )
            for plan in list_plans()
            if not request.base_frequency or plan.base_frequency == request.base_frequency
        ]
        return configuration_services_pb2.ListFrequencyPlansResponse(frequency_plans=plans)
