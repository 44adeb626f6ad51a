"""Everything the ledger's storage is: the two backends, their journals, the lock, the metrics.

- `embedded`: the default backend (`LEDGER_BACKEND=embedded`): the pure engine in memory,
  group-committed to a `journal.Journal`: the ledger log file on SQLite (`log_journal` over
  `log_file` and `log_codec`, synced by `sync_process` running `sync_helper`), SQL rows on
  PostgreSQL (`row_journal` over `rows`). Beside it: `expiry_sweep`, `balance_reports`,
  `row_migration` (an SQLite database's journal rows from before the log, moved in once).
- `shared`: the shared backend (`LEDGER_BACKEND=postgres`): the ledger only in PostgreSQL, for
  several node processes (`shared_writer`: group commit per process; `shared_apply`: the
  statements; `shared_sql`: their SQL).
- `lock`: one embedded process or any number of shared ones per database, never both.
- `metrics`: the embedded ledger's Prometheus metrics.
"""
