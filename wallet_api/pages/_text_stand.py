"""The pages' words for the scan stand (扫码墩): the unit's side (stand.js) and the citizen's
(wallet_request.js)."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # the unit's stand, opened from the verifier
    "stand.open": ("扫码墩：请市民扫码授权", "Scan stand: ask a citizen to scan"),
    "stand.title": ("扫码墩", "Scan stand"),
    "stand.lead": (
        "以“{unit}”（统一社会信用代码 {code}）的名义请市民授权：选好需要的内容和用途，"
        "市民用证照钱包扫码同意后，核验结果会自动显示在这里。",
        "Ask a citizen on behalf of {unit} (credit code {code}): choose the fields and the purpose; "
        "once the citizen scans and consents in their wallet, the verdict appears here by itself.",
    ),
    "stand.back": ("返回核验页", "Back to verifying"),
    "stand.form": ("要请市民提供什么", "What to ask for"),
    "stand.type": ("证明类型", "Certificate type"),
    "stand.fields": ("需要的内容", "Fields needed"),
    "stand.always": (
        "持证人的姓名和公民身份号码总会一并提供（身份号码部分遮盖），这样单位才知道是谁的证明。",
        "The holder's name and identity number (partly masked) always come with it, so that the "
        "unit knows whose record it is.",
    ),
    "stand.always_tag": ("总会提供", "always"),
    "stand.purpose": ("用途", "Purpose"),
    "stand.purpose.example": ("例如：入职核验参保情况", "e.g. checking contributions for a new hire"),
    "stand.purpose.hint": (
        "市民会看到这段用途，最多 200 字。",
        "The citizen reads this; at most 200 characters.",
    ),
    "stand.term": ("授权期限", "Grant lasts"),
    "stand.term.hour": ("1 小时", "1 hour"),
    "stand.term.day": ("1 天", "1 day"),
    "stand.term.week": ("7 天", "7 days"),
    "stand.term.month": ("30 天", "30 days"),
    "stand.term.seconds": ("{seconds} 秒", "{seconds} seconds"),
    "stand.create": ("生成二维码", "Show the QR code"),
    "stand.need_fields": ("请至少选择一项内容。", "Choose at least one field."),
    "stand.need_purpose": ("请写明用途。", "Say what the fields are for."),
    "stand.scan_this": ("请市民用证照钱包扫码", "Citizen: scan with your wallet"),
    "stand.scan_hint": (
        "打开证照钱包，点“扫码授权”，扫描这个二维码。",
        "Open the wallet, tap “Scan to consent” and scan this code.",
    ),
    "stand.qr_alt": ("{unit}的授权请求二维码", "QR code of {unit}'s request"),
    "stand.asker": ("请求单位", "Asked by"),
    "stand.link": ("请求链接", "Request link"),
    "stand.waiting": (
        "正在等待市民扫码授权。二维码有效至 {time}（北京时间），到期会自动更新。",
        "Waiting for the citizen's consent. The code is valid until {time} (Beijing time) and renews itself.",
    ),
    "stand.renewing": ("二维码已过期，正在更新……", "The code expired; renewing…"),
    "stand.answered": ("市民已授权，核验结果如下。", "The citizen consented; the verdict is below."),
    "stand.collected": ("这个请求的结果已经取走。", "This request's result was collected already."),
    "stand.stop": ("停止等待", "Stop waiting"),
    "stand.next": ("下一位", "Next citizen"),
    # the citizen's wallet: scanning a stand and consenting
    "wreq.tab": ("扫码授权", "Scan to consent"),
    "wreq.scan.title": ("扫码授权", "Scan to consent"),
    "wreq.scan.lead": (
        "扫描单位扫码墩上的二维码，看清是谁、要什么、做什么用，再决定是否授权。",
        "Scan the code on a unit's stand, see who asks for what and why, then decide.",
    ),
    "wreq.scan.photo": ("或选择二维码的照片、截图", "Or choose a photo or screenshot of the code"),
    "wreq.not_a_request": (
        "这不是单位扫码墩的二维码。要出示自己的证明，请在“我的授权”中打开二维码。",
        "This is not a unit's stand code. To show your own certificate, open its QR code under grants.",
    ),
    "wreq.title": ("单位请求授权", "A unit asks for your consent"),
    "wreq.asks": ("请求方（以经办机构登记的信息为准）", "Asked by (as registered with the bureau)"),
    "wreq.credit_code": ("统一社会信用代码 {code}", "Unified social credit code {code}"),
    "wreq.fields": ("要查看的内容", "Wants to see"),
    "wreq.purpose": ("用途", "Purpose"),
    "wreq.term": ("授权期限", "For"),
    "wreq.uses": ("可使用次数", "Uses"),
    "wreq.term.day": ("1 天", "1 day"),
    "wreq.term.hour": ("1 小时", "1 hour"),
    "wreq.term.minute": ("1 分钟", "1 minute"),
    "wreq.term.days": ("{n} 天", "{n} days"),
    "wreq.term.hours": ("{n} 小时", "{n} hours"),
    "wreq.term.minutes": ("{n} 分钟", "{n} minutes"),
    "wreq.pick": ("用哪份证明", "Which certificate"),
    "wreq.valid_until": ("请在 {time}（北京时间）前完成授权。", "Consent before {time} (Beijing time)."),
    "wreq.consent": ("同意，并签名授权给{unit}", "Consent and sign for {unit}"),
    "wreq.decline": ("不同意", "Decline"),
    "wreq.declined": ("已拒绝，单位不会得到任何内容。", "Declined: the unit gets nothing."),
    "wreq.need_certificate": ("请选择一份证明。", "Choose a certificate."),
    "wreq.no_certificate": (
        "您没有包含这些内容的有效证明，无法授权。",
        "None of your valid certificates holds these fields, so you cannot consent.",
    ),
    "wreq.expired": (
        "这个请求已过期，请让单位重新出示二维码。",
        "The request has expired; ask the unit for a new code.",
    ),
    "wreq.used": ("这个请求已经被回应过了。", "The request was answered already."),
    "wreq.done.title": ("已授权", "Consent given"),
    "wreq.done": ("已授权。{unit}的屏幕上会显示核验结果。", "Done. {unit}'s screen shows the verdict now."),
    "wreq.done.grant": ("查看这项授权（可随时撤回）", "See this grant (you can revoke it at any time)"),
}
