"""WeCom's official callback sample values (sbzhu/weworkapi_python, callback/Sample.py; docs
/document/path/90930), as test vectors."""

from sidebar.standin.callbacks import CallbackSender

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"

# URL verification (GET)
VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": (
        "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
    ),
}
VERIFY_ANSWER = "1288432023552776189"

# A message (POST)
MESSAGE = {
    "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
}
ENCRYPTED = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTk"
    "AgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJP"
    "QbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7Mhm"
    "EbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/o"
    "xwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
PLAINTEXT = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)
RANDOM_PREFIX = b"694ce5a83ae07fe3"


def sender(app_url: str, corp, *, verify=True) -> CallbackSender:
    """WeCom posting `corp`'s events to the app at `app_url`, whose callback is configured with
    the sample's Token and EncodingAESKey; `verify`: the TLS certificate to trust."""
    posting = CallbackSender(
        url=app_url + "/wecom/events/",
        token=TOKEN,
        aes_key=AES_KEY,
        corp_id=corp.corp_id,
        agent_id=corp.agent_id,
    )
    posting.session.verify = verify
    return posting
