"""A NAT router for the lab: the private (内网) network reaches the public one through it."""
