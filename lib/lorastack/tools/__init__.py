"""Developer tools: code generation and checks run from the command line."""
