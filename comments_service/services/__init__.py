"""Business rules, free of Flask: each takes a Session and plain values."""
