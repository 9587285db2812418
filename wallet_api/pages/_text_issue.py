"""The pages' words for the console's issuing card: refused rows, uploads, resuming."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "console.issue.uploading": ("上传", "Uploading"),
    "console.issue.uploaded": (
        "已上传 {received}/{size} MB（{percent}%）",
        "{received} of {size} MB sent ({percent}%)",
    ),
    "console.issue.resuming": (
        "这个文件上次已上传 {size} MB，从断点继续。",
        "{size} MB of this file were sent before: going on from there.",
    ),
    "console.issue.retrying": (
        "网络中断，{seconds} 秒后从断点继续上传……",
        "The connection dropped; going on in {seconds} s…",
    ),
    "console.issue.reconnecting": (
        "与服务的连接中断，正在重新连接；出具在服务端继续进行……",
        "The connection dropped; reconnecting (issuing goes on at the service)…",
    ),
    "console.issue.more_refused": (
        "共拒绝 {refused} 行，此处列出前 {shown} 行；全部被拒绝的行可下载。",
        "{refused} rows refused; the first {shown} are listed here, all of them in the download.",
    ),
    "console.issue.sheet_row": ("工作表 {sheet} 第{row}行", "sheet {sheet} row {row}"),
    "console.issue.download": (
        "下载被拒绝的行（改正后可直接重新上传）",
        "Download the refused rows (fix them and send the file again)",
    ),
    "code.upload.too_large": (
        "文件超过了允许上传的大小上限。",
        "The file is larger than an upload may be.",
    ),
    "code.upload.no_space": (
        "服务器磁盘空间不足，无法接收这个文件；请联系系统管理员。",
        "The server's disk cannot hold this file; ask the administrator.",
    ),
    "code.upload.not_found": (
        "找不到这次上传（已出具完毕或超过 7 天未继续）；请重新选择文件上传。",
        "The upload is gone (issued, or untouched for 7 days); choose the file again.",
    ),
    "code.upload.incomplete": ("文件尚未上传完整。", "The file has not been sent whole yet."),
    "code.issuance.bad_file": (
        "无法读取这个文件：请上传 CSV（UTF-8 或 GB18030）、XLSX 或 JSON Lines 文件。",
        "The file cannot be read: send a CSV (UTF-8 or GB18030), XLSX or JSON Lines file.",
    ),
    "code.issuance.unknown_type": ("没有这种证明类型。", "There is no such certificate type."),
    "code.issuance.running": (
        "这个文件正在出具中，请等待其完成。",
        "This file is being issued; wait for it to finish.",
    ),
    "code.issuance.interrupted": (
        "出具在完成前中断（服务曾重启）。请再次出具该文件：已出具的证明会跳过，其余继续出具。",
        "The issuance stopped before it ended (the service restarted). Issue the file again: what"
        " was issued is skipped.",
    ),
    "code.issuance.no_refusals": (
        "这次出具没有保留被拒绝的行。",
        "No refused rows are kept for this issuance.",
    ),
    "code.request.too_large": ("提交的内容过大。", "The request is too large."),
}
