"""The pipeline on genuine and on specifically bad certificates: each refusal names its check."""

from __future__ import annotations

from datetime import date

from ledger import Certificate
from tests.conftest import TODAY
from tests.verifier.conftest import OFFICE_A, Issued
from verifier import CheckStatus, Verdict


def test_every_genuine_certificate_is_valid(issued: Issued) -> None:
    verifier = issued.verifier(head_ttl=60)
    for certificate in issued.genuine:
        result = verifier.verify(certificate.to_json())
        assert result.verdict is Verdict.VALID, result.reason
        assert [check.status for check in result.checks] == [CheckStatus.PASSED] * 7
        assert result.office_name == "威海市社会保险事业中心"


def test_the_office_name_comes_from_the_registry_never_from_the_document(issued: Issued) -> None:
    result = issued.verifier().verify(issued.genuine[0].to_json())
    issuer = result.check("issuer")
    assert issuer.details["office"] == "威海市社会保险事业中心"
    assert issuer.details["officeId"] == OFFICE_A
    anchor = result.check("anchor")
    assert set(anchor.details) >= {"batchId", "block", "anchoredAt", "transaction"}
    assert str(anchor.details["transaction"]).startswith("0x")


def _failure(result_checks: list[tuple[str, CheckStatus]]) -> str:
    return next(name for name, status in result_checks if status is CheckStatus.FAILED)


def _verdict(issued: Issued, certificate: Certificate | None, **options: object) -> tuple[Verdict, str, str]:
    assert certificate is not None
    result = issued.verifier(**options).verify(certificate.to_json())  # type: ignore[arg-type]
    failed = result.failed
    return result.verdict, failed.name if failed else "", failed.reason if failed else ""


def test_revoked_and_suspended(issued: Issued) -> None:
    verdict, check, reason = _verdict(issued, issued.revoked)
    assert (verdict, check) == (Verdict.INVALID, "status")
    assert reason.startswith("revoked (as of block")
    verdict, check, reason = _verdict(issued, issued.suspended)
    assert (verdict, check) == (Verdict.INVALID, "status")
    assert reason.startswith("suspended (as of block")


def test_expired_and_not_yet_valid(issued: Issued) -> None:
    assert issued.expired is not None
    verdict, check, reason = _verdict(issued, issued.expired)
    assert (verdict, check, reason) == (
        Verdict.INVALID,
        "validity",
        f"expired on {issued.expired.header.valid_until}",
    )
    verdict, check, reason = _verdict(issued, issued.genuine[0], today=date(2020, 1, 1))
    assert (verdict, check, reason) == (Verdict.INVALID, "validity", f"not valid before {TODAY.isoformat()}")


def test_a_key_retired_later_leaves_what_it_anchored_valid(issued: Issued) -> None:
    verdict, check, _ = _verdict(issued, issued.later_retired)
    assert (verdict, check) == (Verdict.VALID, "")


def test_a_key_retired_from_before_its_batch_invalidates_it(issued: Issued) -> None:
    verdict, check, reason = _verdict(issued, issued.retired_before)
    assert (verdict, check) == (Verdict.INVALID, "issuer")
    assert reason.startswith("the anchoring key was not allowed to issue type 2 for office 1 at")


def test_a_certificate_anchored_after_its_office_was_distrusted_is_invalid(issued: Issued) -> None:
    verdict, check, reason = _verdict(issued, issued.office_suspended)
    assert (verdict, check) == (Verdict.INVALID, "issuer")
    assert reason.startswith("the office is distrusted since")


def test_an_office_cannot_issue_a_type_it_is_not_allowed(issued: Issued) -> None:
    verdict, check, reason = _verdict(issued, issued.wrong_type)
    assert (verdict, check) == (Verdict.INVALID, "issuer")
    assert reason == "the batch was anchored by office 2 for type 2; the document claims office 2, type 1"


def test_a_forgers_own_ledger_is_not_trusted(issued: Issued) -> None:
    assert issued.rogue is not None and issued.rogue.anchor is not None
    verdict, check, reason = _verdict(issued, issued.rogue)
    assert (verdict, check) == (Verdict.INVALID, "anchor")
    assert reason.startswith(
        f"the document names ledger {issued.rogue.anchor.ledger} on chain 31337; this verifier trusts ledger"
    )
    verdict, check, reason = _verdict(issued, issued.rogue_on_real_ledger)
    assert (verdict, check, reason) == (
        Verdict.INVALID,
        "anchor",
        "the batch root is not anchored on the ledger",
    )


def test_a_presentation_verifies_with_only_its_fields(issued: Issued) -> None:
    certificate = issued.genuine[0]
    presentation = certificate.present(["pension", "period"])
    result = issued.verifier().verify(presentation.to_json())
    assert result.verdict is Verdict.VALID, result.reason
    assert result.kind == "presentation"
    assert set(result.disclosed) == {"pension", "period"}
    assert "holder_id" not in str(result.to_json())
    assert certificate.claims["holder_id"] not in str(result.to_json())


def test_checks_after_a_failure_are_skipped_not_passed(issued: Issued) -> None:
    tampered = issued.genuine[1].to_json()
    tampered["claims"]["holder_name"] += "甲"
    result = issued.verifier().verify(tampered)
    assert [(c.name, c.status) for c in result.checks] == [
        ("format", CheckStatus.PASSED),
        ("fields", CheckStatus.FAILED),
        ("inclusion", CheckStatus.SKIPPED),
        ("anchor", CheckStatus.SKIPPED),
        ("issuer", CheckStatus.SKIPPED),
        ("status", CheckStatus.SKIPPED),
        ("validity", CheckStatus.SKIPPED),
    ]
    assert result.check("fields").details["computed"] != result.check("fields").details["expected"]


def test_many_at_once_against_one_head(issued: Issued) -> None:
    verifier = issued.verifier(head_ttl=0)
    documents = [certificate.to_json() for certificate in issued.genuine]
    assert issued.revoked is not None
    documents.append(issued.revoked.to_json())
    results = verifier.verify_many(documents)
    assert [result.verdict for result in results] == [Verdict.VALID] * len(issued.genuine) + [Verdict.INVALID]
    blocks = {result.check("status").details["block"] for result in results}
    assert len(blocks) == 1  # every status read at the same block
