"""The only package that touches the database. Pages call its functions; nothing else opens a session."""
