"""Version of the OpenMixOSR package."""
__version__ = '0.1.0'
