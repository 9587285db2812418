"""Token attacks: every forged, expired, misdirected or revoked token is refused with its reason."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from tests.wallet_api.conftest import WalletWorld


def _claims(world: WalletWorld) -> dict[str, Any]:
    """The claims of a genuine citizen token, read from a real login."""
    token = world.citizen_headers(world.citizens[0])["Authorization"].split()[1]
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _secret(world: WalletWorld) -> bytes:
    return world.context.tokens._secret  # the service's own key, to forge "almost right" tokens


def _call(world: WalletWorld, token: str) -> Any:
    return world.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_a_genuine_token_works(wallet: WalletWorld) -> None:
    response = wallet.client.get("/v1/me", headers=wallet.citizen_headers(wallet.citizens[0]))
    assert response.status_code == 200
    assert response.json()["walletAddress"] == wallet.citizens[0].address


def test_alg_none_is_refused(wallet: WalletWorld) -> None:
    token = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(wallet)) + "."
    response = _call(wallet, token)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_token"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_algorithm_with_the_right_key_is_refused(wallet: WalletWorld, algorithm: str) -> None:
    token = jwt.encode(_claims(wallet), _secret(wallet), algorithm=algorithm)
    response = _call(wallet, token)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_token"
    assert "alg value is not allowed" in response.json()["detail"]


def test_another_key_is_refused(wallet: WalletWorld) -> None:
    token = jwt.encode(_claims(wallet), b"k" * 32, algorithm="HS256")
    response = _call(wallet, token)
    assert (response.status_code, response.json()["code"]) == (401, "auth.invalid_token")
    assert "signature" in response.json()["detail"].lower()


def test_an_expired_token_is_refused(wallet: WalletWorld) -> None:
    now = int(wallet.context.clock().timestamp())
    claims = _claims(wallet) | {"iat": now - 3600, "nbf": now - 3600, "exp": now - 60}
    response = _call(wallet, jwt.encode(claims, _secret(wallet), algorithm="HS256"))
    assert (response.status_code, response.json()["code"]) == (401, "auth.expired")


@pytest.mark.parametrize(
    ("change", "word"),
    [({"aud": "another-service"}, "audience"), ({"iss": "somebody"}, "issuer")],
)
def test_a_token_for_another_audience_or_issuer_is_refused(
    wallet: WalletWorld, change: dict[str, str], word: str
) -> None:
    response = _call(wallet, jwt.encode(_claims(wallet) | change, _secret(wallet), algorithm="HS256"))
    assert (response.status_code, response.json()["code"]) == (401, "auth.invalid_token")
    assert word in response.json()["detail"].lower()


@pytest.mark.parametrize("claim", ["sid", "exp", "aud", "sub"])
def test_a_token_missing_a_claim_is_refused(wallet: WalletWorld, claim: str) -> None:
    claims = _claims(wallet)
    del claims[claim]
    response = _call(wallet, jwt.encode(claims, _secret(wallet), algorithm="HS256"))
    assert (response.status_code, response.json()["code"]) == (401, "auth.invalid_token")


def test_a_tampered_payload_is_refused(wallet: WalletWorld) -> None:
    token = wallet.citizen_headers(wallet.citizens[0])["Authorization"].split()[1]
    header, _payload, signature = token.split(".")
    forged = ".".join([header, _b64(_claims(wallet) | {"role": "operator"}), signature])
    response = _call(wallet, forged)
    assert (response.status_code, response.json()["code"]) == (401, "auth.invalid_token")


def test_a_correctly_signed_role_change_does_not_match_the_session(wallet: WalletWorld) -> None:
    """Even with the service's key, a token is only honoured as its session says."""
    claims = _claims(wallet) | {"role": "operator"}
    forged = jwt.encode(claims, _secret(wallet), algorithm="HS256")
    response = wallet.client.post(
        "/v1/enrolment-codes",
        json={"identityNumber": wallet.citizens[1].identity_number},
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert (response.status_code, response.json()["code"]) == (401, "auth.session_ended")


def test_logout_revokes_the_token(wallet: WalletWorld) -> None:
    headers = wallet.citizen_headers(wallet.citizens[0])
    assert wallet.client.get("/v1/me", headers=headers).status_code == 200
    assert wallet.client.post("/v1/auth/logout", headers=headers).status_code == 204
    response = wallet.client.get("/v1/me", headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "auth.session_ended")
    # Other sessions of the same citizen live on.
    assert wallet.client.get("/v1/me", headers=wallet.citizen_headers(wallet.citizens[0])).status_code == 200


@pytest.mark.parametrize("scheme", ["Basic", "Token", ""])
def test_credentials_in_another_scheme_are_refused(wallet: WalletWorld, scheme: str) -> None:
    token = wallet.citizen_headers(wallet.citizens[0])["Authorization"].split()[1]
    response = wallet.client.get("/v1/me", headers={"Authorization": f"{scheme} {token}".strip()})
    assert (response.status_code, response.json()["code"]) == (401, "auth.required")


def test_wrong_passwords_and_unknown_people_get_the_same_answer(wallet: WalletWorld) -> None:
    citizen = wallet.citizens[0]
    wrong = wallet.client.post(
        "/v1/auth/login", json={"login": citizen.identity_number, "password": "x" * 12}
    )
    unknown = wallet.client.post("/v1/auth/login", json={"login": "110101199003077774", "password": "x" * 12})
    by_phone = wallet.client.post(
        "/v1/auth/login", json={"login": citizen.phone, "password": citizen.password}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["code"] == unknown.json()["code"] == "auth.bad_credentials"
    assert by_phone.status_code == 200


def test_unit_keys_are_checked_whole(wallet: WalletWorld) -> None:
    unit = wallet.units[0]
    key_id, _, secret = unit.api_key[len("clu_") :].partition("_")
    for bad in (
        f"clu_{key_id}_{secret[:-1]}A" if not secret.endswith("A") else f"clu_{key_id}_{secret[:-1]}B",
        f"clu_{'0' * 16}_{secret}",
        "not-a-key",
        wallet.units[1].api_key[:20] + unit.api_key[20:],
    ):
        response = wallet.client.get("/v1/units/me", headers={"X-API-Key": bad})
        assert response.status_code == 401, bad
        assert response.json()["code"] == "auth.invalid_key"
    assert wallet.client.get("/v1/units/me", headers={"X-API-Key": unit.api_key}).json()["id"] == unit.id
