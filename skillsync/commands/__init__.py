"""One module per subcommand: a plain function with typed arguments returning an exit code."""
