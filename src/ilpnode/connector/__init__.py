"""ilpnode.connector"""
