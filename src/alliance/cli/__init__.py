"""The `alliance` command line: Typer commands over the services; errors become exit codes in one place."""
