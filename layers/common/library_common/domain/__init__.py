"""The library's rules, each defined once, used by every function (infrastructure lives beside this package)."""
