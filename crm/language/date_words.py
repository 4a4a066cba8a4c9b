"""The words of dates, for dates: numbers, weekdays, months, relative days, parts of the day.

Each table maps the words reps type, in Chinese, English and Russian, to what they mean
(Traditional Chinese is folded to these Simplified spellings first, see zh_hant); the regex
pieces below spell the same words for the grammar in date_rules, date_clock and
crm.language.date_grammar.
"""

from __future__ import annotations

import re

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
RU_NUMBERS = {
    "один": 1, "одну": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
    "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "пару": 2,
}  # fmt: skip
WEEKDAYS = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
    "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6,
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
    "понедельник": 0, "пн": 0, "вторник": 1, "вт": 1, "среда": 2, "среду": 2, "ср": 2,
    "четверг": 3, "чт": 3, "пятница": 4, "пятницу": 4, "пт": 4, "суббота": 5, "субботу": 5,
    "сб": 5, "воскресенье": 6, "вс": 6,
    # до пятницы, с понедельника
    "понедельника": 0, "вторника": 1, "среды": 2, "четверга": 3, "пятницы": 4, "субботы": 5,
    "воскресенья": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
# Russian months as dates say them: 5 декабря (the genitive), and the short forms.
RU_MONTHS = {
    "января": 1, "янв": 1, "февраля": 2, "фев": 2, "марта": 3, "мар": 3, "апреля": 4,
    "апр": 4, "мая": 5, "июня": 6, "июн": 6, "июля": 7, "июл": 7, "августа": 8, "авг": 8,
    "сентября": 9, "сен": 9, "сент": 9, "октября": 10, "окт": 10, "ноября": 11, "ноя": 11,
    "нояб": 11, "декабря": 12, "дек": 12,
}  # fmt: skip
# word → (days from today, the part of the day the word implies)
RELATIVE_DAYS: dict[str, tuple[int, str | None]] = {
    "今天": (0, None), "今日": (0, None), "今晚": (0, "晚上"), "今早": (0, "早上"),
    "明天": (1, None), "明日": (1, None), "明晚": (1, "晚上"), "明早": (1, "早上"),
    "后天": (2, None), "大后天": (3, None), "过两天": (2, None), "过三天": (3, None),
    "today": (0, None), "tonight": (0, "tonight"), "this morning": (0, "morning"),
    "this afternoon": (0, "afternoon"), "this evening": (0, "evening"),
    "tomorrow": (1, None), "tomorow": (1, None), "tmrw": (1, None), "tmr": (1, None),
    "day after tomorrow": (2, None),
    "сегодня": (0, None), "завтра": (1, None), "послезавтра": (2, None),
    "после завтра": (2, None), "послепослезавтра": (3, None),
    # The past, for when a visit happened (crm.language.when decides which phrase says that).
    "昨天": (-1, None), "昨日": (-1, None), "昨晚": (-1, "晚上"), "昨早": (-1, "早上"),
    "前天": (-2, None), "大前天": (-3, None), "yesterday": (-1, None), "yday": (-1, None),
    "last night": (-1, "night"), "day before yesterday": (-2, None),
    "вчера": (-1, None), "позавчера": (-2, None),
}  # fmt: skip
# part of the day → (default hour, how an hour said with it is read)
PARTS: dict[str, tuple[int, str]] = {
    "凌晨": (6, "am"), "清晨": (7, "am"), "早上": (9, "am"), "早晨": (9, "am"),
    "上午": (9, "am"), "morning": (9, "am"),
    "中午": (12, "noon"), "noon": (12, "noon"), "midday": (12, "noon"),
    "lunchtime": (12, "noon"), "lunch": (12, "noon"),
    "下午": (15, "pm"), "afternoon": (15, "pm"), "傍晚": (18, "pm"), "evening": (18, "pm"),
    "晚上": (19, "night"), "晚间": (19, "night"), "夜里": (21, "night"), "夜间": (21, "night"),
    "night": (20, "night"), "tonight": (20, "night"),
    "утром": (9, "am"), "с утра": (9, "am"), "в обед": (12, "noon"), "полдень": (12, "noon"),
    "днём": (15, "pm"), "днем": (15, "pm"), "после обеда": (15, "pm"), "вечером": (19, "night"),
    "ночью": (21, "night"),
}  # fmt: skip
_CN_NUMERAL = "零〇一二两三四五六七八九十"


def number(word: str) -> int | None:
    """12, １２, 十二, 二十五, 两, 零五, three → the number; None for anything else."""
    word = word.strip().lower()
    if word.isdecimal():  # also full-width digits, which int() reads
        return int(word)
    if word in EN_NUMBERS:
        return EN_NUMBERS[word]
    if word in RU_NUMBERS:
        return RU_NUMBERS[word]
    if not word or any(c not in _CN_NUMERAL for c in word):
        return None
    if "十" in word:  # 十 = 10, 十五 = 15, 二十 = 20, 二十五 = 25
        tens, _, ones = word.partition("十")
        if "十" in ones or len(tens) > 1 or len(ones) > 1:
            return None
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    value = 0
    for c in word:  # 零五 = 05
        value = value * 10 + _CN_DIGITS[c]
    return value


# English words need boundaries of their own: \b does not separate "明天" from "3pm" (both count
# as word characters), and Chinese words need none (下周二下午3点 has no spaces).
EN_START = r"(?<![A-Za-z0-9])"
EN_END = r"(?![A-Za-z])"
# Russian words likewise, against Cyrillic letters: "в" must not match inside "вторник".
RU_START = r"(?<![А-Яа-яЁё0-9])"
RU_END = r"(?![А-Яа-яЁё])"
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def words(table: dict[str, object]) -> str:
    """An alternation of the table's words, longest first so that 大后天 wins over 后天."""

    def word(w: str) -> str:
        pattern = re.escape(w).replace(r"\ ", r"\s+")
        if w.isascii():
            return f"{EN_START}{pattern}{EN_END}"
        return f"{RU_START}{pattern}{RU_END}" if _CYRILLIC.search(w) else pattern

    return "|".join(word(w) for w in sorted(table, key=len, reverse=True))


NUM = rf"\d{{1,2}}|[{_CN_NUMERAL}]{{1,3}}"
COUNT = rf"\d{{1,3}}|[{_CN_NUMERAL}]{{1,3}}|{words(EN_NUMBERS)}|{words(RU_NUMBERS)}"
WEEKDAY_EN = rf"(?:{words({k: v for k, v in WEEKDAYS.items() if k.isalpha() and k.isascii()})})\.?"
MONTH_EN = rf"(?:{words(MONTHS)})\.?"
MONTH_RU = rf"(?:{words(RU_MONTHS)})\.?"
WEEKDAY_RU = rf"(?:{words({k: v for k, v in WEEKDAYS.items() if _CYRILLIC.search(k)})})\.?"
ORDINAL = r"(?:st|nd|rd|th)"
