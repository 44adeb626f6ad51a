"""Unit tests of ilpnode.accounting, over MemoryLedger with a manual clock."""
