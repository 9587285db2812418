"""The batch tree: its proofs, its refusals, and bit-for-bit agreement with the Solidity library."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract

from ledger import (
    EMPTY_NODE,
    BatchTree,
    MerkleError,
    batch_depth,
    batch_leaf_hash,
    batch_root_from_proof,
    deploy_contracts,
    keccak256,
    load_artifact,
    node_hash,
    verify_batch_proof,
)
from tests.conftest import funded_account, new_sender

roots = st.binary(min_size=32, max_size=32)


def test_hashes_are_domain_separated() -> None:
    document_root = bytes(range(32))
    assert batch_leaf_hash(document_root, 5) == keccak256(b"\x00" + document_root + b"\x00\x00\x00\x05")
    assert node_hash(b"a" * 32, b"b" * 32) == keccak256(b"\x01" + b"a" * 32 + b"b" * 32)


def test_tree_shape_by_hand() -> None:
    a, b, c = (bytes([n]) * 32 for n in (1, 2, 3))
    tree = BatchTree.build([a, b, c])
    la, lb, lc = (batch_leaf_hash(r, i) for i, r in enumerate((a, b, c)))
    assert tree.root == node_hash(node_hash(la, lb), node_hash(lc, EMPTY_NODE))
    assert tree.proof(2) == (EMPTY_NODE, node_hash(la, lb))
    single = BatchTree.build([a])
    assert single.root == la and single.proof(0) == () and single.depth == 0


@pytest.mark.parametrize(("count", "depth"), [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1024, 10), (1025, 11)])
def test_depth(count: int, depth: int) -> None:
    assert batch_depth(count) == depth
    assert BatchTree.build([bytes(32)] * count).depth == depth


def test_impossible_arguments_are_refused() -> None:
    with pytest.raises(MerkleError, match="1 to"):
        BatchTree.build([])
    with pytest.raises(MerkleError, match="32 bytes"):
        batch_leaf_hash(b"short", 0)
    with pytest.raises(MerkleError, match="uint32"):
        batch_leaf_hash(bytes(32), 2**32)
    with pytest.raises(MerkleError, match="outside"):
        BatchTree.build([bytes(32)]).proof(1)


@pytest.mark.no_cover
@settings(max_examples=60, deadline=None)
@given(st.lists(roots, min_size=1, max_size=300), st.data())
def test_every_proof_verifies_and_every_corruption_fails(
    document_roots: list[bytes], data: st.DataObject
) -> None:
    tree = BatchTree.build(document_roots)
    count = tree.count
    index = data.draw(st.integers(0, count - 1))
    proof = tree.proof(index)
    ok = verify_batch_proof(document_roots[index], index, proof, root=tree.root, count=count)
    assert ok
    for attack in _attacks(tree, document_roots, index, data.draw(st.integers(0, 2**20))):
        leaf, attack_index, attack_proof = attack
        assert not verify_batch_proof(leaf, attack_index, attack_proof, root=tree.root, count=count)


def _attacks(
    tree: BatchTree, document_roots: list[bytes], index: int, bit: int
) -> list[tuple[bytes, int, tuple[bytes, ...]]]:
    """Leaf, index, proof triples that must all be refused; `bit` picks the bit to flip."""
    proof = tree.proof(index)
    leaf = document_roots[index]
    attacks = []
    if len(document_roots) > 1:
        other = (index + 1) % len(document_roots)
        if document_roots[other] != leaf:
            attacks.append((leaf, other, proof))  # wrong index
            attacks.append((document_roots[other], index, proof))  # another certificate's root
    bit %= 8 * 32 * (1 + len(proof))
    flipped = bytearray(leaf + b"".join(proof))
    flipped[bit // 8] ^= 1 << (bit % 8)
    attacks.append(
        (
            bytes(flipped[:32]),
            index,
            tuple(bytes(flipped[32 + 32 * i : 64 + 32 * i]) for i in range(len(proof))),
        )
    )
    if proof:
        attacks.append((leaf, index, ()))  # empty proof
        attacks.append((leaf, index, proof[:-1]))  # truncated
        # An inner node presented as a leaf, with the rest of the path.
        inner = tree.levels[1][index >> 1]
        attacks.append((inner, index >> 1, proof[1:]))
    attacks.append((leaf, index, (*proof, EMPTY_NODE)))  # extended
    attacks.append((leaf, index + len(document_roots), proof))  # past the end
    return attacks


@pytest.fixture(scope="module")
def harness(w3: Web3) -> Contract:
    """`BatchMerkle` exposed through `eth_call`."""
    artifact = load_artifact("BatchMerkleHarness")
    receipt = new_sender(w3, funded_account(w3)).send(to=None, data=artifact.bytecode)
    return cast(Contract, w3.eth.contract(address=receipt.contract_address, abi=artifact.abi))


@pytest.mark.no_cover
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 1024), st.data())
def test_python_and_solidity_agree_on_random_trees(
    harness: Contract, count: int, data: st.DataObject
) -> None:
    document_roots = [os.urandom(32) for _ in range(count)]
    tree = BatchTree.build(document_roots)
    index = data.draw(st.integers(0, count - 1))
    proof = list(tree.proof(index))
    contract: Callable[..., bytes] = lambda *a: bytes(harness.functions.rootFromProof(*a).call())  # noqa: E731
    assert contract(document_roots[index], index, proof) == tree.root
    assert harness.functions.depthOf(count).call() == tree.depth
    assert bytes(harness.functions.leafHash(document_roots[index], index).call()) == tree.levels[0][index]
    for leaf, attack_index, attack_proof in _attacks(
        tree, document_roots, index, data.draw(st.integers(0, 2**20))
    ):
        if attack_index >= 2**32:
            continue
        # Both sides compute the same root for every attack, and it is not the batch root.
        on_chain = contract(leaf, attack_index, list(attack_proof))
        assert on_chain == batch_root_from_proof(leaf, attack_index, attack_proof)
        assert on_chain != tree.root


@pytest.fixture(scope="module")
def anchoring(w3: Web3) -> tuple[Callable[[BatchTree], int], Contract]:
    """A fresh ledger and a function anchoring a tree on it, returning its batch id."""
    governor = new_sender(w3, funded_account(w3))
    deployment = deploy_contracts(w3, governor)
    from ledger import CertificateLedgerClient  # noqa: PLC0415

    ledger = CertificateLedgerClient(w3, deployment.ledger, sender=governor)
    ledger.register_office(1, region_code=371000, display_name="测试", type_ids=[1])
    issuer = funded_account(w3)
    ledger.add_key(1, issuer.address)
    issuing = ledger.with_sender(new_sender(w3, issuer))

    def anchor(tree: BatchTree) -> int:
        return issuing.anchor(tree.root, count=tree.count, type_id=1).batch_id

    return anchor, ledger.contract


@pytest.mark.parametrize("count", [1, 2, 3, 7, 8, 9, 100, 1024])
def test_the_ledger_and_python_accept_and_refuse_the_same_inclusion_claims(
    anchoring: tuple[Callable[[BatchTree], int], Contract], count: int
) -> None:
    anchor, contract = anchoring
    document_roots = [os.urandom(32) for _ in range(count)]
    tree = BatchTree.build(document_roots)
    batch_id = anchor(tree)

    def on_chain(leaf: bytes, index: int, proof: tuple[bytes, ...], batch: int = batch_id) -> bool:
        return bool(contract.functions.verifyInclusion(leaf, index, list(proof), batch).call())

    for index in {0, count // 2, count - 1}:
        proof = tree.proof(index)
        assert on_chain(document_roots[index], index, proof)
        assert verify_batch_proof(document_roots[index], index, proof, root=tree.root, count=count)
        assert not on_chain(document_roots[index], index, proof, batch_id + 1)
        for leaf, attack_index, attack_proof in _attacks(tree, document_roots, index, index * 7919 + 3):
            if attack_index >= 2**32:
                continue
            python = verify_batch_proof(leaf, attack_index, attack_proof, root=tree.root, count=count)
            assert (on_chain(leaf, attack_index, attack_proof), python) == (False, False)
