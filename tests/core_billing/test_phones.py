import pytest

from core_billing.phones import classify_phones, mask_phone, normalize_phone, split_phones


@pytest.mark.parametrize("raw, number, kind", [
    ("13800138000", "+8613800138000", "mobile"),
    ("138 0013 8000", "+8613800138000", "mobile"),
    ("１３８００１３８０００", "+8613800138000", "mobile"),  # full-width digits
    ("+86 138-0013-8000", "+8613800138000", "mobile"),
    ("008613800138000", "+8613800138000", "mobile"),
    ("19912345678", "+8619912345678", "mobile"),
    ("0412-5551234", "+864125551234", "landline"),
    ("010 8888 6666", "+861088886666", "landline"),
    ("1380013800", "", "invalid"),  # ten digits
    ("12345", "", "invalid"),
    ("abc", "", "invalid"),
    ("", "", "invalid"),
])
def test_normalize_phone_classifies(raw, number, kind):
    info = normalize_phone(raw)
    assert (info.number, info.kind) == (number, kind)


def test_split_phones_keeps_spaces_inside_a_number():
    assert split_phones("138 0013 8000 / 0412-5551234，13900001111") == ["138 0013 8000", "0412-5551234",
                                                                          "13900001111"]


def test_classify_picks_first_mobile_and_drops_duplicates():
    infos, mobile, kind = classify_phones(["0412-5551234", "13800138000", "+8613800138000", "13900139000"])
    assert [i.number for i in infos] == ["+864125551234", "+8613800138000", "+8613900139000"]
    assert mobile == "+8613800138000"
    assert kind == "mobile"


@pytest.mark.parametrize("raws, kind", [([], "none"), (["0412-5551234"], "landline"), (["123"], "invalid"),
                                         (["123", "0412-5551234"], "landline")])
def test_contact_kind_without_mobile(raws, kind):
    _infos, mobile, got = classify_phones(raws)
    assert mobile == "" and got == kind


def test_mask_phone():
    assert mask_phone("+8613812345678") == "138****5678"
