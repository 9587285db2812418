"""Building a verifier from its settings."""

from __future__ import annotations

from web3 import Web3

from ledger import LedgerConfigError, TypeCatalog, connect, load_manifest, manifest_path
from verifier._chain import ChainView
from verifier._errors import VerifierConfigError
from verifier._settings import VerifierSettings
from verifier._verify import Verifier

_TRUST_A_LEDGER = (
    "set CERTLEDGER_LEDGER_ADDRESS (and CERTLEDGER_CHAIN_ID) to the ledger to trust, "
    "CERTLEDGER_DEPLOYMENT to its deployment manifest, "
    "or CERTLEDGER_DATA_DIR to the data folder that holds the manifest"
)


def trusted_ledger(settings: VerifierSettings) -> tuple[str, int]:
    """The ledger address and chain id this verifier trusts."""
    if settings.ledger_address:
        if not Web3.is_checksum_address(settings.ledger_address):
            raise VerifierConfigError("CERTLEDGER_LEDGER_ADDRESS is not a checksummed address")
        return settings.ledger_address, settings.chain_id
    path = settings.deployment or manifest_path(settings.data_dir, settings.chain_id)
    try:
        deployment = load_manifest(path)
    except (LedgerConfigError, OSError) as error:
        problem = f"cannot read {path}: {error.strerror}" if isinstance(error, OSError) else str(error)
        raise VerifierConfigError(f"no trusted ledger: {problem}; {_TRUST_A_LEDGER}") from error
    return deployment.ledger, deployment.chain_id


def verifier_from_settings(settings: VerifierSettings | None = None) -> Verifier:
    """A verifier on the configured node, trusting the configured ledger."""
    settings = settings or VerifierSettings()
    ledger, chain_id = trusted_ledger(settings)
    w3 = connect(settings.endpoint, timeout=settings.verify_timeout)
    chain = ChainView(w3, ledger=ledger, chain_id=chain_id, head_ttl=settings.head_ttl)
    return Verifier(chain, TypeCatalog.load(settings.data_dir / "schemas"))
