"""The pages, one module per audience: anyone (search, listing, applying), the
account pages, what a signed-in user has (applications, notifications), and the
landlord's own."""
