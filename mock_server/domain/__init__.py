"""Rules of the API per spec tag. Never imports Flask."""
