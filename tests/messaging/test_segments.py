"""Segment counting (MSG-09): GSM-7 160/153, UCS-2 70/67, signature and opt-out text counted."""
from decimal import Decimal

from hypothesis import given, strategies as st

from messaging import segments
from messaging.segments import GSM7, UCS2, analyze, compose, split


def test_empty_text_is_zero_segments():
    assert analyze("").segments == 0


def test_gsm7_boundaries():
    assert analyze("a" * 160) .segments == 1
    info = analyze("a" * 161)
    assert (info.encoding, info.segments, info.per_segment) == (GSM7, 2, 153)
    assert analyze("a" * 306).segments == 2
    assert analyze("a" * 307).segments == 3


def test_gsm7_extension_characters_take_two_septets_and_are_not_split():
    info = analyze("€" * 80)
    assert (info.encoding, info.units, info.segments) == (GSM7, 160, 1)
    # 152 plain septets then an escape pair: the pair moves whole to part 2
    text = "a" * 152 + "€" + "a" * 10
    assert analyze(text).units == 164
    parts = split(text)
    assert parts[0] == "a" * 152 and parts[1].startswith("€")


def test_chinese_is_ucs2_70_then_67():
    assert analyze("暖" * 70).segments == 1
    info = analyze("暖" * 71)
    assert (info.encoding, info.segments, info.per_segment) == (UCS2, 2, 67)
    assert analyze("暖" * 134).segments == 2
    assert analyze("暖" * 135).segments == 3


def test_one_non_gsm_character_switches_the_whole_text_to_ucs2():
    assert analyze("a" * 100).segments == 1
    assert analyze("a" * 100 + "暖").encoding == UCS2
    assert analyze("a" * 100 + "暖").segments == 2


def test_emoji_counts_two_units_and_is_not_split():
    info = analyze("😀" * 35)
    assert (info.characters, info.units, info.segments) == (35, 70, 1)
    text = "暖" * 66 + "😀" + "暖" * 5  # 73 units: two parts, the pair must not straddle 67
    parts = split(text)
    assert parts[0] == "暖" * 66 and parts[1] == "😀" + "暖" * 5


def test_signature_and_opt_out_text_are_counted():
    body = "暖" * 62
    assert analyze(body).segments == 1
    full = compose(body, signature="暖信热力", opt_out_text="回T退订")
    assert full == "【暖信热力】" + body + "回T退订"
    assert analyze(full).characters == 62 + 6 + 4
    assert analyze(full).segments == 2


def test_cost_is_decimal():
    assert analyze("暖" * 71).cost(Decimal("0.045")) == Decimal("0.09")


@given(st.text(alphabet=st.sampled_from(sorted(segments.GSM7_BASIC | segments.GSM7_EXTENSION) + ["暖", "😀"]),
               max_size=500))
def test_split_parts_join_back_and_respect_limits(text):
    info = analyze(text)
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == info.segments
    for part in parts:
        size = sum(2 if (ch in segments.GSM7_EXTENSION if info.encoding == GSM7 else ord(ch) > 0xFFFF) else 1
                   for ch in part)
        assert size <= (info.per_segment if info.segments > 1 else (160 if info.encoding == GSM7 else 70))
