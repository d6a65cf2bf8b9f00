"""The audit trail: who changed or deleted what in an account, and when."""
