"""Every write goes through a function here: atomic, permission-checked, audited."""
