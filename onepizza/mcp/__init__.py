"""The MCP server for AI agents: a thin layer of tools over onepizza.client."""
