"""The review of open commitments."""
