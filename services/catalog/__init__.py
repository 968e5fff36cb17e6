"""The price book: products and their daily rates"""
