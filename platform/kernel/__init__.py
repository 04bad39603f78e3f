"""Hearth's shared kernel: what every bounded context builds on. Observability
(JSON logs, request ids, Sentry), health probes, database provisioning and the
Citus plan checks (db), the event backbone (events), tokens and the key ring
(auth), calls between deployables (http), the domain's errors (errors) and the
API's conventions (api), money, the read-only admin base, and test helpers
(testing) every context's suite uses.

It never imports a context (apps.*) nor the deployables' config; import-linter
enforces that in CI.
"""
