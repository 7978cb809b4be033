"""Built-in frequency plan files (YAML), shipped as package data."""
