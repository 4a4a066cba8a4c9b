"""Traditional Chinese read by the Simplified grammars: 下週二下午三點 is matched as 下周二下午三点.

The date grammar (crm.date_*) and the visit-report rules (visit_text*) spell their words in
Simplified characters. Folding a text character by character, before matching, lets them read
Traditional too; the fold keeps every character's position, so what a match found is cut from
the text as typed (a customer typed 華能電廠 stays 華能電廠).

The table holds only the characters those rules use; tools/zh_fold_table.py makes it again.
"""

from __future__ import annotations

_PAIRS = (
    "萬万與与兩两嚴严個个爲为為为書书於于們们價价會会餘余關关馮冯準准劃划劉刘剛刚華华盧卢廠厂壓压參参變变葉叶號号喫吃後后呂吕吳吴週周場场處处備备復复孫孙實实對对導导"
    "師师並并應应開开張张總总戶户報报時时來来楊杨樣样歐欧匯汇湯汤溝沟沒没點点現现電电監监確确禮礼稱称簽签籤签約约線线紹绍經经給给絡络網网羅罗聯联騰腾蘇苏範范蔣蒋見见"
    "觀观視视覺觉計计認认討讨議议訊讯記记講讲許许論论訪访話话說说説说談谈謝谢譚谭賀贺賈贾趙赵蹤踪過过還还這这進进鄧邓鄒邹鄭郑裏里裡里針针釘钉鐘钟鍾钟錢钱長长門门閆闫"
    "問问間间陸陆陳陈韋韦韓韩顧顾預预領领頻频題题飛飞饋馈馬马黃黄龍龙龔龚"
    # The reader's words (crm.language.reading_words): 林協理, 老闆, 回覆, 對帳, 醫生, 訊息.
    "協协闆板覆复帳账醫医訊讯息息簡简貴贵滿满隊队員员護护財财務务勞劳"
    # Purchasing, holidays and the day after next (採購經理, 節後, 過兩天), a missed call (沒打通).
    "採采購购節节門门試试較较"
)
FOLD = str.maketrans(_PAIRS[0::2], _PAIRS[1::2])


def fold(text: str) -> str:
    """The text with the Traditional characters of our grammars' words made Simplified."""
    return text.translate(FOLD)
