"""The notes' client programs, run from client-host containers."""
