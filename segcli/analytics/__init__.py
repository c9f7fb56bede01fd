"""Questions asked of classified customers: RFM scores, summaries per category, and how
segments moved between two dates."""
