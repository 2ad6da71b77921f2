"""Instrument definition files (YAML) shipped with cscore."""
