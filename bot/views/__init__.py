"""Neutral message views shared by flows and scheduled jobs (they import only bot.types and crm)."""
