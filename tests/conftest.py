"""Configuration for every test: before any test module is imported, choose between the
compiled packet path and its sources (`ilpnode.compiled`), as the `ilpnode` command does."""

from ilpnode import compiled

compiled.activate()
