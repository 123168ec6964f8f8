"""Dispatcher pages: lists by status, worker and overdue; create; assign; the timeline."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core_billing.errors import AppError
from core_billing.pagination import WindowCountPaginator
from core_billing.scoping import get_visible_or_404

from ..models import WorkOrder, WorkOrderStatus
from ..selectors.work_orders import repair_workers, work_order_list, work_order_timeline
from ..services import work_orders as svc
from .forms import AssignForm, ReasonForm, ResultForm, WorkOrderForm


@login_required
@permission_required("dispatch.view_workorder", raise_exception=True)
def order_list(request):
    params = {k: request.GET.get(k, "").strip() for k in ("status", "worker", "overdue", "q")}
    qs = work_order_list(actor=request.user, status=params["status"],
                         worker=params["worker"] if params["worker"].isdigit() else None,
                         overdue=params["overdue"] == "1", search=params["q"])
    page = WindowCountPaginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "params": params, "query": query.urlencode(), "statuses": WorkOrderStatus.choices,
               "workers": repair_workers(actor=request.user)}
    template = "dispatch/_order_rows.html" if request.htmx else "dispatch/order_list.html"
    return render(request, template, context)


@login_required
@permission_required("dispatch.add_workorder", raise_exception=True)
def order_create(request):
    form = WorkOrderForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            order = svc.work_order_create(
                actor=request.user, customer=d["account_no"], station=d.get("station"), address=d["address"],
                contact_name=d["contact_name"], contact_phone=d["contact_phone"], problem=d["problem"],
                category=d["category"], priority=d["priority"], appointment_start=d["appointment_start"],
                appointment_end=d["appointment_end"])
        except AppError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Work order %(number)s created.") % {"number": order.number})
            return redirect("dispatch:detail", pk=order.pk)
    return render(request, "dispatch/order_form.html", {"form": form})


def _order(request, pk) -> WorkOrder:
    return get_visible_or_404(WorkOrder.objects.select_related("worker__user", "customer", "station", "created_by"),
                              request.user, pk=pk)


@login_required
@permission_required("dispatch.view_workorder", raise_exception=True)
def order_detail(request, pk):
    order = _order(request, pk)
    context = {"order": order, "timeline": work_order_timeline(actor=request.user, work_order=order),
               "assign_form": AssignForm(order=order, actor=request.user), "cancel_form": ReasonForm(),
               "finish_form": ResultForm()}
    template = "dispatch/_timeline.html" if request.htmx else "dispatch/order_detail.html"
    return render(request, template, context)


ACTIONS = {
    "assign": ("dispatch.assign_workorder", AssignForm),
    "accept": ("dispatch.change_workorder", None),
    "start": ("dispatch.change_workorder", None),
    "finish": ("dispatch.change_workorder", ResultForm),
    "cancel": ("dispatch.change_workorder", ReasonForm),
    "remind": ("dispatch.remind_workorder", None),
}


@login_required
@require_POST
def order_action(request, pk, action):
    if action not in ACTIONS:
        return redirect("dispatch:detail", pk=pk)
    perm, form_class = ACTIONS[action]
    if not request.user.has_perm(perm):
        messages.error(request, _("You may not do this."))
        return redirect("dispatch:detail", pk=pk)
    order = _order(request, pk)
    form = None
    if form_class is AssignForm:
        form = AssignForm(request.POST, order=order, actor=request.user)
    elif form_class is not None:
        form = form_class(request.POST)
    if form is not None and not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("dispatch:detail", pk=pk)
    d = form.cleaned_data if form is not None else {}
    try:
        if action == "assign":
            svc.work_order_assign(actor=request.user, work_order=order, worker=d["worker"], note=d["note"])
        elif action == "accept":
            svc.work_order_accept(actor=request.user, work_order=order)
        elif action == "start":
            svc.work_order_start(actor=request.user, work_order=order)
        elif action == "finish":
            svc.work_order_finish(actor=request.user, work_order=order, result=d["result"])
        elif action == "cancel":
            svc.work_order_cancel(actor=request.user, work_order=order, reason=d["reason"])
        elif action == "remind":
            svc.work_order_remind(actor=request.user, work_order=order)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("dispatch:detail", pk=pk)


@login_required
@permission_required("dispatch.view_repairworker", raise_exception=True)
def worker_list(request):
    return render(request, "dispatch/worker_list.html",
                  {"workers": repair_workers(actor=request.user, active_only=False)})
