from .work_orders import (Priority, RepairWorker, WorkOrder, WorkOrderAlert, WorkOrderCategory, WorkOrderCounter,
                          WorkOrderEvent, WorkOrderStatus)

__all__ = ["Priority", "RepairWorker", "WorkOrder", "WorkOrderAlert", "WorkOrderCategory", "WorkOrderCounter",
           "WorkOrderEvent", "WorkOrderStatus"]
