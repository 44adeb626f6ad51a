"""ilpnode: an Interledger (ILPv4) connector with peering, compatible with Rafiki.

Importing the package does nothing else: it reads no file and installs no import hook (the
entry points choose between the compiled build and the sources, `ilpnode.compiled`), and
`__version__` is read from the installed package's metadata when first asked for.
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(f"module 'ilpnode' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("ilpnode")
    except PackageNotFoundError:  # running from a source tree that was never installed
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
