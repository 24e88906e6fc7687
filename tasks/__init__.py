"""Small real training tasks the app runs in-process (the LR range test's built-in example)."""
