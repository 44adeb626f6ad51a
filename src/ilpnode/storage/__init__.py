"""ilpnode.storage"""
