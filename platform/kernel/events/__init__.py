"""The event backbone: a context publishes what happened through its outbox, a relay
puts it on Kafka, and consumers apply each event once (docs/events.md).

- types: event types, the catalogue each context declares in its contracts, schemas
- readers: typed readers of payloads, checked against the schemas
- envelope: what every event travels in
- outbox: publish_event, inside the writer's transaction
- relay: outbox to Kafka, one leader per deployable
- consumer: inbox and handlers, retries, dead letters
- context: the event being handled, named as the cause of what its handler publishes
- topics, kafka, replay, registry: topic policy, client settings, rebuilding a read
  model, and what a deployable publishes and consumes (from its settings)
"""
