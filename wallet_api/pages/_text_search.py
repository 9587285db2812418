"""The pages' words for the console's search card: finding a person's certificates, status dialogs."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "office.search.query": ("证明编号、身份证号或姓名", "Certificate number, identity number or name"),
    "office.search.hint": (
        "可只输入编号开头，不分大小写；按姓名只查本机构出具的证明。",
        "The start of a number will do, in any case; a name finds this office's certificates only.",
    ),
    "office.search.by": ("查询方式", "Search by"),
    "office.search.by.auto": ("自动识别", "Recognise"),
    "office.search.by.number": ("证明编号", "Certificate number"),
    "office.search.by.identity": ("身份证号", "Identity number"),
    "office.search.by.name": ("姓名", "Name"),
    "office.search.none": ("没有找到相符的证明。", "No certificate matches."),
    "office.search.found": ("找到 {count} 份证明", "{count} certificate(s) found"),
    "office.search.matched.number": ("按证明编号", "by certificate number"),
    "office.search.matched.identity": ("按身份证号", "by identity number"),
    "office.search.matched.name": ("按姓名（本机构）", "by name (this office)"),
    "office.search.more": (
        "只显示前 {count} 份，请输入更完整的内容缩小范围。",
        "Only the first {count} are shown; type more to narrow the search.",
    ),
    "office.search.erased": ("持证人信息已销毁", "The holder's data was erased"),
    "office.search.open": ("查看证明 {number}", "Open certificate {number}"),
    "office.search.holder": ("持证人", "Holder"),
    "office.search.issued": ("{date} 出具", "issued {date}"),
    "office.search.revisions": ("证明 {number} 的各版本", "Revisions of certificate {number}"),
    "office.action.none": (
        "这份证明已撤销，不能再更改状态。",
        "This certificate is revoked; its status is final.",
    ),
    "office.dialog.revoke.title": ("撤销证明 {number}", "Revoke certificate {number}"),
    "office.dialog.revoke.lead": (
        "撤销记入区块链，不能恢复。请选择撤销原因。",
        "A revocation is recorded on the ledger for good. Choose its reason.",
    ),
    "office.dialog.suspend.title": ("暂停证明 {number}", "Suspend certificate {number}"),
    "office.dialog.suspend.lead": (
        "暂停期间核验结果为无效，之后可以恢复。请选择暂停原因。",
        "While suspended it fails verification; it can be reinstated. Choose the reason.",
    ),
    "office.dialog.reinstate.title": ("恢复证明 {number}", "Reinstate certificate {number}"),
    "office.dialog.reinstate.lead": (
        "恢复后证明重新有效。请选择恢复原因。",
        "Once reinstated the certificate is valid again. Choose the reason.",
    ),
    "office.dialog.choose": ("请选择原因", "Choose a reason"),
    "office.dialog.cancel": ("取消", "Cancel"),
    "code.search.query": (
        "请输入身份证号、证明编号开头（字母、数字和“-”）或姓名。",
        "Type an identity number, the start of a certificate number (letters, digits, '-') or a name.",
    ),
    "code.search.identity": ("这不是有效的身份证号。", "That is not a valid identity number."),
    "code.status.reason_mismatch": (
        "这个原因不适用于所选操作。",
        "That reason does not fit this action.",
    ),
}
