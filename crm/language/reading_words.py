"""The words the reader (crm.language.reader) looks for, in zh (Simplified; Traditional is folded
first), en and ru: how a contact was made, whether it happened, what asks for a follow-up, and
how people met are called.
"""

from __future__ import annotations

import re

ONSITE, PHONE, ONLINE, MESSAGE = "onsite", "phone", "online", "message"

_EN = r"(?<![A-Za-z])"
_EN_END = r"(?![A-Za-z])"
_RU = r"(?<![А-Яа-яЁё])"
_RU_END = r"(?![А-Яа-яЁё])"

# How the contact was made; the first word found outside the follow-up decides.
KIND_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (
        MESSAGE,
        re.compile(
            r"微信|短信|发消息|发信息|留言|企业微信|飞书消息|邮件|邮箱"
            rf"|{_EN}(?:wechat|whatsapp|line|texted|text(?:ed)?|sms|e-?mail(?:ed)?|messaged|message"
            rf"|telegram(?:med)?|dm(?:ed)?){_EN_END}"
            rf"|{_RU}(?:написал[аи]?|ватсап|вотсап|whatsapp|телеграм|сообщени[ея]|смс|письмо)",
            re.IGNORECASE,
        ),
    ),
    (
        ONLINE,
        re.compile(
            r"视频|视讯|线上|腾讯会议|钉钉|网络会议|网路会议|远程会议"
            rf"|{_EN}(?:zoom(?:ed)?|teams|video|online|webex|google\s+meet|virtual){_EN_END}"
            rf"|{_RU}(?:видео\w*|онлайн|зум){_RU_END}",
            re.IGNORECASE,
        ),
    ),
    (
        PHONE,
        re.compile(
            r"电话|来电|致电|打给|通话"
            rf"|{_EN}(?:call(?:ed|ing)?|phon(?:e|ed|ing)|rang|ring(?:ing)?){_EN_END}"
            rf"|{_RU}(?:позвонил\w*|звонил\w*|созвонил\w*|позвонить|по\s+телефону|созвон"
            rf"|дозвонил\w*|дозвониться){_RU_END}",
            re.IGNORECASE,
        ),
    ),
    (
        ONSITE,
        re.compile(
            r"拜访|走访|上门|现场|面谈|见面|到访|来公司|去了|吃饭"
            rf"|{_EN}(?:visit(?:ed)?|on\s*site|in\s+person|dropped\s+by|went\s+to|walkthrough){_EN_END}"
            rf"|{_RU}(?:визит|был[аи]?|посетил[аи]?|заехал[аи]?|встреча|съездил[аи]?){_RU_END}",
            re.IGNORECASE,
        ),
    ),
]

# Words that ask for a later contact: with them a date is the follow-up, and the message tells
# of a contact that happened (one follows up on something).
FOLLOWUP = re.compile(
    r"跟进|回访|回复|答复|再(?:联系|联络|约|来|去|谈|打|催|说|问|看|沟通|聊|发|寄|送|跟|见|过去|确认"
    r"|上门|拜访|访|电话)"
    r"|下次(?:拜访|再)"
    rf"|{_EN}(?:follow[\s-]?up|call\s+(?:them\s+|him\s+|her\s+)?back|check\s+back|circle\s+back"
    rf"|touch\s+base|revisit|next\s+steps?|get\s+back){_EN_END}"
    rf"|{_RU}(?:перезвонить|перезвоню|созвониться|связаться|свяжусь|напомнить|вернуться){_RU_END}",
    re.IGNORECASE,
)

# Words that tell the contact happened: a verb done (了, 过, visited, был), someone's words
# (说, said, хочет), an outcome (满意, ok). 约了 and 为了 do not count, nor 要 before a move (要去).
DONE = re.compile(
    r"(?<![约为除])了(?![没吗么])|(?<=[聊谈见去来打问说看试用])过(?![去来年节])|已|刚|完(?!成)"
    r"|说|讲|表示|反馈|觉得|认为|同意|答应|拍板|满意|确认|收到|通过|没问题|没意见|不需要|需要|希望"
    r"|关心|犹豫|问|来电|没人接|没空|不在|都在|想(?![去来])|要(?![去来给打见拜约])|盖章|付了|收了"
    r"|反映|抱怨|投诉|不满|太贵|有意见|出差|没打通|没见到|没去成|关门|透露|嫌"
    rf"|{_EN}(?:visited|met|called|phoned|rang|talked|spoke|discussed|saw|went|had|signed|said|says"
    rf"|agreed|wants?|needs?|asked|emailed|texted|messaged|happy|ok|okay|approved|loves?|liked?"
    rf"|busy|not\s+in|dropped|stopped|reviewed|confirmed|decided|they|he|she|we|got|gave|showed"
    rf"|paid|received|ordered|declined|refused|interested|[a-z]{{3,}}ed){_EN_END}"
    rf"|{_RU}(?:[а-яё]{{2,}}(?:л|ла|ли|лся|лась|лись)|соглас\w*|хоч\w+|хот\w+|прос\w+|доволен"
    rf"|говор\w+|отменен[аo]?|не\s+застал\w*"
    rf"|довольн\w*|жду|ждёт|ждет){_RU_END}",
    re.IGNORECASE,
)
# What someone wants done, or the purpose of a planned contact (明天给宏达五金打电话问回款,
# 下周一去金桥物业问问, call Acme tomorrow to ask): a deed only when no date ahead comes first.
WEAK_DEED = re.compile(
    r"问|确认|要(?![去来给打见拜约])|需要|想(?![去来])|希望|盖章|讲|关心|把[^，,。\s]{1,8}了"
    rf"|{_EN}(?:asks?|wants?|needs?|confirm){_EN_END}",
    re.IGNORECASE,
)
# -ed words that are plans, not deeds.
NOT_DONE = re.compile(
    rf"{_EN}(?:scheduled|rescheduled|planned|booked|arranged|supposed|need\s+to|moved\s+to"
    rf"|postponed|pushed\s+(?:back\s+)?to){_EN_END}",
    re.I,
)

# People met: a surname with a title (王总, 李经理), or a role (校长, 老板娘, owner, директор).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤欧"
)
_TITLES = (
    "董事长|总经理|副总|总监|经理|主任|科长|处长|部长|所长|厂长|局长|院长|园长|校长|书记|主管|"
    "老师|医生|协理|襄理|课长|店长|组长|会计|工程师|师傅|先生|女士|小姐|老板娘|老板|总|工|董"
)
_ROLES = (
    "老板娘|老板|校长|院长|园长|厂长|店长|总经理|经理|主任|前台|店员|会计|出纳|财务|"
    "安全员|技术员|工程师|负责人|秘书|助理|董事长|处长|科长|组长|站长|所长|馆长"
)
_QUALIFIER = (
    "采购|物业|仓库|后勤|销售|技术|财务|项目|工程|设备|行政|人事|市场|大堂|客房|前厅|生产|副"
    r"|(?![跟和与同给找见对约])[\u4e00-\u9fff]{1,3}[部办科处室组]"  # 工程部经理, 院办主任
)
ZH_PERSON = re.compile(
    rf"(?P<name>[{_SURNAMES}](?:{_TITLES})|[小老][{_SURNAMES}](?![板])"
    rf"|(?:{_QUALIFIER})?(?:{_ROLES}))"
)
# 老板不在, 经理出差了: named, but not met.
ZH_ABSENT = re.compile(
    r"\s*(?:在?开会\s*)?(?:不在|没在|出差|没来|休假|请假|没见到|没见着|没遇到|不让进"
    r"|打[^\s，,]{0,4}电话\s*都?没(?:打通|人接|接)|电话\s*都?没(?:打通|人接|接))"
)
# 没见到陈科长: named, but not met.
ZH_NOT_MET_BEFORE = re.compile(r"没(?:见到|见着|遇到|找到|碰到)\s*$")

_EN_ROLE = (
    r"(?:(?:front\s+desk|purchasing|farm|mall|store|general|site|office|shop|account|project"
    r"|sales|plant|operations|ops|finance|hr|it|procurement|maintenance|facilities)\s+)?"
    r"(?:manager|mgr|director)|owner|principal|receptionist|gm"
    r"|accountant|buyer|engineer|ceo|cfo|coo|cto|founder|headmaster|head\s+teacher|chef"
)
EN_PERSON = re.compile(
    rf"{_EN}(?P<name>(?:Mr|Ms|Mrs|Miss|Dr|Prof)\.?\s+[A-Z][a-z]+|(?:{_EN_ROLE})){_EN_END}",
    re.IGNORECASE,
)
# A first name after a meeting word (met Tom, called Jack, with Tom) or before a deed (Tom said).
EN_NAME_AFTER = re.compile(
    rf"{_EN}(?:met(?:\s+with)?|called|phoned|with|saw|texted|emailed|call)\s+"
    rf"(?P<name>[A-Z][a-z]{{1,15}})(?:\s*(?:,|and|&)\s*(?P<name2>[A-Z][a-z]{{1,15}}))?{_EN_END}"
)
EN_NAME_BEFORE = re.compile(
    rf"{_EN}(?P<name>[A-Z][a-z]{{1,15}})\s+(?:said|says|emailed|called|wants|agreed|replied|texted)"
    rf"{_EN_END}"
)
EN_NOT_NAME = {
    "the", "they", "we", "he", "she", "it", "i", "and", "then", "today", "tomorrow", "yesterday",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "meeting",
    "visited", "called", "met", "owner", "manager", "them", "him", "her", "us", "me",
}  # fmt: skip
RU_PERSON = re.compile(
    rf"{_RU}(?P<name>(?:главн\w+\s+)?(?:директор|управляющ|инженер|бухгалтер|прораб|менеджер"
    rf"|владел[еь]ц|руководител|начальник|завхоз|администратор)[а-яё]*){_RU_END}",
    re.IGNORECASE,
)

# A deed a date can follow and still tell when it happened: "visited on Monday", "был в среду".
VISIT_DEED = re.compile(
    rf"{_EN}(?:visited|met|called|phoned|saw|went|dropped\s+by|stopped\s+by)(?:\s+(?:on|last))?\s*$"
    rf"|{_RU}(?:был[аи]?|посетил[аи]?|заезжал[аи]?|звонил[аи]?|встречал(?:ся|ась|ись))\s+(?:в|во)?\s*$"
    r"|(?:拜访了?|去了|见了|打了电话)\s*$",
    re.IGNORECASE,
)
