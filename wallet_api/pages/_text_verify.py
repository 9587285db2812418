"""The words of the unit's verdict (document first), its history and its receipt."""

from __future__ import annotations

# key: (中文, English)
TEXT: dict[str, tuple[str, str]] = {
    # the verdict, document first
    "uv.label": ("核验结果", "Verification result"),
    "uv.holder_name": ("持证人", "Holder"),
    "uv.holder_id": ("公民身份号码", "Identity number"),
    "uv.number": ("证明编号", "Certificate no."),
    "uv.issued": ("出具日期", "Issued on"),
    "uv.valid_until": ("有效期至", "Valid until"),
    "uv.open_ended": ("长期", "No end date"),
    "uv.not_disclosed": ("未披露", "not disclosed"),
    "uv.untrusted": (
        "核验结果为“{verdict}”：以下内容不能作为依据。",
        "The verdict is “{verdict}”: do not rely on what follows.",
    ),
    "uv.undisclosed": ("另有 {count} 项内容未披露。", "{count} more field(s) were not disclosed."),
    "uv.all_disclosed": (
        "该类证明的全部内容均已披露。",
        "Every field of this kind of certificate was disclosed.",
    ),
    "uv.checks": ("核验步骤：{total} 项中 {passed} 项通过", "Checks: {passed} of {total} passed"),
    "uv.grant": ("授权", "The consent"),
    # the unit's history
    "uv.history.title": ("本单位核验记录", "This unit's verifications"),
    "uv.history.lead": (
        "每次核验都记在这里：时间、证明、结果和所见内容的名称（不保存内容本身）。",
        "Every verification is kept here: time, certificate, verdict and the names of the fields seen "
        "(not their values).",
    ),
    "uv.history.empty": ("还没有核验记录。", "No verifications yet."),
    "uv.history.more": ("加载更早的记录", "Load earlier ones"),
    "uv.history.receipt": ("下载回执（PDF）", "Download the receipt (PDF)"),
    "uv.history.time": ("核验时间", "Verified at"),
    "uv.history.certificate": ("证明", "Certificate"),
    "uv.history.verdict": ("结果", "Verdict"),
    "uv.history.fields": ("所见内容", "Fields seen"),
    "uv.history.office": ("出具机构", "Issued by"),
    "uv.history.seq": ("访问日志序号", "Access-log entry"),
    # the receipt (PDF)
    "uv.receipt.title": ("电子证照核验回执", "Certificate verification receipt"),
    "uv.receipt.lead": (
        "本回执由核验单位留存备查，不含持证人的个人信息。",
        "For the verifying unit's files; it holds none of the holder's personal data.",
    ),
    "uv.receipt.who": ("核验单位", "Verifying unit"),
    "uv.receipt.unit": ("单位名称", "Unit"),
    "uv.receipt.credit_code": ("统一社会信用代码", "Unified social credit code"),
    "uv.receipt.time": ("核验时间", "Verified at"),
    "uv.receipt.what": ("核验对象与结果", "What was verified"),
    "uv.receipt.type": ("证明类型", "Certificate type"),
    "uv.receipt.verdict": ("核验结果", "Verdict"),
    "uv.receipt.fields": ("持证人披露的内容", "Fields disclosed"),
    "uv.receipt.audit": ("审计查证", "For auditors"),
    "uv.receipt.seq": ("访问日志序号", "Access-log sequence number"),
    "uv.receipt.root": ("证明文档根（链上指纹）", "Document root (on-chain fingerprint)"),
    "uv.receipt.id": ("核验记录编号", "Verification record id"),
    "uv.receipt.note": (
        "审计人员可按访问日志序号查到这次核验，并用链上锚定的日志根证明其存在且未被改动。",
        "An auditor finds this verification in the access log by its sequence number and proves it "
        "against the log roots anchored on chain.",
    ),
    "uv.receipt.printed": ("回执生成时间：", "Receipt made at"),
}
