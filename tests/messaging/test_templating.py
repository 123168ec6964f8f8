"""Topic bodies: placeholders with Chinese names, position-named errors, a safe subset of Jinja2."""
import pytest

from core_billing.errors import AppError
from messaging import templating
from messaging.templating import TopicKind, check, render


def test_keys_and_chinese_display_names_both_work():
    checked = check("尊敬的{{ 客户名称 }}，您本年度应缴{{ amount_due }}元。", TopicKind.DUNNING)
    assert checked.body == "尊敬的{{ customer_name }}，您本年度应缴{{ amount_due }}元。"
    assert checked.keys == {"customer_name", "amount_due"}
    assert checked.providers == {"customer", "billing"}
    assert render(checked.body, {"customer_name": "张伟", "amount_due": "100.00"}) == "尊敬的张伟，您本年度应缴100.00元。"


def test_unknown_placeholder_names_position_and_lists_valid_ones():
    with pytest.raises(AppError) as err:
        check("您好\n{{ customer_name }}欠费{{ 欠款 }}元", TopicKind.DUNNING)
    exc = err.value
    assert "欠款" in exc.message and "第 2 行" in exc.message
    assert exc.extra["line"] == 2 and exc.extra["column"] == 25
    assert {"key": "amount_due", "label": "应缴金额"} in exc.extra["placeholders"]
    assert "应缴金额（amount_due）" in exc.message


def test_syntax_error_names_line():
    with pytest.raises(AppError) as err:
        check("第一行\n第二行{{ customer_name ", TopicKind.NOTICE)
    assert err.value.extra["line"] == 2
    assert "语法错误" in err.value.message


def test_placeholder_must_suit_the_kind():
    with pytest.raises(AppError) as err:
        check("{{ amount_due }}", TopicKind.INTERNAL)
    assert "应缴金额" in err.value.message
    check("{{ work_order_no }} {{ problem }}", TopicKind.WORK_ORDER)
    with pytest.raises(AppError):
        check("{{ work_order_no }}", TopicKind.NOTICE)


@pytest.mark.parametrize("body", [
    "{% for i in range(10) %}x{% endfor %}",
    "{{ customer_name.__class__ }}",
    "{{ customer_name['x'] }}",
    "{{ cycler() }}",
    "{% set x = 1 %}",
    "{{ customer_name|attr('upper') }}",
])
def test_unsafe_or_heavy_constructs_refused(body):
    with pytest.raises(AppError):
        check(body, TopicKind.NOTICE)


def test_conditionals_and_filters_allowed():
    body = check("{% if late_fee != '0.00' %}含滞纳金{{ late_fee }}元{% else %}无滞纳金{% endif %}",
                 TopicKind.DUNNING).body
    assert render(body, {"late_fee": "0.00"}) == "无滞纳金"
    assert render(body, {"late_fee": "3.20"}) == "含滞纳金3.20元"


def test_render_with_missing_value_is_loud():
    with pytest.raises(Exception):
        render("{{ customer_name }}", {})


def test_empty_body_refused():
    with pytest.raises(AppError):
        check("   ", TopicKind.NOTICE)


def test_every_placeholder_has_a_chinese_label_and_a_provider():
    for p in templating.PLACEHOLDERS.values():
        assert p.label and any("\u4e00" <= ch <= "\u9fff" for ch in p.label)
        assert p.provider and p.kinds
