"""Live meeting state (who is where, settings, queues) behind an async interface."""
