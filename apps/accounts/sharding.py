from kernel.db.citus import Distributed

PLAN = [
    Distributed("accounts.User", "id"),
    # Looked up by email at sign-in and registration: sharded by it, so the
    # primary key alone keeps emails unique across shards.
    Distributed("accounts.EmailClaim", "email"),
    Distributed("accounts.PasswordResetRequest", "id"),
    Distributed("accounts.TokenFamily", "id"),
]
