"""Persistent views and buttons; every ``custom_id`` is namespaced ``exambot:<feature>:…``."""
