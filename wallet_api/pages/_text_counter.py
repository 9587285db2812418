"""The pages' words for the console's counter jobs and the staff audit trail."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # the console's counter card
    "counter.title": ("柜台业务", "At the counter"),
    "counter.identity": ("身份证号", "Identity number"),
    "counter.identity.shape": (
        "身份证号应为 18 位：17 位数字，最后一位是数字或 X。",
        "An identity number is 18 characters: 17 digits, then a digit or X.",
    ),
    "counter.identity.birth": (
        "身份证号中的出生日期不存在。",
        "The birth date in the identity number does not exist.",
    ),
    "counter.identity.check": (
        "校验码（第 18 位）应为“{expected}”，现为“{actual}”，请核对证件。",
        "The check character (the 18th) should be {expected}, not {actual}: check the ID card.",
    ),
    "counter.checked": (
        "我已当面核验本人身份证件原件，与本人相符",
        "I checked the original ID card in person and it matches the citizen",
    ),
    "counter.checked.required": (
        "请先当面核验身份证件，并勾选确认。",
        "Check the ID card in person first, and tick the box.",
    ),
    "counter.enrol.title": ("签发开通码", "Issue an enrolment code"),
    "counter.enrol.lead": (
        "市民首次开通电子证照时使用。开通码只显示一次，72 小时内有效，只能用于这个身份证号。",
        "For a citizen's first enrolment. The code is shown once, lasts 72 hours "
        "and works only for this identity number.",
    ),
    "counter.enrol.submit": ("签发开通码", "Issue the code"),
    "counter.enrol.sheet": ("电子证照开通码", "Wallet enrolment code"),
    "counter.enrol.tell": (
        "请市民在手机上打开“我的证照”，用此码开通。请勿拍照或转告他人。",
        "The citizen opens My wallet on their phone and enrols with this code. "
        "Do not photograph it or pass it on.",
    ),
    "counter.reset.title": (
        "重置账户（换手机、忘记密码）",
        "Reset an account (new phone, forgotten password)",
    ),
    "counter.reset.lead": (
        "为已开通的市民签发重置码。用重置码重新开通后，原密码和原手机上的钱包密钥作废，"
        "所有登录被退出，所有已授权的查看被撤销。",
        "A reset code for a citizen who has enrolled. Enrolling with it replaces the password and the "
        "old phone's wallet key, ends every session and revokes every grant.",
    ),
    "counter.reset.submit": ("重置并签发新码", "Reset and issue a new code"),
    "counter.reset.confirm": (
        "确定重置这位市民的账户吗？重新开通后，原密码、原钱包密钥和所有授权都将作废。",
        "Reset this citizen's account? Once they enrol again, the old password, wallet key "
        "and every grant stop working.",
    ),
    "counter.reset.sheet": ("账户重置码", "Account reset code"),
    "counter.reset.tell": (
        "请市民在新手机上打开“我的证照”，用此码重新开通并设置新密码。",
        "The citizen opens My wallet on the new phone and enrols again with this code and a new password.",
    ),
    "counter.sheet.expires": ("有效期至 {time}（北京时间）", "Valid until {time} (Beijing time)"),
    "counter.sheet.print": ("打印", "Print"),
    "counter.sheet.close": ("已交付，关闭", "Handed over: close"),
    "counter.sheet.once": (
        "只显示这一次：关闭后无法再次查看。",
        "Shown this once: it cannot be seen again after closing.",
    ),
    "counter.credit.length": (
        "统一社会信用代码应为 18 位，现为 {count} 位。",
        "A unified social credit code is 18 characters; this one has {count}.",
    ),
    "counter.credit.character": (
        "第 {position} 位“{character}”不能出现在统一社会信用代码中"
        "（只用数字和除 I、O、Z、S、V 外的大写字母）。",
        "Character {position}, '{character}', cannot be in a unified social credit code "
        "(digits and capitals except I, O, Z, S, V).",
    ),
    "counter.credit.region": (
        "第 3 至 8 位是登记管理机关的行政区划码，应为数字；第 {position} 位是“{character}”。",
        "Characters 3 to 8 are the registering authority's region code, all digits; "
        "character {position} is '{character}'.",
    ),
    "counter.credit.check": (
        "校验码（第 18 位）应为“{expected}”，现为“{actual}”，请核对营业执照。",
        "The check character (the 18th) should be {expected}, not {actual}: check the business licence.",
    ),
    "counter.unit.title": ("接收单位", "Receiving units"),
    "counter.unit.register": ("登记新单位", "Register a unit"),
    "counter.unit.name": ("单位名称", "Unit name"),
    "counter.unit.code": ("统一社会信用代码", "Unified social credit code"),
    "counter.unit.name_short": ("单位名称至少 2 个字。", "A unit's name has at least 2 characters."),
    "counter.unit.submit": ("登记并生成密钥", "Register and make its key"),
    "counter.unit.key_sheet": ("{name} 的接口密钥", "API key of {name}"),
    "counter.unit.key_tell": (
        "请通过安全渠道交给该单位的经办人，由其填入核验系统。服务端只保存密钥的摘要。",
        "Hand it to the unit's clerk by a safe channel, for their verifier. "
        "The service keeps only a digest of it.",
    ),
    "counter.unit.list": ("已登记的单位", "Registered units"),
    "counter.unit.col.name": ("名称", "Name"),
    "counter.unit.col.code": ("统一社会信用代码", "Credit code"),
    "counter.unit.col.created": ("登记时间（北京时间）", "Registered (Beijing time)"),
    "counter.unit.col.state": ("状态", "State"),
    "counter.unit.col.actions": ("操作", "Actions"),
    "counter.unit.active": ("启用", "active"),
    "counter.unit.disabled": ("已停用", "disabled"),
    "counter.unit.rotate": ("更换密钥", "New key"),
    "counter.unit.rotate_confirm": (
        "确定为“{name}”更换接口密钥吗？旧密钥将立即失效。",
        "Give {name} a new API key? The old one stops working at once.",
    ),
    "counter.unit.disable": ("停用", "Disable"),
    "counter.unit.disable_confirm": (
        "确定停用“{name}”吗？其密钥立即失效，市民给它的授权将无法再使用。",
        "Disable {name}? Its key stops working and grants to it can no longer be redeemed.",
    ),
    "counter.unit.disabled_done": ("已停用“{name}”。", "{name} is disabled."),
    "counter.unit.more": ("显示更多", "Show more"),
    "counter.unit.none": ("还没有登记任何单位。", "No unit is registered yet."),
    "code.unit.exists": (
        "这个统一社会信用代码已经登记过了。",
        "A unit with this unified social credit code is registered already.",
    ),
    "code.citizen.not_enrolled": (
        "这个身份证号还没有开通电子证照，请签发开通码。",
        "Nobody with this identity number has enrolled: issue an enrolment code instead.",
    ),
    # the audit page's staff trail
    "trail.title": ("工作人员操作记录", "Staff actions"),
    "trail.lead": (
        "经办人员在柜台和控制台的每一项操作，最新的在前，时间为北京时间。记录中不含身份证号、姓名、手机号、开通码或密钥。",
        "Every action of the bureau's staff at the counter and the console, newest first, in Beijing time. "
        "No identity number, name, phone, code or key is recorded.",
    ),
    "trail.by_action": ("操作", "Action"),
    "trail.by_username": ("工作人员用户名", "Staff username"),
    "trail.all": ("全部操作", "All actions"),
    "trail.filter": ("筛选", "Filter"),
    "trail.more": ("更早的记录", "Older actions"),
    "trail.shown": ("显示 {count} 条", "{count} shown"),
    "trail.none": ("没有符合条件的记录。", "No action matches."),
    "trail.col.at": ("时间（北京时间）", "When (Beijing time)"),
    "trail.col.username": ("工作人员", "Staff"),
    "trail.col.action": ("操作", "Action"),
    "trail.col.subject": ("对象", "Subject"),
    "trail.col.detail": ("详情", "Detail"),
    "trail.action.enrolment_code.issued": ("签发开通码", "Enrolment code issued"),
    "trail.action.citizen.reset": ("重置市民账户", "Citizen's account reset"),
    "trail.action.unit.registered": ("登记单位", "Unit registered"),
    "trail.action.unit.key_rotated": ("更换单位密钥", "Unit's key replaced"),
    "trail.action.unit.disabled": ("停用单位", "Unit disabled"),
    "trail.action.certificate.status_changed": ("变更证明状态", "Certificate status changed"),
    "trail.action.issuance.file_issued": ("批量出具", "File issued"),
    "trail.detail.creditCode": ("统一社会信用代码", "credit code"),
    "trail.detail.codeId": ("码记录编号", "code record"),
    "trail.detail.expiresAt": ("有效期至", "valid until"),
}
