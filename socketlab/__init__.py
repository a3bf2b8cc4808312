"""socketlab host tools: bring the lab up, look at it, and run client hosts in it."""
