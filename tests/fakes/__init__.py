"""Real local servers that stand in for the outside world (Stripe, SMTP, webhook receivers)."""
