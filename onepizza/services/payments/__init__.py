"""Payment providers that top up balances: Stripe (cards) now, USDC deposits later."""
