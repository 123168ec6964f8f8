from .audit import AuditLog
from .billing import (AccountChange, Adjustment, AdjustmentCategory, AdjustmentKind, ChangeReason, DiscountTier,
                      Formula, LedgerEntry, PaymentMethod, PrecisionMode, PriceChange, Receipt,
                      Season, SeasonAccount, Tariff)
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
from .paylinks import OnlineOrder, PayLink
from .staff import CollectorAssignment, User

__all__ = [
    "AccountChange",
    "Adjustment",
    "AdjustmentCategory",
    "AdjustmentKind",
    "ChangeReason",
    "DiscountTier",
    "Formula",
    "LedgerEntry",
    "PaymentMethod",
    "PrecisionMode",
    "PriceChange",
    "Receipt",
    "Season",
    "SeasonAccount",
    "Tariff",
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
    "OnlineOrder",
    "PayLink",
    "MeteringMode",
    "PhoneKind",
    "Station",
    "User",
]
