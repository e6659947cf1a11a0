import pytest

from sidebar.standin.seed import demo_corp

ZHANGSAN = "647844cd6059597fc5c79f38"  # hosted accounts of demo_host
LISI = "647844cd6059597fc5c79f39"
ZHAOLIU_OTHER_CORP = "647844cd6059597fc5c79f3a"
ZHOU = "644a448ab93794cbdccf93ca"  # Juzi users operating them
WU = "644a448ab93794cbdccf93cd"


@pytest.fixture
def corp():
    """Customers, groups and staff for every case: the demo corp."""
    return demo_corp()
