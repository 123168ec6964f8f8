from django.conf import settings

from .navigation import nav_for


def console(request):
    return {
        "company_name": settings.COMPANY_NAME,
        "company_hotline": settings.COMPANY_HOTLINE,
        "extra_nav": nav_for(getattr(request, "user", None)),
    }
