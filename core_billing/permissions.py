"""API permission classes: authenticated, active staff; model permissions on writes."""
from rest_framework.permissions import BasePermission, DjangoModelPermissions


class IsStaffMember(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class ModelPermissions(DjangoModelPermissions):
    """Like DRF's, but reading needs the view permission too."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
