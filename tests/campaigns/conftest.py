"""Campaign fixtures: a season, topics, and a street of households with every kind of phone."""
from __future__ import annotations

import pytest

from messaging.services.topics import topic_create
from tests import factories as f


@pytest.fixture
def season(org):
    return f.season()


@pytest.fixture
def topics(org):
    admin = org.admin
    return type("Topics", (), {
        "notice": topic_create(actor=admin, name="打压试水通知", kind="notice", company_wide=True,
                               body="尊敬的{{ 客户名称 }}，{{ 小区 }}明日打压试水。"),
        "marketing": topic_create(actor=admin, name="预交优惠", kind="notice", is_marketing=True, company_wide=True,
                                  body="尊敬的{{ 客户名称 }}，11月前缴费享优惠。"),
        "dunning": topic_create(actor=admin, name="催缴通知", kind="dunning", company_wide=True,
                                body="尊敬的{{ 客户名称 }}，您尚欠供热费{{ 欠费合计 }}元。"),
    })


@pytest.fixture
def street(org):
    """Station 1's building 1 with: 4 mobiles, one without any phone, one invalid number (plus org's landline)."""
    b = org.building1
    people = {
        "m1": org.customer1,
        "m2": f.customer(b, name="王芳", room="201", unit=2, phones=["13900000002"]),
        "m3": f.customer(b, name="刘洋", room="301", unit=2, phones=["13900000003"]),
        "m4": f.customer(b, name="陈静", room="401", unit=3, phones=["13900000004"]),
        "none": f.customer(b, name="赵磊", room="501", phones=[]),
        "invalid": f.customer(b, name="孙丽", room="601", phones=["12345"]),
        "landline": org.customer1b,
    }
    return type("Street", (), people)
