"""Hearth's shared kernel: what every bounded context builds on (observability,
health, database provisioning, and later events, auth and resilience).

It never imports a context (apps.*) nor the deployables' config; import-linter
enforces that in CI.
"""
