"""The words of printing: the printed PDF, the wallet's print sheet and the 验证码 at /verify."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # the printed PDF
    "print.number": ("证明编号", "Certificate no."),
    "print.office": ("出具机构", "Issued by"),
    "print.checked": ("链上核验", "Checked against the ledger"),
    "print.checked_at": ("核验时间", "Checked at"),
    "print.beijing": ("（北京时间）", " (Beijing time)"),
    "print.batch": (
        "批次 {batch} · 区块 {block} · 交易 {transaction}",
        "Batch {batch} · block {block} · transaction {transaction}",
    ),
    "print.for_unit": (
        "授权单位：{unit} · 用途：{purpose} · 有效至 {until}",
        "For: {unit} · purpose: {purpose} · until {until}",
    ),
    "print.scan_unit": (
        "授权单位扫描二维码核验本证明（仅限上述单位）。",
        "The unit named above scans the QR code with its certledger verifier.",
    ),
    "print.code": ("验证码", "Verification code"),
    "print.code_how": (
        "任何人可在 {site}/verify 输入验证码，或扫描二维码，核验本证明；有效至 {until}，持证人可随时撤回。",
        "Anyone can check this certificate by typing the code at {site}/verify or scanning the QR code, "
        "until {until}; the holder can withdraw it at any time.",
    ),
    "print.no_code": (
        "本打印件未附验证码；请在电子证照中生成验证码后重新打印。",
        "No verification code: create one in the wallet, then print again.",
    ),
    "print.footer": (
        "certledger · 电子证照打印件 · 第 {page} 页",
        "certledger · printed certificate · page {page}",
    ),
    "print.verdict.VALID": (
        "真实有效：内容与区块链上的记录一致，出具机构已登记。",
        "Valid: the content matches the ledger and the issuing office is registered.",
    ),
    "print.verdict.INVALID": ("无效：{reason}", "Not valid: {reason}"),
    "print.verdict.INDETERMINATE": ("暂时无法判断：{reason}", "Cannot decide now: {reason}"),
    "print.verdict.unanchored": (
        "尚未写入区块链，请稍后再打印。",
        "not anchored yet; print again in a minute.",
    ),
    "print.check.format": ("文件格式不对或已损坏。", "the document is malformed."),
    "print.check.fields": ("内容与出具时不一致。", "its content differs from what was issued."),
    "print.check.inclusion": ("不在所属批次中。", "it is not in its batch."),
    "print.check.anchor": ("区块链上没有它的批次记录。", "its batch is not on the ledger."),
    "print.check.issuer": ("出具机构或其密钥未登记。", "the issuing office or its key is not registered."),
    "print.check.status": ("已被出具机构撤销或暂停。", "the issuing office revoked or suspended it."),
    "print.check.validity": ("不在有效期内。", "it is outside its validity period."),
    "print.check.other": ("核验未通过。", "a check failed."),
    "print.check.unknown": (
        "暂时连不上区块链，请稍后再打印。",
        "the ledger cannot be reached now; print again later.",
    ),
    "print.valid_until": ("有效期至：{day}", "Valid until: {day}"),
    "print.indefinite": ("长期", "No end date"),
    # the wallet's print sheet
    "print.sheet.lead": (
        "打印件上的验证码让持有这张纸的任何人都能在核验页面查看下列内容。请选择要打印的内容和有效期，"
        "并用钱包密钥签署同意；您可以在授权列表中随时撤回。",
        "The verification code on the paper lets whoever holds it see the fields below at the verify "
        "page. Choose the fields and how long the code works, and sign your consent with your wallet "
        "key; you can withdraw it from your grant list at any time.",
    ),
    "print.sheet.days": ("验证码有效期（天，最长 {days} 天）", "The code works for (days, at most {days})"),
    "print.sheet.sign": ("签署并生成 PDF", "Sign and make the PDF"),
    "print.sheet.done": ("已生成 PDF。验证码：", "The PDF is ready. Its code: "),
    "print.sheet.fields": ("打印的内容", "Fields to print"),
    "print.sheet.always": (
        "持证人姓名和证明编号始终打印。",
        "The holder's name and the certificate number are always printed.",
    ),
    "print.grants.title": ("打印件验证码", "Verification codes on paper"),
    "print.grants.none": ("没有打印件验证码。", "No verification codes."),
    "print.grants.item": ("验证码 {hint}…，有效至 {until}", "Code {hint}…, until {until}"),
    "print.grants.revoke": ("撤回", "Withdraw"),
    "print.grants.revoked": ("已撤回", "Withdrawn"),
    "print.grants.expired": ("已过期", "Expired"),
    "print.grants.revoke_confirm": (
        "撤回后，这张打印件上的验证码将无法再核验。确定撤回吗？",
        "Once withdrawn, the code on that paper no longer verifies. Withdraw it?",
    ),
    # /verify: the code, the PDF and the JSON anyone may check
    "vcode.title": ("核验打印件或文件", "Check a printout or a file"),
    "vcode.lead": (
        "无需登录：输入打印件上的验证码，或上传电子证照 PDF 或下载的 JSON 文件。",
        "No sign-in needed: type the code printed on the paper, or upload the certificate's PDF or "
        "the downloaded JSON file.",
    ),
    "vcode.code": ("验证码（16 位）", "Verification code (16 characters)"),
    "vcode.check": ("核验", "Check"),
    "vcode.file": ("上传 PDF 或 JSON 文件", "Upload a PDF or JSON file"),
    "vcode.shape": (
        "验证码是 16 位字母和数字，如 ABCD-EFGH-JKMN-PQRS；"
        "不含字母 I、L、O、U，输入的 O 按 0、I 和 L 按 1 读。",
        "A code is 16 letters and digits, like ABCD-EFGH-JKMN-PQRS; it has no I, L, O or U: "
        "a typed O reads as 0, I and L as 1.",
    ),
    "vcode.too_big": ("文件太大（最大 {size}）。", "The file is too large (at most {size})."),
    "vcode.not_json": ("这不是可以核验的 JSON 文件。", "This is not a JSON file that can be checked."),
    "vcode.kind": ("只能上传 PDF 或 JSON 文件。", "Only PDF or JSON files can be checked."),
    "vcode.checking": ("正在核验…", "Checking…"),
    "vcode.printed_by": (
        "持证人授权打印，有效至 {until}。",
        "Printed with the holder's consent, valid until {until}.",
    ),
}
