"""Socket.IO: the server attached to the app, and one module of event handlers per feature."""
