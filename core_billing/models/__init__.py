from .audit import AuditLog
from .imports import ImportJob
from .org import (
    Building,
    Community,
    Customer,
    CustomerPhone,
    CustomerType,
    ExchangeStation,
    HeatingStatus,
    MeteringMode,
    PhoneKind,
    Station,
)
from .staff import CollectorAssignment, User

__all__ = [
    "AuditLog",
    "Building",
    "CollectorAssignment",
    "Community",
    "Customer",
    "CustomerPhone",
    "CustomerType",
    "ExchangeStation",
    "HeatingStatus",
    "ImportJob",
    "MeteringMode",
    "PhoneKind",
    "Station",
    "User",
]
