"""The domain of Balances: async, framework-free, returning frozen dataclasses."""
