"""Audit wired from its settings: the issuer's parts, plus the chain index, its reports and the
access log's anchoring."""

from __future__ import annotations

from functools import cached_property

from audit._accesslog import LogAnchorer
from audit._indexer import ChainIndex, default_index_url
from audit._reports import ChainAudit
from audit._settings import AuditSettings
from issuer import IssuerContext
from ledger import ACCESS_LOG_ID, AccessLogAnchorClient, Clock, connect, system_clock


class AuditContext(IssuerContext):
    """Builds each part on first use."""

    settings: AuditSettings

    def __init__(self, settings: AuditSettings | None = None, *, clock: Clock = system_clock) -> None:
        super().__init__(settings or AuditSettings(), clock=clock)

    @cached_property
    def chain_index(self) -> ChainIndex:
        """The index of this deployment's events, in its own database (never the operators')."""
        deployment = self.chain.deployment()
        url = self.settings.index_database_url or default_index_url(
            self.settings.data_dir, deployment.chain_id
        )
        w3 = connect(self.settings.endpoint, timeout=self.settings.rpc_timeout)
        return ChainIndex(w3, deployment, url=url, clock=self.clock)

    @cached_property
    def chain_audit(self) -> ChainAudit:
        """Audit reports from the chain index."""
        return ChainAudit(self.chain_index)

    @cached_property
    def log_anchorer(self) -> LogAnchorer:
        """Anchors the access log through the operator key."""
        client: AccessLogAnchorClient = self.chain.access_log("operator")
        return LogAnchorer(self.engine, client, log_id=ACCESS_LOG_ID, clock=self.clock)
