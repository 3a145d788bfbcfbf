"""Command-line interface: main.py plus one module per subcommand."""
