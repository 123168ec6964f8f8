from core_billing.roles import Role

_VIEW = ["messaging.view_topic", "messaging.view_message", "messaging.view_inboundmessage",
         "messaging.view_optout"]
_WRITE = ["messaging.add_topic", "messaging.change_topic", "messaging.send_message", "messaging.change_optout"]

ROLE_PERMISSIONS = {
    Role.CUSTOMER_SERVICE: [*_VIEW, *_WRITE],
    Role.SUPERVISOR: [*_VIEW, *_WRITE, "messaging.send_staff_message"],
    Role.DISPATCHER: ["messaging.view_topic", "messaging.view_message", "messaging.send_message",
                      "messaging.send_staff_message"],
    Role.MANAGER: [*_VIEW, "messaging.send_staff_message"],
}
