"""Series: exchanges that recur (a quarterly Werkstatt, yearly conferences)."""
