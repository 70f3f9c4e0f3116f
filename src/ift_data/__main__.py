"""``python -m ift_data``: the ``ift-data`` command."""

from ift_data.cli import run

if __name__ == "__main__":
    run()
