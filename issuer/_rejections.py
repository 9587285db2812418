"""Refused rows: where each is, and why, in English and in Chinese.

A `Rejection` names one refused certificate: its line (the row, in a workbook, with its sheet),
its number when known, and one `RowProblem` per reason (at most five), each with the column as
the file names it, the column's Chinese label from the schema, the value (masked when personal:
``张*``, ``371*************3X``), a stable code (``format.month``, ``required``, ``columns`` …)
and the reason in both languages. ``sentence("zh")`` says it all at once:
``第16行 费款所属期 2025-13 不是有效的月份``.

`issuer._refusals.RefusedRows` writes refused certificates back as a file to fix and upload again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ledger import CertificateType, FieldProblem

REFUSAL_COLUMNS = ("行号", "拒绝原因")  # in front of the header of a refused-rows CSV
REFUSAL_FIELD = "_refusal"  # the member a refused-rows JSON Lines file adds to each document
MAX_PROBLEMS = 5  # reasons named per refused certificate

# The Chinese of the problems the issuer finds itself, beside the schema's (`FieldProblem.TEXTS_ZH`).
# `{subject}` is the column's label and value, `{label}` the label; the rest are the params.
ROW_TEXTS_ZH: Mapping[str, str] = {
    "integer": "{subject} 不是整数（金额以分为单位）",
    "boolean": "{subject} 应为 true 或 false",
    "differs": "{subject} 与第{first}行不一致（同一份证明的各行应相同）",
    "unknown_list": "{column} {shown} 不对应本类型的任何列表（{target}）",
    "derived.mismatch": "{label} 填的是 {given}，按明细推算应为 {derived}",
    "derived.not_object": "{label} 应为对象（其中有推算的合计）",
    "not_csv": "不是有效的 CSV 行（{why}）",
    "columns": "有 {count} 列，而表头有 {width} 列",
    "consecutive": "{subject} 的各行必须连在一起",
    "line_too_long": "这一行超过 {limit} 字节",
    "not_json": "不是有效的 JSON 文档（{why}）",
    "not_object": "每行应为一个 JSON 对象",
    "canonical_json": "无法按规范 JSON 计算摘要（{why}）",
    "different_content": "证明编号 {number} 已用不同的内容签发过：证明不能修改，请撤销后以新的编号签发",
}
TEXTS_ZH: Mapping[str, str] = {**FieldProblem.TEXTS_ZH, **ROW_TEXTS_ZH}  # every row problem's code


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One reason a certificate was refused, at one line of the file."""

    line: int
    code: str  # stable: ``format.month``, ``required``, ``columns`` … (every one is in `TEXTS_ZH`)
    column: str  # as the file names it (``month``; a dotted path in a flat layout); "" for the row
    label: str  # the column's Chinese title from the schema (``费款所属期``); "" for the row
    value: str | None  # as the file holds it, masked when personal; None when not about a value
    reason: str  # English: ``pension.records[2].month: a month is written YYYY-MM…``
    reason_zh: str  # Chinese, with the label and the value: ``费款所属期 2025-13 不是有效的月份``


@dataclass(frozen=True, slots=True)
class Rejection:
    """One refused certificate: its line, its number when known, and why.

    `line` is the line of the file (or the row of the sheet, for a workbook: `sheet` names it);
    `reason` is the English reason as reports always gave it (a workbook's starts with its sheet
    and row). `problems` gives each reason with its column, label, masked value, code and Chinese
    text; `reason_zh` and `sentence` say them in Chinese. `rows` holds the record's own lines as
    the file has them, unmasked, for `RefusedRows` alone: it is never shown nor logged (None when
    not known, as for a refusal at issuance). Equality is on line, number and reason.
    """

    line: int
    number: str | None
    reason: str
    sheet: str | None = field(default=None, compare=False, kw_only=True)
    problems: tuple[RowProblem, ...] = field(default=(), compare=False, kw_only=True)
    rows: tuple[tuple[int, tuple[str, ...]], ...] | None = field(
        default=None, compare=False, kw_only=True, repr=False
    )

    @property
    def row(self) -> int | None:
        """The sheet's row, for a workbook (as Excel numbers it); None for a text file."""
        return self.line if self.sheet is not None else None

    @property
    def code(self) -> str:
        """The first problem's code; ``refused`` for a rejection built without problems."""
        return self.problems[0].code if self.problems else "refused"

    @property
    def column(self) -> str:
        """The first problem's column, as the file names it."""
        return self.problems[0].column if self.problems else ""

    @property
    def label(self) -> str:
        """The first problem's column, as the schema titles it in Chinese."""
        return self.problems[0].label if self.problems else ""

    @property
    def value(self) -> str | None:
        """The first problem's value, masked when personal."""
        return self.problems[0].value if self.problems else None

    @property
    def reason_zh(self) -> str:
        """Every reason in Chinese; one at another line than `line` says which."""
        if not self.problems:
            return f"被拒绝：{self.reason}"
        return "；".join(
            problem.reason_zh if problem.line == self.line else f"第{problem.line}行 {problem.reason_zh}"
            for problem in self.problems
        )

    def place(self, language: str = "zh") -> str:
        """Where the certificate is: ``第16行``, ``工作表 Sheet1 第16行`` (``line 16``, ``sheet S row 9``)."""
        if language == "zh":
            return f"工作表 {self.sheet} 第{self.line}行" if self.sheet is not None else f"第{self.line}行"
        return f"sheet {self.sheet} row {self.line}" if self.sheet is not None else f"line {self.line}"

    def sentence(self, language: str = "zh") -> str:
        """The whole refusal in one sentence: ``第16行 费款所属期 2025-13 不是有效的月份``, or in
        English ``line 16: pension.records[14].month: …``."""
        if language == "zh":
            return f"{self.place('zh')} {self.reason_zh}"
        return self.reason if self.sheet is not None else f"{self.place('en')}: {self.reason}"

    def as_dict(self, language: str = "zh") -> dict[str, str | int | None]:
        """The refusal as JSON, its reason and sentence in `language` (``zh`` or ``en``); values masked."""
        return {
            "line": self.line,
            "sheet": self.sheet,
            "row": self.row,
            "number": self.number,
            "code": self.code,
            "column": self.column,
            "label": self.label,
            "value": self.value,
            "reason": self.reason_zh if language == "zh" else self.reason,
            "sentence": self.sentence(language),
        }


def refused(
    line: int,
    number: str | None,
    reason: str,
    *,
    code: str,
    params: Mapping[str, str] | None = None,
    rows: Sequence[tuple[int, Sequence[str]]] | None = None,
) -> Rejection:
    """A rejection of a whole row (not of one of its values), with its code's Chinese text."""
    text = ROW_TEXTS_ZH[code].format_map({"subject": "", "label": "", **(params or {})})
    problem = RowProblem(line, code, "", "", None, reason, text)
    return Rejection(line, number, reason, problems=(problem,), rows=_frozen(rows))


def without_rows(rejection: Rejection) -> Rejection:
    """`rejection` without the file's lines it carries, to be kept for long."""
    return rejection if rejection.rows is None else replace(rejection, rows=None)


def problem_of(
    certificate_type: CertificateType, problem: FieldProblem, *, line: int, column: str
) -> RowProblem:
    """A schema or intake problem at `line`, labelled and masked as `certificate_type` says."""
    subject = problem.subject
    value = None if problem.value is None else certificate_type.shown_value(subject, problem.value)
    return RowProblem(
        line=line,
        code=problem.code,
        column=column,
        label=certificate_type.field_label(subject) if subject else "",
        value=value,
        reason=str(problem),
        reason_zh=certificate_type.problem_zh(problem, texts=ROW_TEXTS_ZH),
    )


def _frozen(
    rows: Sequence[tuple[int, Sequence[str]]] | None,
) -> tuple[tuple[int, tuple[str, ...]], ...] | None:
    return None if rows is None else tuple((line, tuple(cells)) for line, cells in rows)
