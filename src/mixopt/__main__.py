"""``python -m mixopt`` runs the command line."""

from mixopt.cli import main

if __name__ == "__main__":
    main()
