"""HTTP handlers: translate requests into calls on services/ and live/."""
