"""Outbound webhooks: emit (create deliveries on commit), deliver (sign, POST,
retry with backoff for 24 hours), replay.  See README "Outbound webhooks"."""
