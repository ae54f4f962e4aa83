"""Content written once: the reader's language, the reader's Chinese script, marked fallbacks."""

from jiandu.cases.text import fold, localize


def test_chinese_follows_the_reader_script_either_way():
    assert localize({"zh": "重庆市北碚区", "en": ""}, "zh-hant") == ("重慶市北碚區", "zh-Hant")
    assert localize({"zh": "重慶市北碚區", "en": ""}, "zh-hans") == ("重庆市北碚区", "zh-Hans")
    assert localize({"zh": "视频中人为雷政富", "en": ""}, "zh-hant")[0] == "視頻中人為雷政富"


def test_each_language_falls_back_to_the_other_and_says_so():
    assert localize({"zh": "", "en": "Lei"}, "zh-hans") == ("Lei", "en")
    assert localize({"zh": "雷政富", "en": ""}, "en") == ("雷政富", "zh-Hans")
    assert localize({"zh": "雷政富", "en": "Lei Zhengfu"}, "en") == ("Lei Zhengfu", "en")
    assert localize(None, "en") == ("", "en")
    assert localize({}, "zh-hant") == ("", "en")


def test_fold_is_idempotent():
    once = fold("重慶 Lei ZHENGFU")
    assert fold(once) == once == "重庆 lei zhengfu"
