"""A small seeded corp: staff, and customers with followers, remarks, tags and add ways."""

import hashlib

from sidebar.standin.corp import StandinCorp

# The corp tag library (企业标签), by group, in the order the admin console shows them.
CORP_TAGS = {
    "客户等级": ["重要客户", "续费意向", "普通客户", "潜在客户"],
    "来源": ["展会", "转介绍", "官网", "广告投放"],
    "意向产品": ["企业版", "专业版", "基础版"],
}


def tag_id(group: str, name: str) -> str:
    """The id WeCom gave a corp tag of CORP_TAGS (ASCII, like WeCom's `et…` ids); a tag
    outside the library (a test's own) gets an id made from its name."""
    if name in CORP_TAGS.get(group, ()):
        return f"etStandinTag{list(CORP_TAGS).index(group)}{CORP_TAGS[group].index(name):02d}"
    digest = hashlib.sha256(f"{group}/{name}".encode()).hexdigest()[:16]
    return f"etStandinOther{digest}"


def tag_library() -> list[dict]:
    """CORP_TAGS as get_corp_tag_list answers it (a larger `order` sorts first)."""
    groups = []
    for g, (group, names) in enumerate(CORP_TAGS.items()):
        groups.append(
            {
                "group_id": f"etStandinGroup{g}",
                "group_name": group,
                "create_time": 1700000000,
                "order": len(CORP_TAGS) - g,
                "tag": [
                    {
                        "id": tag_id(group, name),
                        "name": name,
                        "create_time": 1700000000,
                        "order": len(names) - t,
                    }
                    for t, name in enumerate(names)
                ],
            }
        )
    return groups


def personal_tag(name: str) -> dict:
    """A tag the staff member made up in the client (type 2): WeCom gives it no tag_id."""
    return {"group_name": "", "tag_name": name, "type": 2}


def _follower(
    userid,
    *,
    remark="",
    description="",
    tags=(),
    personal=(),
    add_way=1,
    createtime=1700000000,
    **extra,
):
    entry = {
        "userid": userid,
        "remark": remark,
        "description": description,
        "createtime": createtime,
        "tags": [
            {"group_name": group, "tag_name": name, "tag_id": tag_id(group, name), "type": 1}
            for group, name in tags
        ]
        + [personal_tag(name) for name in personal],
        "add_way": add_way,
        "oper_userid": userid,
    }
    entry.update(extra)
    return entry


def seeded_corp(**overrides) -> StandinCorp:
    corp = StandinCorp(**overrides)
    corp.tag_groups = tag_library()
    corp.staff = {
        "zhangsan": {"name": "张三"},
        "lisi": {"name": "李四"},
        "wangwu": {"name": "王五"},
    }
    corp.contacts = {
        "wmChenXiaoMing0001": {
            "external_contact": {
                "external_userid": "wmChenXiaoMing0001",
                "name": "陈小明",
                "avatar": "/avatar/wmChenXiaoMing0001.svg",
                "type": 1,
                "gender": 1,
            },
            "follow_user": [
                _follower(
                    "zhangsan",
                    remark="陈先生（老客户）",
                    description="关注企业版续费",
                    tags=[("客户等级", "重要客户"), ("客户等级", "续费意向"), ("来源", "展会")],
                    personal=["爱喝茶"],
                    remark_corp_name="小明贸易",
                    remark_mobiles=["13800000001"],
                    add_way=1,
                    state="展会二维码",
                    createtime=1704067200,
                ),
                _follower("lisi", remark="小明", add_way=3, createtime=1706745600),
            ],
        },
        "woZhouJianGuo0002": {
            "external_contact": {
                "external_userid": "woZhouJianGuo0002",
                "name": "周建国",
                "position": "采购经理",
                "avatar": "/avatar/woZhouJianGuo0002.svg",
                "corp_name": "远景机械",
                "corp_full_name": "远景机械制造有限公司",
                "type": 2,
                "gender": 1,
                "external_profile": {
                    "external_attr": [
                        {"type": 0, "name": "部门", "text": {"value": "采购部"}},
                        {
                            "type": 1,
                            "name": "官网",
                            "web": {"url": "https://www.example.com", "title": "远景机械官网"},
                        },
                        {
                            "type": 2,
                            "name": "订货",
                            "miniprogram": {
                                "appid": "wx8bd80126147df384",
                                "pagepath": "/index",
                                "title": "远景订货小程序",
                            },
                        },
                    ]
                },
            },
            "follow_user": [
                _follower("zhangsan", remark="周部长", description="对接采购事务", add_way=2),
                _follower("wangwu", remark="周总", add_way=202),
            ],
        },
        "wmOnlyLiSiFollows03": {
            "external_contact": {
                "external_userid": "wmOnlyLiSiFollows03",
                "name": "赵六",
                "type": 1,
                "gender": 2,
            },
            "follow_user": [_follower("lisi", remark="赵女士", tags=[("来源", "转介绍")])],
        },
    }
    return corp


# The emulator's larger corp -------------------------------------------------------------

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
_COMPANIES = ["星河科技", "远航物流", "青禾食品", "蓝海贸易", "晨光教育", "恒信建材"]
_ADD_WAYS = [0, 1, 2, 3, 4, 5, 6, 9, 10, 201, 202]
_REMARKS = ["老客户", "需要回访", "价格敏感", "决策人", "对接人", "试用中"]
_DESCRIPTIONS = ["关注续费优惠", "询问集成方案", "下季度有采购计划", "希望安排演示", ""]


def add_followers(corp: StandinCorp, external_userid: str, count: int, *, prefix="staff") -> list:
    """`count` more staff members (`staff00`, `staff01`, …, named 员工00, …) who all follow
    the customer, as their first follower does: for load tests where many people open one
    customer. Their userids."""
    follow_user = corp.contacts[external_userid]["follow_user"]
    userids = [f"{prefix}{number:02d}" for number in range(count)]
    for number, userid in enumerate(userids):
        corp.staff[userid] = {"name": f"员工{number:02d}"}
        follow_user.append({**follow_user[0], "userid": userid, "oper_userid": userid})
    return userids


def _generated_customers(rng, staff: dict, count: int) -> dict:
    """`count` customers followed by some of `staff`, each with a name no one else has (a
    customer named like a colleague would make a demo misleading)."""
    customers = {}
    staff_ids = list(staff)
    taken = {person["name"] for person in staff.values()}
    for n in range(count):
        is_wechat = rng.random() < 0.7
        external_userid = ("wm" if is_wechat else "wo") + f"Demo{n:04d}" + "x" * 10
        name = ""
        while not name or name in taken:
            name = rng.choice(_SURNAMES) + "".join(
                rng.choice(_GIVEN) for _ in range(rng.randint(1, 2))
            )
        taken.add(name)
        contact = {
            "external_userid": external_userid,
            "name": name,
            "avatar": f"/avatar/{external_userid}.svg",
            "type": 1 if is_wechat else 2,
            "gender": rng.choice([0, 1, 2]),
        }
        if not is_wechat:
            company = rng.choice(_COMPANIES)
            contact.update(
                corp_name=company,
                corp_full_name=f"{company}有限公司",
                position=rng.choice(["经理", "采购主管", "总监", "工程师"]),
                external_profile={
                    "external_attr": [{"type": 0, "name": "部门", "text": {"value": "采购部"}}]
                },
            )
        followers = rng.sample(staff_ids, rng.randint(1, min(4, len(staff_ids))))
        follow_user = []
        for userid in followers:
            tags = [(g, rng.choice(names)) for g, names in CORP_TAGS.items() if rng.random() < 0.7]
            extra = {}
            if rng.random() < 0.5:
                extra["remark_mobiles"] = [
                    f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}"
                ]
            if rng.random() < 0.3:
                extra["state"] = rng.choice(["展会二维码", "官网活码", "门店海报"])
            if rng.random() < 0.4:
                extra["remark_corp_name"] = rng.choice(_COMPANIES)
            follow_user.append(
                _follower(
                    userid,
                    remark=f"{name}（{rng.choice(_REMARKS)}）",
                    description=rng.choice(_DESCRIPTIONS),
                    tags=tags,
                    add_way=rng.choice(_ADD_WAYS),
                    createtime=1672531200 + rng.randint(0, 3 * 365 * 86400),
                    **extra,
                )
            )
        customers[external_userid] = {"external_contact": contact, "follow_user": follow_user}
    return customers


def _group(chat_id, name, owner, *, staff, customers, admins=(), notice=""):
    members = []
    for i, userid in enumerate([owner, *staff]):
        members.append(
            {
                "userid": userid,
                "type": 1,
                "join_time": 1700000000 + i * 60,
                "join_scene": 1,
                "group_nickname": "",
            }
        )
    for i, (external_userid, nickname) in enumerate(customers):
        members.append(
            {
                "userid": external_userid,
                "type": 2,
                "join_time": 1700003600 + i * 60,
                "join_scene": [1, 2, 3][i % 3],
                "invitor": {"userid": owner},
                "group_nickname": nickname,
                "name": nickname,
            }
        )
    return {
        "chat_id": chat_id,
        "name": name,
        "owner": owner,
        "create_time": 1700000000,
        "notice": notice,
        "member_list": members,
        "admin_list": [{"userid": a} for a in admins],
        "member_version": "71217227bbd112ecfe3a49c482195cb4",
    }


def grow_group(corp: StandinCorp, chat_id: str, members: int) -> None:
    """`chat_id`'s group grown to `members` (WeCom's most is 2,000) with customers like its
    first, each with a nickname of its own."""
    group = corp.groups[chat_id]
    customer = next(m for m in group["member_list"] if m["type"] == 2)
    for number in range(members - len(group["member_list"])):
        group["member_list"].append(
            {**customer, "userid": f"wmMember{number:05d}", "group_nickname": f"客户{number}"}
        )


def demo_corp(*, customers: int = 30, **overrides) -> StandinCorp:
    """The seeded corp plus generated customers, groups, 客服 customers and a downstream corp."""
    import random

    rng = random.Random(20261121)  # the same corp on every run
    corp = seeded_corp(**overrides)
    corp.staff.update(
        {
            "chenjing": {"name": "陈静"},
            "liuyang": {"name": "刘洋"},
            "sunli": {"name": "孙丽"},
        }
    )
    corp.contacts.update(_generated_customers(rng, corp.staff, customers))
    corp.groups = {
        "wrSalesGroup00001": _group(
            "wrSalesGroup00001",
            "销售客服群",
            "zhangsan",
            staff=["lisi"],
            customers=[("wmChenXiaoMing0001", "陈小明"), ("woZhouJianGuo0002", "周建国")],
            admins=["lisi"],
            notice="文明沟通，拒绝脏话",
        ),
        "wrVipGroup0000002": _group(
            "wrVipGroup0000002",
            "VIP 客户交流群",
            "lisi",
            staff=["wangwu", "chenjing"],
            customers=[("wmOnlyLiSiFollows03", "赵女士")],
            notice="每周五发布新品资讯",
        ),
        "wrTrainingGroup03": _group(
            "wrTrainingGroup03",
            "产品培训群",
            "wangwu",
            staff=["sunli"],
            customers=[("wmChenXiaoMing0001", "小明")],
        ),
    }
    corp.kf_customers = {
        "wmKfCustomer00001": {
            "external_userid": "wmKfCustomer00001",
            "nickname": "咨询的小王",
            "avatar": "",
            "gender": 1,
            "unionid": "oxDemoUnionid0001",
            "enter_session_context": {"scene": "website", "scene_param": "from%3Dpricing"},
        },
        "wmKfCustomer00002": {
            "external_userid": "wmKfCustomer00002",
            "nickname": "售后用户",
            "avatar": "",
            "gender": 2,
            "enter_session_context": {
                "scene": "channels",
                "scene_param": "",
                "wechat_channels": {"nickname": "示例视频号", "scene": 1},
            },
        },
    }
    corp.chain_corps = [
        {
            "corpid": "wwDownstream00001",
            "corp_name": "华东经销商",
            "agentid": 1000101,
            "contacts": [
                {"userid": "wangjingli", "name": "王经理"},
                {"userid": "zhoukuaiji", "name": "周会计"},
            ],
            "groups": [{"chat_id": "wrChainGroup00001", "name": "华东渠道协同群"}],
        }
    ]
    return corp
