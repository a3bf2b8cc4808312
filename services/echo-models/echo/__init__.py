"""Echo servers (RFC 862) in every concurrency model of the notes."""
