"""NiceGUI pages of Balances: thin, reading from services and subscribing to the live-update bus."""
