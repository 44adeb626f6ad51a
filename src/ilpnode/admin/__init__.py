"""ilpnode.admin"""
