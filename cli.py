"""Thin entry: ``python cli.py ...`` runs the same CLI as the installed ``cstosim`` command."""

from cstosim.cli import entry

if __name__ == "__main__":
    entry()
