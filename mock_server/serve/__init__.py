"""The fake's HTTP servers: ``native`` (the default), ``waitress_server``, ``workers``."""
