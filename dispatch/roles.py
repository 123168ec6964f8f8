from core_billing.roles import Role

_VIEW = ["dispatch.view_workorder", "dispatch.view_repairworker"]

ROLE_PERMISSIONS = {
    Role.DISPATCHER: [*_VIEW, "dispatch.add_workorder", "dispatch.change_workorder", "dispatch.assign_workorder",
                      "dispatch.remind_workorder", "dispatch.add_repairworker", "dispatch.change_repairworker"],
    Role.CUSTOMER_SERVICE: [*_VIEW, "dispatch.add_workorder"],
    Role.SUPERVISOR: [*_VIEW, "dispatch.remind_workorder"],
    Role.MANAGER: _VIEW,
}
