"""Reporting keeps no case data of its own; it reads other apps through their selectors."""
