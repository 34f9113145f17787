// Placeholder: the lab verdict benchmark (issue 4, item 6) is being written.
print("lab-verdict-bench: not built yet")
