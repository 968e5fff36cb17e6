"""Scripts that keep generated files current (screenshots, the README's configuration table)"""
