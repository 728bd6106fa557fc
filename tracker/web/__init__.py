"""What every page shares: formatting filters, pagination, error pages, role guards, CSV."""
