"""Domain logic shared by the HTTP API and the realtime handlers."""
