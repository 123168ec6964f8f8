"""What every app's API builds on: scoped viewsets, scoped related fields,
pagination and the {"message", "extra"} error shape."""
from __future__ import annotations

from django.http import Http404
from rest_framework import pagination, serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import AppError
from .pagination import WindowCountPaginator
from .scoping import scope_queryset


class Pagination(pagination.PageNumberPagination):
    django_paginator_class = WindowCountPaginator
    page_size_query_param = "page_size"
    max_page_size = 500


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _first_message(value)
            return text if key in ("non_field_errors", "detail") else f"{key}: {text}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, AppError):
        code = status.HTTP_404_NOT_FOUND if exc.code == "not_found" else exc.status_code
        return Response(exc.as_dict(), status=code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = {"message": _first_message(exc.detail), "extra": {"errors": exc.detail}}
    elif isinstance(exc, (APIException, Http404)):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"message": str(detail), "extra": {}}
    return response


class ScopedQuerysetMixin:
    """get_queryset() is the station-scoped queryset of `queryset`; nothing else
    in a viewset decides which stations an actor sees."""

    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.request.user)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id is accepted only if the actor can see that object; another
    station's id reads as "does not exist"."""

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        return scope_queryset(qs, request.user if request else None)


def app_error_response(exc: AppError) -> Response:
    return exception_handler(exc, {})


def body_text(request, name: str, *, max_length: int = 500) -> str:
    """An optional free-text field of the request body ("reason", "note"), whatever shape the body has.

    A body that is not an object, or a value that is not text, is a 400 naming the field."""
    data = request.data
    if data in (None, "") or (hasattr(data, "keys") and name not in data):
        return ""
    if not hasattr(data, "get"):
        raise ValidationError({name: "请求体必须是 JSON 对象。"})
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({name: "必须是文本。"})
    if len(value) > max_length:
        raise ValidationError({name: f"最多 {max_length} 个字。"})
    return value
