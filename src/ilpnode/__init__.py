"""ilpnode: an Interledger (ILPv4) connector with peering, compatible with Rafiki."""

from importlib.metadata import PackageNotFoundError, version

from ilpnode import compiled

# Before any other ilpnode module is imported: a stale mypyc build must never shadow its sources.
compiled.activate()

try:
    __version__ = version("ilpnode")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
