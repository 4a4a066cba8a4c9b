"""Deals: opportunities (opportunities), contracts and their expiry (contracts), receivables and
payments (receivables), the figures of summaries and reports (figures), and the one-message
reader (reading). Callers import the modules: `from crm.services.deals import receivables`."""
