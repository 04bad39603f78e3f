from kernel.db.citus import Distributed

PLAN = [
    Distributed("notifications.Recipient", "user_id"),
    Distributed("notifications.Notification", "id"),
]
