"""The `ilpnode` command (`python -m ilpnode`, and the console script of the same name)."""

from ilpnode import compiled


def main() -> None:
    # Before the command's modules are imported: a stale build must never shadow its sources.
    compiled.activate()
    from ilpnode.cli import main as command

    command()


if __name__ == "__main__":
    main()
