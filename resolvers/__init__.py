"""Use cases, one module per domain: plain async functions over the context and arguments."""
