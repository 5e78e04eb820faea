"""avtomon: monitor Russian auto-industry news."""

__version__ = "0.1.0"
