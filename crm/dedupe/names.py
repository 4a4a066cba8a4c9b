"""Company names reduced to what tells one company from another, and how alike two such cores are.

Two people write one company differently: full-width or half-width letters and brackets,
Traditional or Simplified characters, with or without the branch in brackets, with or without
the legal form (有限公司, Co., Ltd., ООО) or the city in front. `core` takes all of that away;
`similarity` then compares the cores by their characters (rapidfuzz) and by their sound
(pypinyin), so a homophone typed by mistake (华能店厂) still meets 华能电厂.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

# Legal forms, longest first so that 股份有限公司 goes whole, not as 有限公司 leaving 股份.
_FORMS_ZH = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "控股有限公司",
    "有限公司",
    "集团公司",
    "总公司",
    "控股",
    "股份",
    "集团",
    "公司",
)
_FORMS_LATIN = (
    "co",
    "company",
    "corp",
    "corporation",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "group",
    "holdings",
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "ип",
)
# Where a branch is named without brackets: 上海分公司, 浦东支行, 徐汇店.
_BRANCH = re.compile(r"(分公司|分厂|分店|分行|支行|营业部|办事处|门店)$")
# Places written in front of (or, for a branch, behind) the name. A place is only taken away
# when at least three characters remain, so 北京银行 and 上海银行 stay two banks.
_PLACES = (
    "中国 北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北"
    " 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
    " 深圳 广州 杭州 南京 苏州 无锡 宁波 武汉 成都 西安 郑州 长沙 青岛 大连 沈阳 厦门 合肥"
    " 济南 福州 昆明 哈尔滨 长春 石家庄 太原 南昌 南宁 贵阳 兰州 乌鲁木齐 呼和浩特 佛山 东莞"
    " 珠海 中山 惠州 汕头 江门 湛江 温州 嘉兴 湖州 绍兴 金华 台州 常州 南通 徐州 扬州 镇江"
    " 泰州 盐城 连云港 淮安 烟台 潍坊 临沂 淄博 威海 济宁 唐山 保定 邯郸 秦皇岛 廊坊 洛阳"
    " 襄阳 宜昌 株洲 湘潭 岳阳 芜湖 蚌埠 泉州 漳州 莆田 赣州 九江 柳州 桂林 北海 海口 三亚"
    " 绵阳 宜宾 遵义 大理 丽江 宝鸡 咸阳 包头 鄂尔多斯 鞍山 抚顺 大庆 齐齐哈尔 银川 西宁"
    " 拉萨"
    " 浦东 浦西 徐汇 静安 黄浦 闵行 宝山 嘉定 松江 青浦 奉贤 金山 崇明 长宁 普陀 虹口 杨浦"
    " 朝阳 海淀 东城 西城 丰台 天河 越秀 南山 福田 罗湖"
).split()
_PLACE_SUFFIX = ("省", "市", "区", "县", "")
_LATIN_PLACES = frozenset(
    {"china", "shanghai", "beijing", "shenzhen", "guangzhou", "hongkong", "russia", "moscow"}
)
_BRACKETS = re.compile(r"[(\[【〔〈《{][^)\]】〕〉》}]*[)\]】〕〉》}]")
_NON_WORD = re.compile(r"[^\w]+|_")
_CJK = re.compile(r"[\u3400-\u9fff]")
_MIN_CORE = 3


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def plain(text: str) -> str:
    """Half-width, Simplified, lower-case, brackets with what is in them taken away."""
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text).lower()
    previous = None
    while previous != text:  # nested brackets, innermost first
        previous, text = text, _BRACKETS.sub(" ", text)
    return text


def _strip_place(core: str, *, front: bool) -> str:
    """Places taken from one end while enough is left: 上海浦东发展银行 and 浦东发展银行 meet."""
    while True:
        shorter = _strip_one_place(core, front=front)
        if shorter == core:
            return core
        core = shorter


# Every place word with every suffix, longest first, as one pattern for each end.
_PLACE_WORDS = "|".join(
    sorted({p + suffix for p in _PLACES for suffix in _PLACE_SUFFIX}, key=len, reverse=True)
)
_FRONT = re.compile(f"^(?:{_PLACE_WORDS})")
_BACK = re.compile(f"(?:{_PLACE_WORDS})$")


def _strip_one_place(core: str, *, front: bool) -> str:
    m = (_FRONT if front else _BACK).search(core)
    if m is None or len(core) - len(m.group(0)) < _MIN_CORE:
        return core
    return core[m.end() :] if front else core[: m.start()]


@functools.lru_cache(maxsize=100_000)
def core(name: str) -> str:
    """What is left of a name once its form, branch, place and punctuation are taken away."""
    text = plain(name)
    words = [w for w in _NON_WORD.split(text) if w]
    # Latin and Cyrillic legal forms and place words are whole words.
    words = [w for w in words if w not in _FORMS_LATIN and w not in _LATIN_PLACES]
    text = "".join(words)
    for _ in range(3):  # 东方钢铁集团有限公司上海分公司: branch, then form, then the form before
        before = text
        if _BRANCH.search(text):
            text = _strip_place(_BRANCH.sub("", text), front=False)
        for form in _FORMS_ZH:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                break
        if text == before:
            break
    for form in _FORMS_ZH:  # a form in the middle: 华能集团电厂
        if len(text) - len(form) >= _MIN_CORE and form in ("集团", "控股"):
            text = text.replace(form, "")
    text = _strip_place(text, front=True)
    return text or "".join(words)


@functools.lru_cache(maxsize=100_000)
def sound(text: str) -> str:
    """Pinyin syllables of a core, space-separated (Latin and Cyrillic words stay as they are)."""
    if not _CJK.search(text):
        return text
    return " ".join(lazy_pinyin(text, errors="default"))


# Two or three characters sound alike too often (张伟, 张薇) for the sound alone to say anything.
_MIN_SOUND_CHARS = 4


def similarity(a: str, b: str) -> tuple[float, float]:
    """(by characters, by sound) of two names' cores, 0-100."""
    ca, cb = core(a), core(b)
    if not ca or not cb:
        return 0.0, 0.0
    if ca == cb:
        return 100.0, 100.0
    by_sound = 0.0
    if min(len(ca), len(cb)) >= _MIN_SOUND_CHARS:
        by_sound = fuzz.ratio(sound(ca), sound(cb))
    return fuzz.ratio(ca, cb), by_sound


def alike(a: str, b: str, *, chars: float, sound_threshold: float) -> bool:
    """The check's verdict: probably one company."""
    by_chars, by_sound = similarity(a, b)
    return by_chars >= chars or by_sound >= sound_threshold


def plain_address(address: str) -> str:
    """An address compared as text: half-width, Simplified, no spaces or punctuation."""
    return "".join(w for w in _NON_WORD.split(plain(address)) if w)
