from core_billing.roles import Role

_EXPORT = ["reports.add_exportjob", "reports.view_exportjob"]
_REPORTS = ["reports.view_reports", *_EXPORT]

ROLE_PERMISSIONS = {
    Role.SUPERVISOR: [*_REPORTS, "reports.view_dashboard"],
    Role.MANAGER: [*_REPORTS, "reports.view_dashboard"],
    # delivery records (MSG-05): customer service exports what it may read
    Role.CUSTOMER_SERVICE: _EXPORT,
}
