# Every test, one line each.
