"""ilpnode.ledger: a pure, in-memory, two-phase double-entry ledger with TigerBeetle semantics.

No I/O, no clock, no logging: time is an argument (`now`, ns since the Unix epoch). Start with
`engine.py` (theory of operation), `statuses.py` (precedence) and `ports.py` (the `Ledger` port).
"""

from ilpnode.ledger.engine import LedgerEngine, LedgerSnapshot
from ilpnode.ledger.errors import LedgerUnavailable
from ilpnode.ledger.invariants import check_invariants
from ilpnode.ledger.limits import credits_exceed_debits, debits_exceed_credits, exceeds_limit
from ilpnode.ledger.memory import MemoryLedger
from ilpnode.ledger.model import (
    AMOUNT_MAX,
    ID_INT_MAX,
    NANOSECONDS_PER_SECOND,
    TIMESTAMP_MAX,
    Account,
    AccountFlags,
    AccountId,
    ExpiredTransfer,
    JournalEntry,
    Transfer,
    TransferFlags,
    TransferId,
    is_pending_transfer,
)
from ilpnode.ledger.ports import Ledger
from ilpnode.ledger.replay import JournalError
from ilpnode.ledger.statuses import (
    CreateAccountResult,
    CreateAccountStatus,
    CreateTransferResult,
    CreateTransferStatus,
    TransferPendingStatus,
)
from ilpnode.ledger.trusted import trusted_transfer
from ilpnode.ledger.watching import (
    BALANCE_MAX,
    BALANCE_MIN,
    REPORT_ALWAYS,
    QuietBand,
    available_balance,
    quiet,
)

__all__ = [
    "AMOUNT_MAX",
    "BALANCE_MAX",
    "BALANCE_MIN",
    "ID_INT_MAX",
    "NANOSECONDS_PER_SECOND",
    "REPORT_ALWAYS",
    "TIMESTAMP_MAX",
    "Account",
    "AccountFlags",
    "AccountId",
    "CreateAccountResult",
    "CreateAccountStatus",
    "CreateTransferResult",
    "CreateTransferStatus",
    "ExpiredTransfer",
    "JournalEntry",
    "JournalError",
    "Ledger",
    "LedgerEngine",
    "LedgerSnapshot",
    "LedgerUnavailable",
    "MemoryLedger",
    "QuietBand",
    "Transfer",
    "TransferFlags",
    "TransferId",
    "TransferPendingStatus",
    "available_balance",
    "check_invariants",
    "credits_exceed_debits",
    "debits_exceed_credits",
    "exceeds_limit",
    "is_pending_transfer",
    "quiet",
    "trusted_transfer",
]
