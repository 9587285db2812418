"""The words of the citizen's wallet added for enrolment on the phone, the share form's limits,
certificates that cannot be shared, and the history as cards (the older wallet words are in
`_i18n.py`)."""

from __future__ import annotations

# key: (中文, English)
TEXT: dict[str, tuple[str, str]] = {
    "time.long_term": ("长期", "no end date"),
    # what cannot be shared or printed, said before any form
    "wallet.blocked.suspended": (
        "这份证明已被出具机构暂停，暂停期间不能授权他人查看，也不能打印。如有疑问，请联系出具机构。",
        "The issuing office has suspended this certificate: while it is suspended it can be neither "
        "shared nor printed. Ask the issuing office if you have questions.",
    ),
    "wallet.blocked.revoked": (
        "这份证明已被出具机构撤销，不能再授权他人查看，也不能打印。",
        "The issuing office has revoked this certificate: it can no longer be shared or printed.",
    ),
    "wallet.blocked.superseded": (
        "这份证明已有新版本，请使用新版本授权或打印。",
        "A newer revision of this certificate exists: share or print that one.",
    ),
    "wallet.blocked.pending": (
        "这份证明正在上链，完成后（通常几分钟内）才能授权他人查看或打印。",
        "This certificate is still being anchored on the ledger; it can be shared or printed once "
        "that is done (usually within minutes).",
    ),
    "wallet.blocked.expired": (
        "这份证明已过有效期，不能再授权他人查看，也不能打印。请到出具机构重新开具。",
        "This certificate's term has ended: it can no longer be shared or printed. Ask the issuing "
        "office for a new one.",
    ),
    # the share form
    "wallet.share.holder_always": (
        "您的姓名和公民身份号码每次都会披露给对方（对方页面上身份号码部分隐去），因为对方必须知道这是谁的记录。",
        "Your name and identity number are always disclosed (the unit's page shows the number "
        "partly hidden), because a unit must know whose record it is.",
    ),
    "wallet.share.always": ("（总会披露）", "(always disclosed)"),
    "wallet.share.ends": (
        "最长 {max} 天。授权到 {time}（北京时间）为止。",
        "At most {max} days. The grant ends on {time} (Beijing time).",
    ),
    "wallet.share.days_too_many": (
        "授权最长 {max} 天，请填写 1 到 {max} 之间的天数。",
        "A grant lasts at most {max} days: enter a number from 1 to {max}.",
    ),
    "wallet.share.days_invalid": (
        "请填写 1 到 {max} 之间的整数天数。",
        "Enter a whole number of days from 1 to {max}.",
    ),
    "wallet.share.uses_limit": ("1 到 {max} 次。", "1 to {max} uses."),
    "wallet.share.uses_invalid": (
        "可用次数请填写 1 到 {max} 之间的整数。",
        "Enter a whole number of uses from 1 to {max}.",
    ),
    # enrolment and reset on the phone
    "wallet.enrol.entry": ("首次使用（柜台领取的开通码）", "First time here (a code from the counter)"),
    "wallet.reset.entry": (
        "换了手机或忘了密码（柜台领取的重置码）",
        "New phone or forgotten password (a reset code from the counter)",
    ),
    "wallet.enrol.title": ("开通电子证照", "Set up your wallet"),
    "wallet.enrol.lead": (
        "请输入在社保柜台领取的一次性开通码。钱包密钥在本机生成，不会发送给任何人；服务器只保存用备份口令加密的备份。",
        "Enter the one-time code from the social-insurance counter. Your wallet key is made on "
        "this device and never sent; the service keeps only a backup encrypted under your "
        "backup passphrase.",
    ),
    "wallet.reset.title": ("重置账户", "Reset your account"),
    "wallet.reset.lead": (
        "用柜台领取的重置码重新设置手机号、登录密码和钱包密钥。原来的登录全部失效，原来的授权全部撤回，您的证明会绑定到新的钱包密钥。",
        "With the reset code from the counter, set a new phone, password and wallet key. Every "
        "old session ends, every grant you gave is revoked, and your certificates are bound to "
        "the new key.",
    ),
    "wallet.enrol.code": ("开通码", "Code from the counter"),
    "wallet.reset.code": ("重置码", "Reset code from the counter"),
    "wallet.enrol.code_hint": (
        "12 位字母和数字，可以不区分大小写。",
        "12 letters and digits; case does not matter.",
    ),
    "wallet.enrol.identity": ("公民身份号码", "Identity number"),
    "wallet.enrol.phone": ("手机号", "Mobile phone"),
    "wallet.enrol.password": ("登录密码（至少 10 位）", "Login password (at least 10 characters)"),
    "wallet.enrol.password_again": ("再次输入登录密码", "Login password again"),
    "wallet.enrol.passphrase": ("备份口令", "Backup passphrase"),
    "wallet.enrol.passphrase_hint": (
        "用来加密钱包密钥的备份，换手机时凭它恢复。请不要与登录密码相同；服务器从不接收它，忘记后无法找回。",
        "It encrypts your wallet key's backup, to recover it on a new phone. Do not reuse the "
        "login password; the service never receives it and cannot recover it.",
    ),
    "wallet.enrol.passphrase_again": ("再次输入备份口令", "Backup passphrase again"),
    "wallet.enrol.strength": ("口令强度", "Passphrase strength"),
    "wallet.enrol.strength.0": (
        "太弱，不能使用：请用更长的口令，例如几个词或一句话。",
        "Too weak to use: make it longer, e.g. a few words or a sentence.",
    ),
    "wallet.enrol.strength.1": (
        "较弱：建议加长，并混用字母、数字、符号或汉字。",
        "Weak: make it longer and mix letters, digits, symbols or Chinese characters.",
    ),
    "wallet.enrol.strength.2": ("尚可：再长一些更安全。", "Fair: a little longer would be safer."),
    "wallet.enrol.strength.3": ("强。", "Strong."),
    "wallet.enrol.strength.empty": ("请设置备份口令。", "Choose a backup passphrase."),
    "wallet.enrol.weak_confirm": (
        "备份口令较弱，拿到数据库的人可能猜出它。仍要使用吗？",
        "The backup passphrase is weak: someone holding the database might guess it. Use it anyway?",
    ),
    "wallet.enrol.submit": ("生成钱包密钥并开通", "Make my wallet key and set up"),
    "wallet.reset.submit": ("生成新钱包密钥并重置", "Make a new wallet key and reset"),
    "wallet.enrol.progress": ("正在加密钱包密钥的备份……", "Encrypting your wallet key's backup…"),
    "wallet.enrol.sending": ("正在开通……", "Setting up…"),
    "wallet.enrol.done": ("开通成功。", "Your wallet is set up."),
    "wallet.reset.done": ("账户已重置。", "Your account is reset."),
    "wallet.enrol.need_code": ("请填写 12 位开通码。", "Enter the 12-character code."),
    "wallet.enrol.need_phone": (
        "请填写 11 位手机号（以 1 开头）。",
        "Enter an 11-digit mobile number starting with 1.",
    ),
    "wallet.enrol.password_short": (
        "登录密码至少 10 位。",
        "The login password needs at least 10 characters.",
    ),
    "wallet.enrol.password_mismatch": ("两次输入的登录密码不一样。", "The two login passwords differ."),
    "wallet.enrol.passphrase_mismatch": ("两次输入的备份口令不一样。", "The two backup passphrases differ."),
    "wallet.enrol.passphrase_same": (
        "备份口令不能与登录密码相同：服务器每次登录都会看到登录密码。",
        "The backup passphrase must differ from the login password, which the service sees at every login.",
    ),
    "wallet.enrol.passphrase_weak": (
        "备份口令太弱，不能使用：请用更长的口令。",
        "The backup passphrase is too weak to use: make it longer.",
    ),
    "wallet.enrol.back": ("返回登录", "Back to log in"),
}
