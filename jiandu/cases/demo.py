# ruff: noqa: E501 - the demo's texts are data, kept one per line
"""The demo case of docs/case.md, loaded through the same actions an editor uses.

Facts, sources and conflicts are those of docs/case.md. Where the reports give no time
of day, none is invented, except for the two ends of the reported "63 hours" (publication on
20 November, removal on 23 November 2012), which the encyclopedia gives to the hour: the hours
recorded here are reconstructed from that span and say so. The evidence image is synthetic,
drawn here with Pillow.
"""

import io
from datetime import datetime

from django.apps import apps
from django.db import transaction
from PIL import Image, ImageDraw, ImageFilter

from jiandu.accounts import actions as accounts_actions
from jiandu.accounts.models import User
from jiandu.cases import actions
from jiandu.cases.metrics import local_zone
from jiandu.cases.models import Case, EventType, Person, PersonRole, VerificationStatus

SLUG = "chongqing-lei-zhengfu"


def _at(year: int, month: int = 1, day: int = 1, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=local_zone())


def _member(username: str, role: str) -> User:
    """A member who cannot sign in (no usable password, deactivated once the demo is loaded):
    the demo's author and reviewer of record."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = accounts_actions.do_create_member(username, role).user
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def synthetic_frame() -> bytes:
    """A generated stand-in for the published screenshots: shapes and a label, no person."""
    image = Image.new("RGB", (960, 540), (52, 60, 68))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 920, 500), outline=(210, 205, 195), width=3)
    for i in range(8):
        draw.rectangle(
            (80 + i * 100, 300 - i * 20, 150 + i * 100, 460), fill=(90 + i * 12, 96, 104)
        )
    blurred = image.crop((560, 90, 880, 260)).filter(ImageFilter.GaussianBlur(12))
    image.paste(blurred, (560, 90))
    draw.text((70, 70), "JIANDU DEMO - SYNTHETIC FRAME", fill=(250, 246, 238))
    draw.text((70, 95), "generated image, not from the case", fill=(220, 214, 204))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@transaction.atomic
def load_demo_case() -> str:
    if Case.objects.filter(slug=SLUG).exists():
        return "the Chongqing case is already loaded"
    writer = _member("demo-writer", "journalist")
    # Two editors, as the two-person rule needs: one attaches the evidence (which makes them
    # one of the case's editors, barred from publishing it), the other reviews and publishes.
    desk = _member("demo-desk-editor", "editor")
    editor = _member("demo-editor", "editor")

    lei = actions.do_create_person(
        writer,
        slug="lei-zhengfu",
        name_zh="雷政富",
        name_en="Lei Zhengfu",
        summary_zh="重庆市北碚区委原书记。2012年11月因不雅视频被免职，后以受贿罪被判处有期徒刑13年，2024年1月25日刑满释放。",
        summary_en="Former Party secretary of Beibei district, Chongqing. Removed in November 2012 after a sex tape was published; later sentenced to 13 years for bribery; released on 25 January 2024.",
    )
    actions.do_add_position(
        writer,
        lei,
        title_zh="区委书记",
        title_en="Party secretary",
        organisation_zh="中共重庆市北碚区委员会",
        organisation_en="Beibei District Committee of the Communist Party",
        place_zh="重庆市北碚区",
        place_en="Beibei district, Chongqing",
        end=_at(2012, 11, 23).date(),
        end_precision="day",
    )
    zhu = actions.do_create_person(
        writer,
        slug="zhu-ruifeng",
        name_zh="朱瑞峰",
        name_en="Zhu Ruifeng",
        summary_zh="北京的公民记者，举报网站“人民监督网”的创办人。",
        summary_en='Beijing citizen journalist who runs the whistle-blowing site "Supervision by the People" (also rendered "People Supervision Net" and "Civil Supervision").',
    )
    actions.do_add_position(
        writer,
        zhu,
        title_zh="创办人",
        title_en="Founder",
        organisation_zh="人民监督网",
        organisation_en="Supervision by the People",
        place_zh="北京",
        place_en="Beijing",
    )
    wang = actions.do_create_person(
        writer,
        slug="wang-lijun",
        name_zh="王立军",
        name_en="Wang Lijun",
        summary_zh="时任重庆市公安局局长。",
        summary_en="Chongqing's police chief at the time.",
    )
    actions.do_add_position(
        writer,
        wang,
        title_zh="公安局局长",
        title_en="Police chief",
        organisation_zh="重庆市公安局",
        organisation_en="Chongqing Public Security Bureau",
        place_zh="重庆",
        place_en="Chongqing",
        end=_at(2012).date(),
        end_precision="year",
    )

    case = actions.do_create_case(
        writer,
        slug=SLUG,
        title_zh="重庆北碚区委书记雷政富不雅视频案",
        title_en="Chongqing: the Beibei district sex-tape case (Lei Zhengfu)",
        summary_zh="一名房地产开发商雇用年轻女子引诱区县官员并偷拍，以此勒索工程合同。视频在警方手中搁置三年，直到一名重庆公安内部人士把视频交给北京公民记者朱瑞峰。2012年11月20日朱瑞峰发布截图和36秒片段；63小时后，重庆市确认视频中人为北碚区委书记雷政富，并将其免职。",
        summary_en="A property developer hired young women to seduce district officials and secretly filmed them, to extort construction contracts. The tapes sat with the police for three years until an insider of the Chongqing public-security bureau handed them to Beijing citizen journalist Zhu Ruifeng. Zhu published screenshots and a 36-second clip on 20 November 2012; 63 hours later Chongqing confirmed that the man was Lei Zhengfu, Party secretary of Beibei district, and removed him.",
        allegations_zh="雷政富与开发商安排的女子发生性关系并被偷拍；其后多年受贿逾310万元。录像中的其他官员未受处分，部分获得提拔。",
        allegations_en="Lei Zhengfu was filmed with a woman the developer had hired; over the years he took more than 3.1 million yuan (about US$500,000) in bribes. Other officials on the tapes went unpunished for years; some were promoted.",
    )
    # The desk editor attaches the evidence; whoever changed the case since its last
    # publication may not publish it, so the writer and the desk editor are both barred and
    # the editor, who changed nothing, reviews and publishes.
    # Published through a render record of the redaction studio, like any evidence; the
    # studio is reached through its AppConfig (this room does not import it).
    studio = apps.get_app_config("redaction")
    studio.publish_newsroom_still(  # type: ignore[attr-defined]  # redaction's own AppConfig
        desk,
        case,
        synthetic_frame(),
        VerificationStatus.UNVERIFIED,
        caption_zh="合成的演示图片，代表朱瑞峰发布的截图（程序生成，并非案件素材）。",
        caption_en="Synthetic demo image standing in for the screenshots Zhu published (generated, not from the case).",
        verification_note="程序生成，仅供演示。 Generated for the demo.",
    )
    actions.do_link_person(
        writer, case, lei, PersonRole.SUBJECT, "视频中的官员", "The official on the tape"
    )
    actions.do_link_person(
        writer, case, zhu, PersonRole.JOURNALIST, "发布视频的公民记者", "Published the clip"
    )
    actions.do_link_person(
        writer,
        case,
        wang,
        PersonRole.OTHER,
        "2009年接到雷政富报案",
        "Received Lei's report in 2009",
    )

    def cite(outlet: str, url: str = "", quote: str = "") -> object:
        return actions.do_add_citation(writer, case, outlet=outlet, url=url, quote=quote)

    rfa = cite("Radio Free Asia")
    scmp = cite("South China Morning Post")
    xinhua = cite("Xinhua", quote="three days after")
    cdt = cite("China Digital Times (digest of the Global Times)")
    wiki = cite(
        "Encyclopedia article",
        url="https://en.wikipedia.org/wiki/Lei_Zhengfu",
        quote="63 hours",
    )

    def event(
        type_: str,
        at: datetime,
        precision: str,
        zh: str,
        en: str,
        cites: list,
        people: list | tuple = (),
    ) -> None:
        actions.do_add_event(
            writer,
            case,
            type=type_,
            occurred_at=at,
            precision=precision,
            description_zh=zh,
            description_en=en,
            citations=list(cites),
            people=list(people),
        )

    event(
        EventType.BACKGROUND,
        _at(2007),
        "year",
        "一名房地产开发商雇用18至20岁的年轻女子（报酬约48美元）引诱区县官员并偷拍，以勒索工程合同。其中一盘录像拍到后来任北碚区委书记的雷政富。",
        "A property developer hires young women (aged 18 to 20, paid about US$48) to seduce district officials and secretly films the encounters, to extort construction contracts. One tape shows Lei Zhengfu, later Party secretary of Beibei district.",
        [scmp, rfa, wiki],
        [lei],
    )
    event(
        EventType.BACKGROUND,
        _at(2009),
        "year",
        "开发商以录像施压索要合同。雷政富向时任公安局长王立军报案；开发商被判刑一年，女子被拘留一个月。警方搜查开发商住所，查获至少另外五名官员的录像。录像中的人无一受罚，有人获得提拔。",
        "The developer uses the tape to press for contracts. Lei reports it to police chief Wang Lijun; the developer is jailed for a year, the woman detained for a month. Tapes of at least five more officials are seized in a raid on the developer's home. Nobody on the tapes is punished; some are promoted.",
        [scmp, xinhua],
        [lei, wang],
    )
    event(
        EventType.EVIDENCE_HANDED_OVER,
        _at(2012, 11, 4),
        "day",
        "一名重庆公安内部人士把录像（雷政富的两段共80分钟、另外五名官员的录像及审讯笔录）交给朱瑞峰。",
        "An insider of the Chongqing public-security bureau hands the tapes (two clips of Lei totalling 80 minutes, five other officials, and interrogation notes) to Zhu Ruifeng.",
        [scmp],
        [zhu],
    )
    event(
        EventType.EVIDENCE_PUBLISHED,
        _at(2012, 11, 20, 19),
        "hour",
        "朱瑞峰发布截图和一段36秒的片段（而非80分钟全片），标题为“不雅视频中的雷书记”。（钟点据百科所载“63小时”倒推。）",
        'Zhu publishes screenshots and a 36-second clip, not the 80 minutes, titled "Lei, the secretary who accepts sex bribes". (Hour reconstructed from the 63 hours the encyclopedia reports.)',
        [wiki, rfa],
        [zhu, lei],
    )
    event(
        EventType.SPREAD_ONLINE,
        _at(2012, 11, 20),
        "day",
        "一名前记者在微博转发，视频在新浪微博上迅速传播；网站点击量超过2000万。",
        "A former journalist reposts it on his microblog; it goes viral on Sina Weibo; the site gets more than 20 million hits.",
        [wiki, rfa],
    )
    event(
        EventType.DENIAL,
        _at(2012, 11, 21),
        "day",
        "雷政富称视频是“欺骗性的”。（报道所记时间在11月20日至23日之间。）",
        'Lei calls the video "deceitful". (Reported between 20 and 23 November.)',
        [wiki],
        [lei],
    )
    event(
        EventType.AUTHORITIES_VERIFYING,
        _at(2012, 11, 21),
        "day",
        "重庆市纪委表示正在核实视频。（报道所记时间在11月20日至23日之间。）",
        "The city's discipline commission says it is verifying the video. (Reported between 20 and 23 November.)",
        [wiki],
    )
    event(
        EventType.CONFIRMED,
        _at(2012, 11, 23, 10),
        "hour",
        "发布63小时后，重庆市确认视频中人为雷政富。",
        "63 hours after publication, the Chongqing government confirms that the man is Lei.",
        [wiki, xinhua],
        [lei],
    )
    event(
        EventType.REMOVED,
        _at(2012, 11, 23, 10),
        "hour",
        "雷政富被免去北碚区委书记职务。新华社称是在视频发布“三天后”。",
        'Lei is removed from his post as Party secretary of Beibei. Xinhua puts it "three days after" publication.',
        [wiki, xinhua],
        [lei],
    )
    event(
        EventType.STILL_IN_POST,
        _at(2012, 11, 26),
        "day",
        "朱瑞峰说他还握有另外五名高级干部的视频，其中四人仍在职。",
        "Zhu says he holds videos of five more senior cadres; four are still in post.",
        [scmp, rfa],
        [zhu],
    )
    event(
        EventType.THREAT,
        _at(2012, 11, 26),
        "day",
        "朱瑞峰收到死亡威胁，向北京警方请求保护。",
        "Zhu has received death threats and asks Beijing police for protection.",
        [scmp, rfa],
        [zhu],
    )
    event(
        EventType.SOURCE_DETAINED,
        _at(2012, 11),
        "month",
        "重庆警方跨省前来抓捕内部知情人（两名警员，另有九名警员和四辆车配合）；知情人躲藏，另一名知情人沉默。朱瑞峰说有网络水军攻击他。（报道所记时间为2012年11月或12月。）",
        "Chongqing police come to detain the insider across provincial lines (two officers, with nine officers and four vehicles in support); the source goes into hiding and a second insider falls silent. Zhu says paid commentators attack him online. (Reported as November or December 2012.)",
        [rfa],
        [zhu],
    )
    event(
        EventType.DEMAND_FOR_ORIGINALS,
        _at(2013, 1),
        "month",
        "警方索要其余视频和原始文件；谈了七个小时后朱瑞峰拒绝，以保护消息来源，并说发布前需要时间鉴定其余视频。一名律师说并不存在“隐匿证据罪”。",
        "Police demand the remaining videos and the original files; Zhu refuses after seven hours of talks, to protect his source, and says he needs time to authenticate the rest before publishing. A lawyer says there is no crime of withholding evidence.",
        [cdt],
        [zhu],
    )
    event(
        EventType.REMOVED,
        _at(2013, 1),
        "month",
        "重庆又免去10名官员（区委书记、区长、国企高管）职务，并打掉敲诈团伙；后来的报道称共11人。",
        "Chongqing removes 10 more officials (district Party chiefs, governors, state-company executives) and breaks up the extortion ring; later reports say 11 in all.",
        [xinhua, cdt],
    )

    def claim(zh: str, en: str, versions: list[tuple]) -> None:
        c = actions.do_add_claim(writer, case, question_zh=zh, question_en=en)
        for (value_zh, value_en), s_zh, s_en, by_zh, by_en, cites in versions:
            actions.do_add_claim_version(
                writer,
                c,
                value_zh=value_zh,
                value_en=value_en,
                statement_zh=s_zh,
                statement_en=s_en,
                claimed_by_zh=by_zh,
                claimed_by_en=by_en,
                citations=cites,
            )

    claim(
        "雷政富之外还有多少名官员牵涉其中并被免职？",
        "How many more officials were on the tapes and removed?",
        [
            (
                ("5", "5"),
                "查获的录像中至少还有另外五名官员；朱瑞峰说他握有另外五名高级干部的视频。",
                "Tapes of at least five more officials; Zhu says he holds videos of five more senior cadres.",
                "朱瑞峰（2012年11月）",
                "Zhu Ruifeng (November 2012)",
                [scmp, rfa],
            ),
            (
                ("10", "10"),
                "重庆又免去10名官员。",
                "Chongqing removes 10 more officials.",
                "新华社（2013年1月）",
                "Xinhua (January 2013)",
                [xinhua, cdt],
            ),
            (
                ("11", "11"),
                "后来的报道称共有11人。",
                "Later reports say 11 in all.",
                "后来的报道",
                "Later reports",
                [cdt],
            ),
        ],
    )
    claim(
        "录像是谁交出来的？",
        "Who handed over the tapes?",
        [
            (
                ("警方内部人士", "A police insider"),
                "重庆公安内部人士；朱瑞峰说七段视频中六段来自这名内部人士。",
                "An insider of the Chongqing public-security bureau; Zhu says six of his seven videos came from the insider.",
                "朱瑞峰",
                "Zhu Ruifeng",
                [scmp, cdt],
            ),
            (
                ("团伙成员", "A member of the ring"),
                "敲诈团伙的一名成员；朱瑞峰说七段中有一段来自团伙成员。",
                "A member of the extortion ring; Zhu says one of his seven videos came from a member of the ring.",
                "警方",
                "The police",
                [cdt],
            ),
        ],
    )
    claim(
        "发布后多久雷政富被免职？",
        "How long after publication was Lei removed?",
        [
            (
                ("63小时", "63 hours"),
                "视频发布63小时后。",
                "63 hours after the video was published.",
                "百科条目",
                "Encyclopedia article",
                [wiki],
            ),
            (
                ("三天", "Three days"),
                "视频发布“三天后”。",
                '"Three days after" the video was published.',
                "新华社",
                "Xinhua",
                [xinhua],
            ),
        ],
    )

    actions.do_submit_for_review(
        writer,
        case,
        {
            "zh": "首次发布：时间线、消息来源与相互矛盾的说法。",
            "en": "First publication: timeline, sources and conflicting claims.",
        },
    )
    actions.do_publish_case(editor, case)

    # A second revision, as the story went on: the sentence and the release.
    event(
        EventType.SENTENCED,
        _at(2013),
        "year",
        "雷政富因受贿逾310万元（约50万美元）被判处有期徒刑13年。",
        "Lei is sentenced to 13 years for taking more than 3.1 million yuan (about US$500,000) in bribes.",
        [wiki],
        [lei],
    )
    event(
        EventType.RELEASED,
        _at(2024, 1, 25),
        "day",
        "雷政富刑满释放。",
        "Lei is released from prison.",
        [wiki],
        [lei],
    )
    actions.do_submit_for_review(
        writer,
        case,
        {"zh": "补充判决与2024年获释。", "en": "Added the sentence and the 2024 release."},
    )
    actions.do_publish_case(editor, case)
    User.objects.filter(pk__in=[writer.pk, desk.pk, editor.pk]).update(is_active=False)
    return f"published the Chongqing case ({Person.objects.count()} people)"
