"""Calendar feeds, one-item downloads and invitation import."""
