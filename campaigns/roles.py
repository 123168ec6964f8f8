from core_billing.roles import Role

_VIEW = ["campaigns.view_campaign", "campaigns.view_audience", "campaigns.view_dunningscheme"]
_SEND = ["campaigns.add_campaign", "campaigns.change_campaign", "campaigns.add_audience",
         "campaigns.change_audience", "campaigns.delete_audience"]

ROLE_PERMISSIONS = {
    Role.CUSTOMER_SERVICE: [*_VIEW, *_SEND],
    Role.SUPERVISOR: [*_VIEW, *_SEND, "campaigns.manage_dunningscheme", "campaigns.add_dunningscheme",
                      "campaigns.change_dunningscheme"],
    Role.MANAGER: _VIEW,
}
