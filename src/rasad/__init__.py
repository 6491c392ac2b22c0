"""Rasad (رصد): ranking, monitoring and development of SMEs and industrial clusters."""

__version__ = "0.1.0"
