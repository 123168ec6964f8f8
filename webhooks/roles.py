from core_billing.roles import Role

ROLE_PERMISSIONS = {
    Role.MANAGER: ["webhooks.view_webhooksubscription", "webhooks.view_webhookdelivery"],
    Role.SUPERVISOR: ["webhooks.view_webhooksubscription", "webhooks.view_webhookdelivery"],
}
