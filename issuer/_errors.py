"""The issuer's exceptions; the hierarchy is drawn in the package docstring."""

from __future__ import annotations

from collections.abc import Mapping

# The Chinese text of each way a whole input file is refused, by `IntakeError.code`; the
# placeholders are the error's `params`. Codes are stable: the console keys on them.
INTAKE_TEXTS_ZH: Mapping[str, str] = {
    "file": "文件无法读取：{message}",
    "suffix": "文件应为 .csv（UTF-8 或 GB18030）、.xlsx，或每行一份的 .jsonl / .json",
    "unreadable": "无法读取文件 {name}：{why}",
    "encoding": "文件不是 UTF-8 文本（{why}）",
    "encoding.neither": "文件既不是 UTF-8 也不是 GB18030 文本（{why}）",
    "encoding.header": "文件不是 UTF-8 文本，按 GB18030 读取时表头也不是 {type} 的列（{why}）",
    "no_records.empty": "文件里没有记录：文件是空的",
    "no_records.blank": "文件里没有记录：只有空行",
    "no_records.header": "文件里没有记录：只有表头一行",
    "no_records.sheet": "文件里没有记录：工作表 {sheet} 是空的",
    "no_records.sheet_header": "文件里没有记录：工作表 {sheet} 只有表头一行",
    "header.not_csv": "表头不是 CSV（{why}）",
    "columns.missing": "{type} 的表格格式需要这些列：{columns}",
    "columns.unknown": "{columns} 不是 {type} 的字段",
    "columns.twice": "表头中有重复的列名",
    "xlsx.not_zip": "{name} 不是 XLSX 工作簿（不是 zip 压缩包）",
    "xlsx.unreadable": "{name} 不是可读取的 XLSX 工作簿（{why}）",
    "xlsx.no_sheet": "{name} 中没有工作表",
    "xlsx.chart": "{name} 的第一个工作表 {sheet} 是图表，不是数据表",
    "xlsx.parts": "{name} 包含 {parts} 个部件，超过上限 {limit}",
    "xlsx.too_large": "{name} 解压后超过 {limit} 字节（在部件 {part} 处）",
    "xlsx.broken": "无法读取（{why}）",
}


def _text_zh(code: str, params: Mapping[str, str], *, place: str, message: str) -> str:
    """`code`'s Chinese text, after `place` (``第9行``, ``工作表 Sheet1 第16行``) when there is one."""
    template = INTAKE_TEXTS_ZH.get(code, INTAKE_TEXTS_ZH["file"])
    text = template.format_map({**params, "message": message})
    return f"{place} {text}" if place else text


class IssuerError(Exception):
    """Base of every error raised by the issuer."""


class IssuerConfigError(IssuerError, ValueError):
    """A setting or key is missing or unusable."""


class IntakeError(IssuerError, ValueError):
    """An input file cannot be read at all, or holds no records (as opposed to single bad rows,
    which are reported).

    The message is English; `code` says which refusal it is (``encoding``, ``columns.unknown``,
    ``no_records.empty`` … — ``file`` when unknown, as for an error passed on as text by another
    process), `place` where in the file (``第9行``), and `reason_zh` says it all in Chinese."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "file",
        params: Mapping[str, str] | None = None,
        place: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})
        self.place = place

    @property
    def reason_zh(self) -> str:
        """The refusal in Chinese, starting with where in the file it is."""
        return _text_zh(self.code, self.params, place=self.place, message=str(self))

    def at(self, message: str, place: str) -> IntakeError:
        """The same refusal with another English message and place (a sheet's row, say)."""
        return IntakeError(message, code=self.code, params=self.params, place=place)


class SafeError(IssuerError):
    """The safe cannot give a certificate's content: it was erased, or it fails its integrity check."""


class ErasedError(SafeError):
    """The citizen's data key was destroyed: the content is gone for good, as the citizen asked."""


class SafeIntegrityError(SafeError):
    """A body or data key does not decrypt: altered, moved between records, or under another key.

    `record` names the stored record ("certificate <id>" or "data key of citizen <id>"), for the
    security log; never its content."""

    def __init__(self, message: str, *, record: str) -> None:
        super().__init__(message)
        self.record = record


class LeaseLostError(IssuerError):
    """A worker no longer holds the lease it acted under (it expired, or another holder took it):
    the write it guarded was rolled back, and the worker's step ends there."""


class CertificateNotFoundError(IssuerError, LookupError):
    """No certificate has that number or id."""


class CitizenNotFoundError(IssuerError, LookupError):
    """No citizen has that id or identity number."""
