"""ilpnode.dashboard"""
