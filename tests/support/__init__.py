"""Helpers that several test folders share. Test modules import from here, never each other."""
