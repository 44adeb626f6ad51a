"""Unit tests of ilpnode.services.accounting, over MemoryLedger with a manual clock."""
