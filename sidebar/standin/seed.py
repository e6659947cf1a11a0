"""A small seeded corp: staff, and customers with followers, remarks, tags and add ways."""

from sidebar.standin.corp import StandinCorp

HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'


def _follower(
    userid, *, remark="", description="", tags=(), add_way=1, createtime=1700000000, **extra
):
    entry = {
        "userid": userid,
        "remark": remark,
        "description": description,
        "createtime": createtime,
        "tags": [
            {"group_name": group, "tag_name": name, "tag_id": f"et{group}{name}", "type": 1}
            for group, name in tags
        ],
        "add_way": add_way,
        "oper_userid": userid,
    }
    entry.update(extra)
    return entry


def seeded_corp(**overrides) -> StandinCorp:
    corp = StandinCorp(**overrides)
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
                    remark_corp_name="小明贸易",
                    remark_mobiles=["13800000001"],
                    add_way=1,
                    state="展会二维码",
                    createtime=1704067200,
                ),
                _follower("lisi", remark="小明", add_way=3, createtime=1706745600),
            ],
        },
        "woLiSiCorpUser0002": {
            "external_contact": {
                "external_userid": "woLiSiCorpUser0002",
                "name": "李四",
                "position": "Manager",
                "avatar": "/avatar/woLiSiCorpUser0002.svg",
                "corp_name": "腾讯",
                "corp_full_name": "腾讯科技有限公司",
                "type": 2,
                "gender": 1,
                "external_profile": {
                    "external_attr": [
                        {"type": 0, "name": "文本名称", "text": {"value": "文本"}},
                        {
                            "type": 1,
                            "name": "网页名称",
                            "web": {"url": "http://www.test.com", "title": "标题"},
                        },
                        {
                            "type": 2,
                            "name": "测试app",
                            "miniprogram": {
                                "appid": "wx8bd80126147df384",
                                "pagepath": "/index",
                                "title": "my miniprogram",
                            },
                        },
                    ]
                },
            },
            "follow_user": [
                _follower("zhangsan", remark="李部长", description="对接采购事务", add_way=2),
                _follower("wangwu", remark="李总", add_way=202),
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
        "wmHostileMarkup0004": {
            "external_contact": {
                "external_userid": "wmHostileMarkup0004",
                "name": HOSTILE + "名字",
                "avatar": "javascript:document.title='pwned'",
                "type": 2,
                "gender": 0,
                "position": HOSTILE,
                "corp_name": HOSTILE,
                "corp_full_name": HOSTILE,
                "external_profile": {
                    "external_attr": [
                        {"type": 0, "name": HOSTILE, "text": {"value": HOSTILE}},
                        {
                            "type": 1,
                            "name": HOSTILE,
                            "web": {"url": "javascript:document.title='pwned'", "title": HOSTILE},
                        },
                    ]
                },
            },
            "follow_user": [
                _follower(
                    "zhangsan",
                    remark=HOSTILE + "备注",
                    description=HOSTILE,
                    tags=[(HOSTILE, HOSTILE + "标签")],
                    remark_corp_name=HOSTILE,
                    remark_mobiles=[HOSTILE],
                    state=HOSTILE,
                    add_way=4,
                )
            ],
        },
    }
    return corp
