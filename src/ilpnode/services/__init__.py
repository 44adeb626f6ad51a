"""ilpnode.services"""
