print("memento-bench: suites come next")
