"""The words of a visit report, for visit_text: how customers, people and kinds are named.

Customers follow a visit verb (拜访, visited, called...), people a meeting verb (见了, 和, met,
saw..., встретился с...); a Chinese name stops at the next verb or person, an English or Russian
one at the next linking word. Russian rules join the English ones: both are used for a message
that is not Chinese (visit_text decides). Traditional Chinese is folded to these Simplified
words first (crm.language.zh_hant).
"""

from __future__ import annotations

import re

ONSITE, PHONE, ONLINE = "onsite", "phone", "online"

# Where a Chinese customer's or person's name stops: the next verb or the next person.
_ZH_AFTER_NAME = (
    "见了|见到|约见|约了|见(?![面客])|和|跟|与|一起|谈|聊|沟通|洽谈|讨论|商量|商谈|交流|了解|签|"
    "确认|汇报|介绍|演示|对接|开会|开了|见面|参观|看了|拿了|说|讲|表示|反馈|提出|提到|问|"
    "认为|同意|答应|初步|主要|关于|就|针对|一切|进行"
)
_ZH_NAME = rf"(?!{_ZH_AFTER_NAME})(?P<name>.{{2,40}}?)"
_ZH_NAME_END = rf"(?=\s*$|\s*(?:{_ZH_AFTER_NAME}))"
_ZH_SOON = r"(?:今天|今早|上午|下午|中午|早上|刚才|刚刚|刚|昨天)?\s*"
_ZH_WITH = r"(?:和|跟(?![进踪])|与|同(?![意步时样事]))"  # 跟进 and 同意 are other words
# 视讯 and 网路 are Taiwan's words (視訊會議, 網路會議).
ZH_MEDIUM = {
    "线上": ONLINE, "视频": ONLINE, "视讯": ONLINE, "网络": ONLINE, "网路": ONLINE,
    "腾讯": ONLINE, "钉钉": ONLINE,
}  # fmt: skip
_ZH_CUSTOMER = [
    (rf"(?:打电话给|打给|电话联系了?|致电|电话回访了?)\s*{_ZH_NAME}{_ZH_NAME_END}", PHONE),
    (rf"给\s*{_ZH_NAME}\s*打了?(?:个|一个|一通|通)?电话", PHONE),
    (
        rf"^{_ZH_SOON}{_ZH_WITH}\s*{_ZH_NAME}\s*(?:开了?|进行了?|通了?)\s*(?:个|一个|一次)?"
        r"(?P<medium>线上|视频|视讯|网络|网路|腾讯|钉钉|电话)(?:会议|会|电话|通话)?",
        None,
    ),
    (
        rf"(?:线上会议|视频会议|视讯会议|网络会议|网路会议|腾讯会议|视频拜访|线上拜访)\s*[:：]?\s*{_ZH_NAME}{_ZH_NAME_END}",
        ONLINE,
    ),
    (
        rf"(?:上门拜访|拜访|走访|到访|见客户)了?\s*(?:一下)?\s*[:：]?\s*{_ZH_NAME}{_ZH_NAME_END}",
        ONSITE,
    ),
    (rf"回访了?\s*[:：]?\s*{_ZH_NAME}{_ZH_NAME_END}", None),
    (rf"^{_ZH_SOON}(?:去了|到了|去(?!年)|来到)\s*{_ZH_NAME}{_ZH_NAME_END}", ONSITE),
    # 在华能电厂 alone is too vague; 在华能电厂见了张工 is a visit.
    (rf"^{_ZH_SOON}在\s*{_ZH_NAME}(?=\s*(?:{_ZH_AFTER_NAME}))", ONSITE),
]

_EN_NAME = r"(?P<name>.+?)"
_EN_NAME_END = (
    r"(?=\s*$|\s*[-–—:(]|\s+(?:and|to|about|re|regarding|for|today|yesterday|this|earlier|with"
    r"|where|who|on|over|via|met|saw|discussed|talked|spoke|after|before|at(?=\s+\d))(?![A-Za-z]))"
)
_EN = r"(?<![A-Za-z])"
_EN_CUSTOMER = [
    (
        rf"{_EN}(?:video|zoom|teams|online|virtual|webex)\s+(?:call|meeting|chat)\s+(?:with|at)\s+"
        rf"{_EN_NAME}{_EN_NAME_END}",
        ONLINE,
    ),
    (rf"{_EN}(?:zoom|teams)(?:ed)?\s+with\s+{_EN_NAME}{_EN_NAME_END}", ONLINE),
    (rf"{_EN}(?:phone\s+call|call)\s+with\s+{_EN_NAME}{_EN_NAME_END}", PHONE),
    (rf"{_EN}(?:called|phoned|rang)\s+{_EN_NAME}{_EN_NAME_END}", PHONE),
    (
        rf"{_EN}(?:visited|visiting|(?:site\s+)?visit\s+(?:to|at)|visit|went\s+to|dropped\s+by"
        rf"|stopped\s+by|dropped\s+in\s+(?:at|on))\s+{_EN_NAME}{_EN_NAME_END}",
        ONSITE,
    ),
    (rf"{_EN}meeting\s+(?:with|at)\s+{_EN_NAME}{_EN_NAME_END}", None),
]
# "met with X" names the customer only when nothing stronger does, and X is not a list of
# people ("met with Li and Wang"); "met with Li at Acme" names both.
EN_MET_WITH = re.compile(
    rf"{_EN}met\s+with\s+(?P<name>.+?)(?=\s*$|\s*[-–—:(]|\s+(?:to|about|re|regarding|for|today"
    r"|yesterday|this|earlier|where|who|on|over|via|discussed|talked)(?![A-Za-z]))",
    re.IGNORECASE,
)


# Russian: names end where a linking word or the next verb starts; a Russian word needs its own
# boundaries against Cyrillic letters.
_RU = r"(?<![А-Яа-яЁё])"
_RU_END = r"(?![А-Яа-яЁё])"
_RU_LINK = (
    r"и|по|о|об|обо|про|насчёт|насчет|на|с|со|где|который|которая|сегодня|вчера|утром|днём|днем"
    r"|вечером|обсудили|обсуждали|поговорили|говорили|встретился|встретилась|встретились"
    r"|виделся|виделась|договорились|показали|показал|показала"
)
_RU_NAME_END = rf"(?=\s*$|\s*[-–—:(]|\s+(?:{_RU_LINK}){_RU_END})"
_RU_CUSTOMER = [
    (
        rf"{_RU}(?:видеозвонок|видеовстреча|онлайн-встреча|онлайн\s+встреча|созвон\s+по\s+видео)"
        rf"\s+(?:с|со|в)\s+{_EN_NAME}{_RU_NAME_END}",
        ONLINE,
    ),
    (
        rf"{_RU}(?:позвонил[аи]?|звонил[аи]?|созвонил(?:ся|ась|ись))\s+(?:в|во|с|со)?\s*"
        rf"{_EN_NAME}{_RU_NAME_END}",
        PHONE,
    ),
    (
        rf"{_RU}(?:визит|выезд|поездка)\s+(?:в|во|на|к)\s+{_EN_NAME}{_RU_NAME_END}",
        ONSITE,
    ),
    (
        rf"{_RU}(?:посетил[аи]?|навестил[аи]?)\s+{_EN_NAME}{_RU_NAME_END}",
        ONSITE,
    ),
    (
        rf"{_RU}(?:был[аи]?|съездил[аи]?|ездил[аи]?|заехал[аи]?|приехал[аи]?)\s+(?:в|во|на)\s+"
        rf"{_EN_NAME}{_RU_NAME_END}",
        ONSITE,
    ),
    (rf"{_RU}встреча\s+(?:в|во|на)\s+{_EN_NAME}{_RU_NAME_END}", None),
]


def _compile(rules: list[tuple[str, str | None]]) -> list[tuple[re.Pattern[str], str | None]]:
    return [(re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in rules]


CUSTOMER_RULES = {
    True: _compile(_ZH_CUSTOMER),
    False: _compile(_EN_CUSTOMER + _RU_CUSTOMER),
}

# Where the people's names stop: as a customer's, but 和/跟/与 join names there (张工和李总).
_ZH_AFTER_PEOPLE = _ZH_AFTER_NAME.replace("和|跟|与|", "") + "|去|到|过|在|吃|看|一同"
ZH_CONTACT = re.compile(
    rf"(?:见了|见到|约见了?|约了|见(?![面客])|^{_ZH_SOON}{_ZH_WITH})\s*"
    rf"(?P<names>.{{1,30}}?)(?=\s*$|\s*(?:{_ZH_AFTER_PEOPLE}))"
    # 张工、李总参加
    rf"|^(?P<present>.{{1,30}}?)(?:也)?(?:参加|出席|在场|参会|陪同)"
)
EN_CONTACT = re.compile(
    rf"{_EN}(?P<verb>met(?:\s+with)?|saw|spoke\s+(?:to|with)|talked\s+(?:to|with)|chatted\s+with"
    rf"|meeting\s+with)\s+(?P<names>.+?)"
    r"(?=\s*$|\s*[-–—:(]|\s+(?:about|re|regarding|to|who|on|over|via|today|yesterday|this|last"
    r"|and\s+(?:they|he|she|we|i|discussed|talked|agreed|got|went|signed|reviewed|showed"
    r"|presented|gave|it))(?![A-Za-z]))",
    re.IGNORECASE,
)
RU_CONTACT = re.compile(
    rf"{_RU}(?P<verb>встретил(?:ся|ась|ись)|виделс[яь]|виделась|говорил[аи]?|поговорил[аи]?"
    rf"|общал(?:ся|ась|ись)|пообщал(?:ся|ась|ись)|разговаривал[аи]?|встреча)\s+(?:с|со)\s+"
    rf"(?P<names>.+?)(?=\s*$|\s*[-–—:(]|\s+(?:о|об|обо|про|по|насчёт|насчет|сегодня|вчера"
    rf"|и\s+(?:обсудили|поговорили|договорились|показали|он|она|они|мы)){_RU_END})",
    re.IGNORECASE,
)
NAME_LIST = re.compile(
    r"\s*(?:[、,，/&+]|以及|和|及|与|跟|还有|(?<![A-Za-z])and(?![A-Za-z])|(?<![А-Яа-яЁё])и(?![А-Яа-яЁё]))\s*"
)
# "Li at Acme", "Li from Acme": a person and the customer.
EN_PERSON_AT = re.compile(r"^(?P<person>.+?)\s+(?:at|from|из)\s+(?P<org>.+)$", re.IGNORECASE)
# 华能电厂的张工, 华能电厂张工, 华能电厂 王经理: the customer, then a person (surname + title).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤欧"
)
_TITLES = (
    "工程师|董事长|总经理|总监|经理|主任|科长|处长|部长|所长|厂长|局长|院长|书记|主管|老师|"
    "先生|女士|小姐|老板|助理|工|总|董"
)
ZH_PERSON_SUFFIX = re.compile(
    rf"^(?P<org>.{{2,}}?)\s*(?:的\s*)?(?P<person>[{_SURNAMES}](?:{_TITLES})|[小老][{_SURNAMES}])$"
)
ZH_OF_PERSON = re.compile(r"^(?P<org>.{2,}?)的(?P<person>.{1,5})$")
# 李总说…, 张工反馈…: the person who speaks was met; the clause stays the outcome.
ZH_SPEAKER = re.compile(
    rf"^(?P<person>[{_SURNAMES}](?:{_TITLES})|[小老][{_SURNAMES}])"
    r"(?=说|表示|反馈|认为|同意|答应|提出|讲|称|介绍|确认|希望|要求|想|觉得)"
)
# Not names of people met.
NOT_PEOPLE = {
    "客户", "对方", "他们", "她们", "我们", "你们", "他", "她", "你", "我", "大家", "领导",
    "you", "him", "her", "them", "us", "me", "everyone", "the customer", "the client",
    "the team", "their team",
    "клиент", "клиентом", "клиентами", "заказчиком", "ним", "ней", "ними", "нами", "всеми",
}  # fmt: skip

# Words that tell how the visit was made, when no customer rule has said it.
ONLINE_WORDS = re.compile(
    r"线上|视频|视讯|网络会议|网路会议|腾讯会议|钉钉|飞书|(?<![A-Za-z])(?:online|zoom|teams|webex|google\s+meet"
    r"|video|virtual)(?![A-Za-z])|видео|онлайн|зум",
    re.IGNORECASE,
)
PHONE_WORDS = re.compile(
    r"电话|致电|打给|(?<![A-Za-z])(?:called|call|phoned?|rang|by\s+phone)(?![A-Za-z])"
    r"|звонил|позвонил|созвонил|по\s+телефону",
    re.IGNORECASE,
)
ONSITE_WORDS = re.compile(
    r"拜访|走访|到访|上门|现场|去了|实地|(?<![A-Za-z])(?:visited|visit|on[- ]?site|in\s+person"
    r"|dropped\s+by|stopped\s+by|went\s+to)(?![A-Za-z])|визит|посетил|выезд|съездил|на\s+месте",
    re.IGNORECASE,
)
# A first clause that is only a name ("华能电厂：见了张工", "Acme - met Li") has none of these.
NOT_A_NAME = re.compile(
    r"谈|聊|说|想|要|需|希望|觉得|认为|同意|确认|准备|打算|计划|报价|合同|问题|没有|已经|我|你|他|她"
    r"|(?<![A-Za-z])(?:they|we|he|she|i|it|you|want|wants|need|needs|asked|discussed|is|are|was"
    r"|were|will|would|has|have|had|quote|price|pricing|ok|okay|thanks|thank|hello|hi)(?![A-Za-z])"
    r"|(?<![А-Яа-яЁё])(?:мы|я|он|она|они|хотят|хочет|нужно|нужен|нужна|цена|цену|спасибо|привет"
    r"|обсудили|договорились|согласны)(?![А-Яа-яЁё])",
    re.IGNORECASE,
)
