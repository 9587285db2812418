"""The pages' words for the auditor's page: reconciliation, differences, batches."""

# key: (中文, English)

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- what each difference means
    "audit.explain.batch_not_on_chain": (
        "数据库记为已上链的批次在链上找不到（链发生了重组，或节点从旧状态恢复），"
        "请运行 certledger audit reconcile --repair，让锚定进程把同一批次重新上链。",
        "A batch the database has as anchored is missing on chain (a reorganization, or a node "
        "restored from an older state): run certledger audit reconcile --repair to anchor it again.",
    ),
    "audit.explain.batch_sent_unrecorded": (
        "批次已在链上锚定，数据库却仍记为发送中且无进程处理（进程在发送之后中断），"
        "运行 certledger audit reconcile --repair 即可补记链上的结果。",
        "The batch is anchored on chain but the database still has it sending with no worker on it "
        "(a worker stopped after its send): run certledger audit reconcile --repair to record it.",
    ),
    "audit.explain.batch_stuck_sending": (
        "批次未上链，数据库仍记为发送中且无进程处理（进程在发送之前中断），"
        "请启动锚定进程，或在配置签发密钥后运行 certledger audit reconcile --repair 重新发送。",
        "The batch is not on chain and the database has it sending with no worker on it (a worker "
        "stopped before its send): start the anchoring worker, or run the repair with the issuer key.",
    ),
    "audit.explain.batch_not_in_database": (
        "本机构的某个批次已在链上锚定，数据库中却没有这个批次（手工上链或记录丢失），"
        "链上记录无法撤回，请核实其来源，如属伪造请在链上撤销其中的证明。",
        "A batch of one of our offices is anchored on chain and the database does not have it "
        "(anchored by hand, or rows lost): find out where it came from, and revoke it on chain if bogus.",
    ),
    "audit.explain.count_mismatch": (
        "链上登记的证明数量与数据库的批次记录或证明行数不一致（可能有证明记录被删除），"
        "无法自动修复，请从备份中查明缺失的记录。",
        "The chain's certificate count of the batch differs from the database's (a certificate row "
        "deleted): this cannot be repaired automatically; recover the missing rows from a backup.",
    ),
    "audit.explain.proof_mismatch": (
        "数据库保存的证明路径不能从证明的文档根通向链上的批次根，"
        "运行 certledger audit reconcile --repair，重建的批次树与链上一致时会重写路径。",
        "A stored proof does not lead from the certificate's document root to its batch's root on "
        "chain: the repair rewrites the proofs when the rebuilt tree reaches the root on chain.",
    ),
    "audit.explain.status_mismatch": (
        "证明的撤销或暂停状态在数据库与链上不一致，以链上为准：运行 certledger audit reconcile --repair "
        "记录链上的状态；如果数据库中的状态才是本意，请重新执行撤销、暂停或恢复。",
        "A certificate is revoked or suspended on one side and not on the other; the chain is the "
        "truth: the repair records its status, or revoke, suspend or reinstate again if ours was meant.",
    ),
    "audit.explain.log_root_mismatch": (
        "链上锚定的访问日志根无法由数据库中的日志条目重现（有条目被改动或删除），"
        "日志只能追加、无法修复，请立即调查数据库被改动的原因。",
        "A root of the access log anchored on chain cannot be reproduced from the database's entries "
        "(an entry altered or deleted): the log is append-only, so investigate the change at once.",
    ),
    "audit.reconciliation.explain": ("含义与处理", "What it means"),
    # ---------------------------------------------------------------- when it ran, what it covered
    "audit.reconciliation.started": ("开始时间", "Started"),
    "audit.reconciliation.coverage": ("覆盖的链上批次", "Batches on chain covered"),
    "audit.reconciliation.coverage_value": (
        "{covered}/{total} 个（截至第 {block} 块）",
        "{covered} of {total} (up to block {block})",
    ),
    "audit.reconciliation.interval": (
        "系统每 {minutes} 分钟自动对账一次。",
        "The service reconciles by itself every {minutes} minutes.",
    ),
    "audit.reconciliation.no_interval": (
        "系统未开启自动对账；超过 {minutes} 分钟的结果视为过时。",
        "The service does not reconcile by itself; a result older than {minutes} minutes is stale.",
    ),
    "audit.reconciliation.clean_stale": (
        "上次对账未发现差异，但结果已过时，不能代表现在的链上情况：",
        "The last reconciliation found no difference, but it is stale and does not speak for now:",
    ),
    "audit.reconciliation.found_stale": (
        "以下是上次对账的结果，且该结果已过时：",
        "These are the last reconciliation's findings, and they are stale:",
    ),
    "audit.stale.older_than_interval": (
        "已过去 {age}，超过对账周期 {bound}。",
        "It is {age} old, beyond the reconciliation period of {bound}.",
    ),
    "audit.stale.batches_not_covered": (
        "链上现有 {total} 个批次，上次对账只覆盖了 {covered} 个。",
        "The chain has {total} batches; the last reconciliation covered {covered}.",
    ),
    "audit.stale.chain_unreachable": (
        "链上节点无法连接，无法确认此后是否有新的批次。",
        "The chain cannot be reached, so whether it has more batches is unknown.",
    ),
    "audit.duration.minutes": ("{count} 分钟", "{count} min"),
    "audit.duration.hours": ("{count} 小时", "{count} h"),
    "audit.duration.days": ("{count} 天", "{count} days"),
    # ---------------------------------------------------------------- reconcile now
    "audit.reconcile.now": ("立即对账", "Reconcile now"),
    "audit.reconcile.running": ("正在对账：{phase}……", "Reconciling: {phase}…"),
    "audit.reconcile.running_elsewhere": (
        "另一个服务进程正在对账，完成后这里会显示结果。",
        "Another service process is reconciling; its result appears here when it is done.",
    ),
    "audit.reconcile.failed": ("对账未能完成：{error}", "The reconciliation did not finish: {error}"),
    "audit.reconcile.finished": ("对账已完成。", "The reconciliation has finished."),
    "audit.phase.syncing": ("同步链上数据", "reading the chain"),
    "audit.phase.batches": ("核对批次", "comparing batches"),
    "audit.phase.proofs": ("核对证明路径", "checking proofs"),
    "audit.phase.statuses": ("核对证明状态", "comparing statuses"),
    "audit.phase.log": ("核对访问日志", "checking the access log"),
    "audit.phase.repairing": ("修复差异", "repairing"),
    "audit.phase.storing": ("保存结果", "storing the result"),
    "code.audit.reconcile_running": (
        "已有一次对账正在进行（可能由其他服务进程发起），请等它完成后再查看结果。",
        "A reconciliation is already running (perhaps in another service process): wait for its result.",
    ),
    # ---------------------------------------------------------------- the chain
    "audit.chain.unreachable": (
        "链上节点无法连接（自 {since} 起）。以下链上数据来自本地索引，截至第 {block} 块。",
        "The chain cannot be reached (since {since}). The chain figures below come from the local "
        "index, up to block {block}.",
    ),
    "audit.chain.syncing": (
        "正在同步链上数据，以下数据截至第 {block} 块，稍后刷新可看到最新情况。",
        "Still reading the chain: the figures below are up to block {block}; refresh shortly for the latest.",
    ),
    "audit.chain.timeout": (
        "链上数据在 5 秒内没有返回，节点可能无法连接。",
        "The chain's data did not come within 5 seconds: the node may be unreachable.",
    ),
    # ---------------------------------------------------------------- the batch table
    "audit.batches.all": ("全部上链批次（共 {total} 个）", "All anchored batches ({total})"),
    "audit.batches.range": ("第 {first}–{last} 个，最新的在前", "{first}–{last}, newest first"),
    "audit.batches.newer": ("上一页（较新）", "Newer"),
    "audit.batches.older": ("下一页（较早）", "Older"),
    "audit.batches.certificates": ("证明状态", "Certificates"),
    "audit.batches.certificates_of": ("批次 #{batch} 的证明状态", "Certificates of batch #{batch}"),
    "audit.batches.certificates_count": (
        "链上登记 {count} 份，数据库中有 {rows} 份。",
        "{count} on chain, {rows} in the database.",
    ),
    "audit.copy": ("复制", "Copy"),
    "audit.copy_label": ("复制 {what}", "Copy {what}"),
    "audit.copied": ("已复制。", "Copied."),
    "audit.copy_failed": ("无法复制，请手动选中文字复制。", "Could not copy: select the text and copy it."),
    "audit.close": ("关闭", "Close"),
    "audit.col.number": ("证明编号", "Number"),
    "audit.col.leaf": ("叶子序号", "Leaf"),
    "audit.col.status_database": ("数据库中的状态", "Status in the database"),
    "audit.col.status_chain": ("链上状态", "Status on chain"),
    "audit.col.reason": ("原因", "Reason"),
    "audit.col.certificates": ("证明", "Certificates"),
    "audit.chain_status.none": ("链上无此序号", "not in the batch on chain"),
    "code.audit.no_batch": ("链上索引中没有这个批次。", "The chain index has no such batch."),
}
