"""Marketing: campaigns (more to come: segments, consent-aware sends)."""
