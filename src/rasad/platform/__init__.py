"""The Django platform: a thin shell that stores data, calls the pure core and shows results."""
